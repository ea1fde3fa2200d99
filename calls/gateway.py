"""The join gateway: the one place that decides whether a person gets a call's platform link now.

A family's personal link (emailed, or the Join button on their call page) and a member of staff's
Start button both come here at the moment of joining, so a forwarded email is useless outside the
join window. The portal's own checks come first (who holds the link, consent, scheduled, window,
lock; calls.policy); only then is the platform asked for the address, through one plain call into
the platform app (platforms.meetings). Every attempt is recorded (JoinAttempt); every platform
failure becomes a refusal with a message safe to show.

Whether a BigBlueButton call really goes to a BigBlueButton server is a setting, never code
(PORTAL_PLATFORM with URL and secret). Without a server the call behaves like any manual platform:
the host's stored link and the tick-box checklist.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from consent.selectors import consenting_pupil_ids
from notifications.recipients import family_recipients
from notifications.services import notify
from platforms import meetings as platform_meetings
from school.models import Pupil, SchoolSettings

from . import emails, policy
from .choices import Platform
from .meetings import platform_applies_settings, recording_consented_by_all
from .models import Call, CallInvitation, JoinAttempt, JoinLink
from .services import CallError
from .services.common import hash_token

_BUILT_AT_JOINING = frozenset({Platform.BIGBLUEBUTTON, Platform.MICROSOFT_TEAMS, Platform.GOOGLE_MEET, Platform.ZOOM})


@dataclass(frozen=True)
class JoinOutcome:
    allowed: bool
    reason: str
    call: Call
    pupil: Pupil
    platform_url: str = ""


@dataclass(frozen=True)
class JoinHolder:
    """Who pressed the join button: the signed-in account (None if signed out) and this
    browser's join key (the secret in its join cookie, made by the view; never empty)."""

    user: User | None
    browser: str


class JoinLinkNotFound(Exception):
    """No link has this token (the view answers 404, as for any unknown address)."""


