"""The signed end-callback address BigBlueButton calls, server to server, when a meeting ends.

It is sent as the create call's `meetingEndedURL`, which only bbb-web reads: unlike a meta_
parameter it is not handed to the meeting's clients nor written into recordings.

The token is signed with the portal's secret key and names what it may be used for:
  - one meeting (its id is inside the signature: a token for another meeting fails to unsign);
  - until a little after the booked end (the platform ends the meeting by then, CALL-6);
  - once: services.record_meeting_end refuses a second end for a meeting already closed.
A fresh random part per create means no two meetings, nor two creates, share an address.
"""

import datetime as dt
import secrets

from django.core import signing

from toolkit.urls import portal_url

_SALT = "platforms.end-callback.v2"
# BigBlueButton calls the address as the meeting ends, which is at the booked end at the latest
# (create's duration); this leaves room for a slow server, and no more.
GRACE = dt.timedelta(hours=1)


def callback_token(meeting_id: str, *, ends_at: dt.datetime) -> str:
    expires = int((ends_at + GRACE).timestamp())
    return signing.dumps({"m": meeting_id, "x": expires, "n": secrets.token_urlsafe(8)}, salt=_SALT)


def meeting_id_from_token(token: str, *, now: dt.datetime) -> str | None:
    """The meeting the token was signed for, or None: not signed by this portal, or expired."""
    try:
        claims = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("m"), str) or not isinstance(claims.get("x"), int):
        return None
    if now.timestamp() > claims["x"]:
        return None
    return claims["m"]


def end_callback_url(meeting_id: str, *, ends_at: dt.datetime) -> str:
    """The absolute portal address BigBlueButton GETs when the meeting ends (meetingEndedURL)."""
    return portal_url("platforms:bbb_callback", query=f"token={callback_token(meeting_id, ends_at=ends_at)}")
