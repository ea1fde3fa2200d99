"""Every write about calls. Each is atomic, checks calls.policy, leaves an audit entry (django-auditlog
on the models) and queues email through notifications.notify inside the same transaction.

The meeting link and passcode never leave these functions towards families: families get a
personal JoinLink to the portal, checked when it is opened (COM-4, CON-1, CALL-6).
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from accounts.permissions import is_leadership, is_staff_member
from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from notifications.recipients import family_recipients, family_recipients_for_pupils
from notifications.services import notify
from school.models import Guardianship, Pupil, SchoolSettings, school_calendar
from toolkit.urls import portal_url

from . import emails, gateway, policy
from .choices import AgreementDecision, ApprovalDecision, CallKind, CallStatus
from .models import CalendarFeed, Call, CallApproval, CallInvitation, HostChecklistTick, JoinAttempt, JoinLink, ParentAgreement
from .platform_settings import ITEM_KEYS

LEFT_OUT = "Left out: no consent for video calls when the call was booked."


class CallError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class BookingRefused(CallError):
    """The booking breaks one or more rules: {field name: problem} for the form to show."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


# --- booking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitees:
    """Who was asked for, and who may take part (CON-1) and be recorded (CON-6)."""

    pupils: list
    consenting_ids: set[int]
    recording_ids: set[int]

    @classmethod
    def load(cls, pupil_ids) -> "Invitees":
        pupils = list(Pupil.objects.on_roll().filter(pk__in=list(pupil_ids)).order_by("last_name", "first_name"))
        ids = [p.pk for p in pupils]
        return cls(pupils, consenting_pupil_ids(ids, Scope.VIDEO_CALLS), consenting_pupil_ids(ids, Scope.RECORDING))

    @property
    def included(self) -> list:
        return [p for p in self.pupils if p.pk in self.consenting_ids]

    @property
    def left_out(self) -> list:
        """CON-1: pupils without video-call consent are not invited."""
        return [p for p in self.pupils if p.pk not in self.consenting_ids]

    def without_recording_permission(self) -> list[str]:
        return [p.full_name for p in self.included if p.pk not in self.recording_ids]


def busy_people(*, starts_at, ends_at, staff_ids, pupil_ids, exclude_call_id=None) -> list[str]:
    """Staff and pupils already in a live call overlapping this time, grouped by the call they are
    in ("Tara Teacher (in “Year 5 maths”, 10:00 to 10:30)"), so the booker knows what to move."""
    staff_ids = {pk for pk in staff_ids if pk}
    pupil_ids = set(pupil_ids)
    clashing = (
        Call.objects.live()
        .overlapping(starts_at, ends_at)
        .exclude(pk=exclude_call_id)
        .filter(
            Q(host__in=staff_ids)
            | Q(second_staff__in=staff_ids)
            | Q(invitations__pupil__in=pupil_ids, invitations__removed_at__isnull=True)
        )
        .distinct()
        .select_related("host", "second_staff")
        .order_by("starts_at")
    )
    busy = []
    for call in clashing:
        starts, ends = call.starts_at.astimezone(policy.LONDON), call.ends_at.astimezone(policy.LONDON)
        people = [str(u) for u in (call.host, call.second_staff) if u is not None and u.pk in staff_ids]
        invited = call.invitations.filter(removed_at__isnull=True, pupil__in=pupil_ids).select_related("pupil")
        people += sorted(i.pupil.full_name for i in invited)
        names = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
        busy.append(f"{names} (in “{call.title}”, {starts:%H:%M} to {ends:%H:%M})")
    return busy