def find_join_link(token: str) -> JoinLink:
    link = (
        JoinLink.objects.select_related("call", "call__host", "call__second_staff", "pupil", "guardian")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        raise JoinLinkNotFound
    return link


def open_join_link(*, token, now, holder: JoinHolder) -> JoinOutcome:
    """CON-1, CALL-4, CALL-6, COM-4: check at this moment whether this person may join; record the attempt.

    First who holds the link (issue 16: one holder per link, never a bearer token): the
    guardian's own account, signed in, or for a guardian without an account the first browser
    it admitted. Someone else holding it is refused and the host is told. Then the call's rules.
    Only an allowed attempt hands over the platform link, asked of the platform (platform_link_for below) at this moment
    and only after the portal's own checks pass (so outside the window no platform is asked at
    all). No transaction is open while the platform answers (a slow server must not hold a
    database connection); the attempt is one insert.
    """
    return _open_link(find_join_link(token), now=now, holder=holder)


def open_own_join_link(*, call, user, now, holder: JoinHolder) -> JoinOutcome:
    """Issue 19: the Join button on the family's call page goes through the same gateway as the
    emailed link: the signed-in guardian's own newest link in force for this call, checked and
    recorded exactly as open_join_link does. JoinLinkNotFound if they hold none."""
    link = (
        JoinLink.objects.active()
        .filter(call=call, guardian__user=user)
        .select_related("call", "call__host", "call__second_staff", "pupil", "guardian")
        .order_by("-created_at", "-pk")
        .first()
    )
    if link is None:
        raise JoinLinkNotFound
    return _open_link(link, now=now, holder=holder)


def _open_link(link, *, now, holder: JoinHolder) -> JoinOutcome:
    call, pupil = link.call, link.pupil
    browser = hash_token(holder.browser)
    refusal = _holder_refusal(link, holder, browser) or policy.join_refusal(
        now=now,
        starts_at=call.starts_at,
        window_minutes=SchoolSettings.load().join_window_minutes,
        kind=call.kind,
        status=call.status,
        consent_in_force=pupil.pk in consenting_pupil_ids([pupil.pk]),
        still_invited=CallInvitation.objects.filter(call=call, pupil=pupil, removed_at__isnull=True).exists(),
        link_revoked=link.revoked_at is not None,
        guardian_entitled=any(g.pk == link.guardian_id for g in family_recipients(pupil)),
    )
    if refusal is None and link.guardian.user_id is None:
        refusal = _hold_for_browser(link, browser, now)
    url = ""
    if refusal is None:
        answer = platform_link_for(call, pupil, now=now)
        url, refusal = answer.url, answer.refusal
    if refusal is None and not url:
        refusal = "The staff have not added the meeting link yet. Please try again in a minute or contact the school office."
    url = url if refusal is None else ""
    reason = (refusal or "")[: JoinAttempt._meta.get_field("reason").max_length]
    with transaction.atomic():
        JoinAttempt.objects.create(link=link, call=call, at=now, allowed=refusal is None, reason=reason)
        if policy.host_told_of_refusal(refusal):
            _tell_host_link_misused(link, holder, now)
    return JoinOutcome(allowed=refusal is None, reason=refusal or "", call=call, pupil=pupil, platform_url=url)


def _holder_refusal(link, holder: JoinHolder, browser: str) -> str | None:
    user = holder.user if holder.user is not None and holder.user.is_authenticated else None
    return policy.join_holder_refusal(
        guardian_user_id=link.guardian.user_id,
        signed_in_user_id=user.pk if user else None,
        held_by=link.held_by,
        this_browser=browser,
    )


def _hold_for_browser(link, browser: str, now) -> str | None:
    """The first browser admitted holds the link. A conditional UPDATE, so of two browsers
    pressing at the same moment exactly one wins; the other is refused as any later one is."""
    if link.held_by == browser:
        return None
    taken = JoinLink.objects.filter(pk=link.pk, held_by="").update(held_by=browser, held_since=now)
    if taken:
        link.held_by, link.held_since = browser, now
        return None
    link.refresh_from_db(fields=["held_by", "held_since"])
    return policy.join_holder_refusal(guardian_user_id=None, signed_in_user_id=None, held_by=link.held_by, this_browser=browser)


def _tell_host_link_misused(link, holder: JoinHolder, now) -> None:
    """Once per link: the host hears that someone other than the family tried to use it."""
    call = link.call
    signed_in = holder.user if holder.user is not None and holder.user.is_authenticated else None
    notify(
        to=call.host.email,
        user=call.host,
        kind="call-join-link-misused",
        context=emails.staff_context(
            call,
            pupil=link.pupil,
            guardian=link.guardian.full_name,
            at=emails.moment(now),
            signed_in_as=str(signed_in) if signed_in else "",
        ),
        dedupe_key=f"call-join-link-misused:{link.pk}",
    )


def host_join_link(*, call, user, now) -> str:
    """CALL-6: the MODERATOR link for the call's host or second member of staff, built at this moment
    (it creates the meeting with the policy's settings). Raises CallError with the reason otherwise."""
    if user.pk not in call.staff_ids():
        raise CallError("Only the call's host and second member of staff can start it.")
    refusal = policy.host_start_refusal(
        now=now,
        starts_at=call.starts_at,
        ends_at=call.ends_at,
        window_minutes=SchoolSettings.load().join_window_minutes,
        status=call.status,
    )
    if refusal:
        raise CallError(refusal)
    answer = staff_link(call, user, now=now)
    if answer.refusal or not answer.url:
        raise CallError(answer.refusal or "The platform gave no link. Please try again.")
    return answer.url


# --- asking the platform ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformAnswer:
    url: str = ""
    refusal: str | None = None


def platform_link_for(call, pupil, *, now) -> PlatformAnswer:
    """The address a family uses to enter `call` for `pupil`, asked at the moment of joining."""
    # BigBlueButton and the hosted platforms (Teams, Meet, Zoom) hand over the link built now, once
    # the platform app has checked the meeting's settings; the manual platform, the host's stored link.
    if call.platform not in _BUILT_AT_JOINING:
        return PlatformAnswer(url=call.meeting_url)
    answer = bigbluebutton_link(call, pupil, now)
    if isinstance(answer, str):
        return PlatformAnswer(url=answer)
    return PlatformAnswer(url=getattr(answer, "url", "") or "", refusal=getattr(answer, "refusal", None))


def bigbluebutton_link(call, pupil, now):
    """CALL-3, CALL-6, CON-6: the child's own VIEWER link, built now, or why not.

    Without a configured server this is the manual platform: the host's stored link, unchanged.
    """
    if not platform_applies_settings(call):
        return call.meeting_url
    return platform_meetings.pupil_link_for_call(
        call, pupil, recording_consented_by_all=recording_consented_by_all(call), now=now
    )


def staff_link(call, user, *, now) -> PlatformAnswer:
    """A member of staff's MODERATOR link, built now (it creates the meeting with the policy's settings)."""
    answer = platform_meetings.staff_link_for_call(
        call, user, recording_consented_by_all=recording_consented_by_all(call), now=now
    )
    return PlatformAnswer(url=answer.url or "", refusal=answer.refusal)
