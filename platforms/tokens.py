"""The signed end-callback address a platform calls when a meeting ends.

The token is the meeting id signed with the portal's secret key (no timestamp, so the same
meeting always gets the same address and the drift check can compare it). A forged or edited
token fails to unsign, so nobody can end-report a meeting they did not create.
"""

from django.core import signing

from toolkit.urls import portal_url

_SALT = "platforms.end-callback"


def callback_token(meeting_id: str) -> str:
    return signing.Signer(salt=_SALT).sign(meeting_id)


def meeting_id_from_token(token: str) -> str | None:
    """The meeting id the token was signed for, or None when it was not signed by this portal."""
    try:
        return signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None


def end_callback_url(meeting_id: str) -> str:
    """The absolute portal address BigBlueButton GETs when the meeting ends (meta_endCallbackUrl)."""
    return portal_url("platforms:bbb_callback", query=f"token={callback_token(meeting_id)}")