def booking_problems(
    *,
    now,
    kind,
    starts_at,
    duration_minutes,
    host,
    second_staff,
    single_staff_reason,
    record,
    invitees: Invitees,
    exclude_call_id=None,
) -> dict[str, str]:
    """Every rule a booking must meet, as {form field: problem}. Empty when the booking may go ahead.

    All of them at once (issue 19: a person who made several mistakes sees every one in one pass).
    The booking form also asks before its own fields are all valid: then `kind` or `host` may be
    None, and the rules that need them wait until they are given."""
    out_of_bounds = policy.booking_bounds_problem(starts_at=starts_at, duration_minutes=duration_minutes, now=now)
    if out_of_bounds:  # before ends_at is computed: 9999-12-31 23:00 plus 180 minutes overflows
        return out_of_bounds
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    settings_row = SchoolSettings.load()
    second_id = second_staff.pk if second_staff else None
    checks = {
        "starts_at": policy.notice_problem(starts_at=starts_at, now=now, min_notice_hours=settings_row.min_booking_notice_hours)
        or policy.school_hours_problem(starts_at=starts_at, ends_at=ends_at, calendar=school_calendar()),
        "duration_minutes": policy.duration_problem(duration=ends_at - starts_at),
        "second_staff": kind
        and host
        and policy.staffing_problem(
            kind=kind, host_id=host.pk, second_staff_id=second_id, single_staff_reason=single_staff_reason
        ),
        "pupils": kind
        and policy.invitees_problem(kind=kind, invited_count=len(invitees.pupils), consenting_count=len(invitees.consenting_ids)),
        "record": policy.recording_problem(record=record, pupil_names_without_permission=invitees.without_recording_permission()),
    }
    # Who is busy is worth asking only about a time that is itself allowed.
    if not checks["starts_at"] and not checks["duration_minutes"]:
        checks["starts_at"] = policy.double_booking_problem(
            busy_people=busy_people(
                starts_at=starts_at,
                ends_at=ends_at,
                staff_ids={host.pk if host else None, second_id},
                pupil_ids=invitees.consenting_ids,
                exclude_call_id=exclude_call_id,
            )
        )
    return {field: problem for field, problem in checks.items() if problem}


def _check_staff(*, booked_by, host, second_staff):
    for person, what in ((booked_by, "The person booking"), (host, "The host"), (second_staff, "The second member of staff")):
        if person is not None and not is_staff_member(person):
            raise CallError(f"{what} must be a member of staff.")


def _lock_staff(staff_ids):
    """Serialise bookings for the same staff so two overlapping bookings cannot both pass the check."""
    list(User.objects.select_for_update().filter(pk__in=[pk for pk in staff_ids if pk]).values_list("pk", flat=True))


def _lock_pupils(pupil_ids) -> None:
    """Serialise join details and consent withdrawal for the same pupils (CON-3), in pk order."""
    list(Pupil.objects.select_for_update().filter(pk__in=list(pupil_ids)).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def book_call(
    *,
    booked_by,
    now,
    kind,
    title,
    activity,
    platform,
    starts_at,
    duration_minutes,
    host,
    second_staff=None,
    single_staff_reason="",
    record=False,
    pupil_ids=(),
    school_class=None,
    meeting_url="",
    passcode="",
) -> Call:
    """Book a group lesson or a one-to-one (CALL-1..CALL-4, CON-1, CON-6, COM-1).

    Pupils without video-call consent are left out. A group call is scheduled at once and
    families get a notice; a one-to-one waits for a parent's agreement and then approval.
    """
    _check_staff(booked_by=booked_by, host=host, second_staff=second_staff)
    _lock_staff({host.pk, second_staff.pk if second_staff else None})
    invitees = Invitees.load(pupil_ids)
    problems = booking_problems(
        now=now,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        host=host,
        second_staff=second_staff,
        single_staff_reason=single_staff_reason,
        record=record,
        invitees=invitees,
    )
    if problems:
        raise BookingRefused(problems)
    one_to_one = kind == CallKind.ONE_TO_ONE
    call = Call.objects.create(
        kind=kind,
        title=title,
        activity=activity,
        platform=platform,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
        host=host,
        second_staff=second_staff,
        single_staff_reason="" if second_staff else single_staff_reason.strip(),
        record=record,
        status=CallStatus.AWAITING_PARENT if one_to_one else CallStatus.SCHEDULED,
        school_class=school_class,
        booked_by=booked_by,
        booked_at=now,
        changed_at=now,
        meeting_url=meeting_url,
        passcode=passcode,
    )
    for pupil in invitees.included:
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=now)
    for pupil in invitees.left_out:
        # CON-1: not invited, but kept on record so the host sees who was left out and why.
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=now, removed_at=now, removed_reason=LEFT_OUT)
    gateway.book_platform_meeting(call)  # Teams, Meet, Zoom with credentials: made by a task after commit
    if one_to_one:
        _ask_for_agreement(call)
    else:
        _send_notices(call)
        _send_join_details_if_due(call, now)
    return call


def _families(call) -> dict:
    """{guardian: [pupils]} for the call's invitees who may take part now (CON-1, COM-4)."""
    pupils = {p.pk: p for p in Pupil.objects.filter(call_invitations__call=call, call_invitations__removed_at__isnull=True)}
    consenting = consenting_pupil_ids(list(pupils))
    pupils = {pk: p for pk, p in pupils.items() if pk in consenting}

    found: dict = {}
    for pupil_id, guardians in family_recipients_for_pupils(list(pupils)).items():
        for guardian in guardians:
            found.setdefault(guardian, []).append(pupils[pupil_id])
    return found


def _send_notices(call) -> None:
    """COM-1, COM-8: what, when, where and with whom, plus reporting routes, to each family."""
    for guardian, pupils in _families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-notice",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-notice:{call.pk}:v{call.version}:{guardian.pk}",
        )


def _ask_for_agreement(call) -> None:
    """CALL-4: ask the pupil's guardians to agree to this date and time (also the COM-1 notice)."""
    for guardian, pupils in _families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-agreement-request",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-agree:{call.pk}:v{call.version}:{guardian.pk}",
        )


# --- join details ----------------------------------------------------------------------------


def _send_join_details_if_due(call, now) -> int:
    lead = SchoolSettings.load().join_email_lead_hours
    if policy.join_details_due(starts_at=call.starts_at, now=now, lead_hours=lead):
        return send_join_details(call=call, now=now)
    return 0


def send_join_details(*, call, now) -> int:
    """COM-4, CON-1, CALL-4: a personal join link, one email per guardian per consented pupil.

    Consent is read again here, at sending time. Runs inside the caller's transaction; safe to
    run twice (a guardian who already holds an active link for the pupil gets nothing new).
    """
    if not policy.join_details_may_go_out(kind=call.kind, status=call.status):
        return 0
    if not gateway.platform_meeting_ready(call):
        return 0  # the platform's meeting is not made yet: the beat sweep sends once it is
    # Lock order everywhere: calls, then pupils. A withdrawal waits for these locks, so it
    # sees (and revokes) every link written here; a withdrawal that got in first is seen
    # by the consent read in _families below.
    call = _locked(call)
    _lock_pupils(call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True))
    held = set(JoinLink.objects.active().filter(call=call).values_list("guardian_id", "pupil_id"))
    sent = 0
    for guardian, pupils in _families(call).items():
        for pupil in pupils:
            if (guardian.pk, pupil.pk) in held:
                continue
            token, token_hash = _new_token()
            link = JoinLink.objects.create(call=call, guardian=guardian, pupil=pupil, token_hash=token_hash, created_at=now)
            notify(
                to=guardian.email,
                user=guardian.user,
                kind="call-join",
                context={**emails.family_context(call, guardian, [pupil]), "join_url": portal_url("calls:join", token)},
                dedupe_key=f"call-join:{link.pk}",
            )
            sent += 1
    call.join_details_sent_at = now
    call.save(update_fields=["join_details_sent_at"])
    return sent


def send_join_details_for_ref(*, call_ref: str, now) -> int:
    """COM-4: the call's meeting now exists on its platform: send the join details that waited."""
    if not str(call_ref).isdigit():
        return 0
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=int(call_ref), status=CallStatus.SCHEDULED).first()
        if call is None or call.join_details_sent_at is not None:
            return 0
        return _send_join_details_if_due(call, now)


def send_due_join_details(*, now) -> int:
    """The beat sweep: join details for every scheduled call now inside the lead time (COM-4)."""
    lead = dt.timedelta(hours=SchoolSettings.load().join_email_lead_hours)
    due = Call.objects.filter(
        status=CallStatus.SCHEDULED,
        join_details_sent_at__isnull=True,
        starts_at__lte=now + lead,
        starts_at__gt=now - policy.LATE_LOCK,
    ).values_list("pk", flat=True)
    sent = 0
    for call_id in list(due):
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if call.join_details_sent_at is None:
                sent += send_join_details(call=call, now=now)
    return sent


def _revoke_links(links, *, now, reason) -> list:
    """Revoke join links one by one (each change is audited); returns their guardians."""
    revoked = []
    for link in links.select_related("guardian"):
        link.revoked_at = now
        link.revoked_reason = reason
        link.save(update_fields=["revoked_at", "revoked_reason"])
        revoked.append(link.guardian)
    return revoked


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
    Only an allowed attempt hands over the platform link, asked of calls.gateway at this moment
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
        answer = gateway.platform_link_for(call, pupil, now=now)
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


@transaction.atomic
def send_new_join_link(*, link: JoinLink, sent_by, now) -> JoinLink:
    """Issue 16: a family whose link is held by another browser (a new phone, cookies cleared) gets
    a fresh one, sent to the school's address for them; the old link stops working at once.

    Only the call's own staff and leadership may do this, and only while join details may still
    go out and the link is in force. The new link is free until a browser joins with it.
    """
    call = _locked(link.call)
    if sent_by.pk not in call.staff_ids() and not is_leadership(sent_by):
        raise CallError("Only the call's staff or the headteacher and deputy can send a family a new join link.")
    link = JoinLink.objects.select_for_update().select_related("guardian", "pupil").get(pk=link.pk)
    if link.revoked_at is not None or not policy.join_details_may_go_out(kind=call.kind, status=call.status):
        raise CallError("That join link is no longer in force, so no new one can be sent for it.")
    if now >= call.starts_at + policy.LATE_LOCK:
        raise CallError("This call is locked, so nobody else can join it.")
    _revoke_links(JoinLink.objects.filter(pk=link.pk), now=now, reason="Replaced by a new link sent by the school")
    token, token_hash = _new_token()
    fresh = JoinLink.objects.create(call=call, guardian=link.guardian, pupil=link.pupil, token_hash=token_hash, created_at=now)
    guardian = link.guardian
    notify(
        to=guardian.email,
        user=guardian.user,
        kind="call-join",
        context={**emails.family_context(call, guardian, [link.pupil]), "join_url": portal_url("calls:join", token)},
        dedupe_key=f"call-join:{fresh.pk}",
    )
    return fresh


@transaction.atomic
def send_join_details_again(*, call, guardian, now) -> int:
    """Issue 19 (COM-4): a parent who cannot find the join email asks for it again from the call's
    page. Their own links for this call are replaced (a link's token is never stored, so the old
    email cannot be repeated) and the new email goes only to the school's address for them.
    Refused before join details are due, once the call is locked, and for children not on it."""
    call = _locked(call)
    if not policy.join_details_may_go_out(kind=call.kind, status=call.status) or call.join_details_sent_at is None:
        raise CallError("The join email for this call has not gone out yet: it is sent before the call starts.")
    if now >= call.starts_at + policy.LATE_LOCK:
        raise CallError("This call is locked, so nobody else can join it.")
    families = _families(call)
    pupils = next((p for g, p in families.items() if g.pk == guardian.pk), [])
    if not pupils:
        raise CallError("Join details for this call go to another parent or carer: please ask the school office.")
    _lock_pupils([p.pk for p in pupils])
    own = JoinLink.objects.active().filter(call=call, guardian=guardian)
    _revoke_links(own, now=now, reason="Sent again at the parent's request.")
    for pupil in pupils:
        token, token_hash = _new_token()
        link = JoinLink.objects.create(call=call, guardian=guardian, pupil=pupil, token_hash=token_hash, created_at=now)
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-join",
            context={**emails.family_context(call, guardian, [pupil]), "join_url": portal_url("calls:join", token)},
            dedupe_key=f"call-join:{link.pk}",
        )
    return len(pupils)


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
    answer = gateway.staff_link(call, user, now=now)
    if answer.refusal or not answer.url:
        raise CallError(answer.refusal or "The platform gave no link. Please try again.")
    return answer.url


# --- one-to-one agreement and approval ---------------------------------------------------------


def _locked(call) -> Call:
    """The call's row, locked until the end of the transaction (two people may act at once)."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to second_staff.
    return Call.objects.select_for_update(of=("self",)).select_related("host", "second_staff", "booked_by").get(pk=call.pk)


@transaction.atomic
def record_parent_agreement(*, call, guardian, decided_by, now, agree: bool, suitable_times: str = "") -> ParentAgreement:
    """CALL-4: a guardian with parental responsibility agrees to (or declines) this date and time;
    on declining they may say which times suit them (issue 19), which the host is sent."""
    call = _locked(call)
    invited = call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)
    if not Guardianship.objects.filter(guardian=guardian, pupil_id__in=invited, parental_responsibility=True).exists():
        raise CallError("Only a parent or carer with parental responsibility for this child can answer.")
    if call.status != CallStatus.AWAITING_PARENT:
        raise CallError(f"This call is not waiting for a parent's answer (it is: {call.get_status_display().lower()}).")
    try:
        with transaction.atomic():
            agreement = ParentAgreement.objects.create(
                call=call,
                guardian=guardian,
                decision=AgreementDecision.AGREED if agree else AgreementDecision.DECLINED,
                for_starts_at=call.starts_at,
                decided_at=now,
                decided_by=decided_by,
                suitable_times="" if agree else suitable_times.strip(),
            )
    except IntegrityError:
        raise CallError("Another parent or carer has already answered for this time.") from None
    call.status = CallStatus.AWAITING_APPROVAL if agree else CallStatus.DRAFT
    call.changed_at = now
    call.save(update_fields=["status", "changed_at"])
    notify(
        to=call.host.email,
        user=call.host,
        kind="call-agreement-decided",
        context=emails.staff_context(call, agreement=agreement),
        dedupe_key=f"call-agreement-decided:{agreement.pk}",
    )
    return agreement


def _decide(*, call, approver, now, decision, reason) -> CallApproval:
    call = _locked(call)
    verdict = policy.may_decide_approval(
        approver_id=approver.pk,
        approver_is_leadership=is_leadership(approver),
        booked_by_id=call.booked_by_id,
        staff_ids=call.staff_ids(),
    )
    if not verdict.allowed:
        raise CallError(verdict.reason)
    if call.status != CallStatus.AWAITING_APPROVAL:
        raise CallError(f"This call is not awaiting approval (it is: {call.get_status_display().lower()}).")
    try:
        with transaction.atomic():
            approval = CallApproval.objects.create(
                call=call,
                approver=approver,
                decision=decision,
                reason=reason.strip(),
                for_starts_at=call.starts_at,
                decided_at=now,
            )
    except IntegrityError:
        raise CallError("Someone else has already decided on this call.") from None
    call.status = CallStatus.SCHEDULED if decision == ApprovalDecision.APPROVED else CallStatus.DRAFT
    call.changed_at = now
    call.save(update_fields=["status", "changed_at"])
    notify(
        to=call.host.email,
        user=call.host,
        kind="call-approval-decided",
        context=emails.staff_context(call, approval=approval),
        dedupe_key=f"call-approval-decided:{approval.pk}",
    )
    _tell_agreeing_parent(call, approval)
    return approval


def _tell_agreeing_parent(call, approval) -> None:
    """Issue 19: the parent who agreed the time hears whether the one-to-one was approved or not
    (the head's reason is for the host, so the parent is told only that the school will be in touch)."""
    agreement = call.agreements.filter(voided_at__isnull=True, decision=AgreementDecision.AGREED).first()
    if agreement is None:
        return
    families = _families(call)
    guardian = next((g for g in families if g.pk == agreement.guardian_id), None)
    if guardian is None:
        return  # no longer entitled to the call's notices (COM-4)
    pupils = families[guardian]
    notify(
        to=guardian.email,
        user=guardian.user,
        kind="call-approval-family",
        context={**emails.family_context(call, guardian, pupils), "approved": approval.decision == ApprovalDecision.APPROVED},
        dedupe_key=f"call-approval-family:{approval.pk}",
    )


@transaction.atomic
def approve_call(*, call, approver, now, reason="") -> CallApproval:
    """CALL-4: the head or deputy approves a one-to-one the parent agreed to; join details may follow."""
    approval = _decide(call=call, approver=approver, now=now, decision=ApprovalDecision.APPROVED, reason=reason)
    _send_join_details_if_due(approval.call, now)
    return approval


@transaction.atomic
def decline_call(*, call, approver, now, reason) -> CallApproval:
    """CALL-4: the head or deputy declines, with a reason the host sees. The call goes back to draft."""
    if not reason.strip():
        raise CallError("Give a reason for declining, so the host knows what to change.")
    return _decide(call=call, approver=approver, now=now, decision=ApprovalDecision.DECLINED, reason=reason)


# --- changes -----------------------------------------------------------------------------------


@transaction.atomic
def change_call_time(*, call, changed_by, now, starts_at, duration_minutes) -> Call:
    """CALL-5, COM-2: move a call. Join links are cancelled and sent again for the new time;
    for a one-to-one the parent's agreement and the approval are void and asked for again."""
    call = _locked(call)
    if call.status in (CallStatus.CANCELLED, CallStatus.HELD):
        raise CallError("A cancelled or held call cannot be moved.")
    _lock_staff(call.staff_ids())
    active = CallInvitation.objects.filter(call=call, removed_at__isnull=True).values_list("pupil_id", flat=True)
    invitees = Invitees.load(active)
    problems = booking_problems(
        now=now,
        kind=call.kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        host=call.host,
        second_staff=call.second_staff,
        single_staff_reason=call.single_staff_reason,
        record=call.record,
        invitees=invitees,
        exclude_call_id=call.pk,
    )
    problems.pop("pupils", None)  # who is invited is not changing; consent is checked again at sending
    if problems:
        raise BookingRefused(problems)
    call.starts_at, call.duration_minutes = starts_at, duration_minutes
    call.ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    call.version += 1
    call.changed_at = now
    call.join_details_sent_at = None
    _revoke_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call's time changed.")
    if call.is_one_to_one:
        _void_one_to_one_decisions(call, now)
        call.status = CallStatus.AWAITING_PARENT
        call.save()
        _ask_for_agreement(call)
        return call
    call.save()
    gateway.book_platform_meeting(call)  # the new time goes into the meeting's spec (applied by the drift check)
    for guardian, pupils in _families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-changed",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-changed:{call.pk}:v{call.version}:{guardian.pk}",
        )
    _send_join_details_if_due(call, now)
    return call


def _void_one_to_one_decisions(call, now) -> None:
    """CALL-5: an agreement or approval is for one date and time only."""
    for row in [*call.agreements.filter(voided_at__isnull=True), *call.approvals.filter(voided_at__isnull=True)]:
        row.voided_at = now
        row.save(update_fields=["voided_at"])


@transaction.atomic
def cancel_call(*, call, cancelled_by, now, reason) -> Call:
    """COM-2: cancel a call; its join links stop working and every family told of it hears."""
    call = _locked(call)
    if call.status in (CallStatus.CANCELLED, CallStatus.HELD):
        raise CallError("This call is already cancelled or has been held.")
    if not reason.strip():
        raise CallError("Give a reason: families are told why.")
    families = _families(call)
    call.status, call.cancelled_at, call.cancel_reason = CallStatus.CANCELLED, now, reason.strip()
    call.changed_at = now
    call.save(update_fields=["status", "cancelled_at", "cancel_reason", "changed_at"])
    _revoke_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call was cancelled.")
    gateway.cancel_platform_meeting(call)  # Teams, Meet, Zoom: the meeting goes too (a task after commit)
    for guardian, pupils in families.items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-cancelled",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-cancelled:{call.pk}:{guardian.pk}",
        )
    return call


@transaction.atomic
def set_meeting_details(*, call, changed_by, meeting_url, passcode) -> Call:
    """The platform link and passcode, staff-only (excluded from audit history; never logged)."""
    call = _locked(call)
    call.meeting_url, call.passcode = meeting_url, passcode
    call.save(update_fields=["meeting_url", "passcode"])
    return call


@transaction.atomic
def mark_call_held(*, call, by, now) -> Call:
    """The call took place (the session-log app calls this when a log is written)."""
    call = _locked(call)
    if call.status != CallStatus.SCHEDULED:
        raise CallError("Only a scheduled call can be marked as held.")
    call.status = CallStatus.HELD
    call.changed_at = now  # the feed's description says "Held"
    call.save(update_fields=["status", "changed_at"])
    _revoke_links(JoinLink.objects.active().filter(call=call), now=now, reason="The call has taken place.")
    return call


@transaction.atomic
def tick_checklist(*, call, item, ticked_by, now, ticked=True) -> None:
    """CALL-6: the host (or second staff member) confirms one platform setting for this call."""
    if item not in ITEM_KEYS:
        raise CallError("That is not one of the required platform settings.")
    if ticked_by.pk not in call.staff_ids():
        raise CallError("Only the call's staff can tick its checklist.")
    if ticked:
        HostChecklistTick.objects.get_or_create(call=call, item=item, defaults={"ticked_by": ticked_by, "ticked_at": now})
    else:
        for tick in HostChecklistTick.objects.filter(call=call, item=item):
            tick.delete()


# --- calendar feeds ----------------------------------------------------------------------------


@transaction.atomic
def issue_calendar_feed(*, user, now) -> str:
    """COM-2: a new secret feed address for `user`; any earlier one stops working. Returns the token."""
    revoke_calendar_feed(user=user, now=now)
    token, token_hash = _new_token()
    CalendarFeed.objects.create(user=user, token_hash=token_hash, created_at=now)
    return token


@transaction.atomic
def revoke_calendar_feed(*, user, now) -> None:
    for feed in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
