"""Every write about safeguarding. Each is atomic, checks the policy, is audit-logged by
django-auditlog in the same transaction (content fields excluded), and queues alerts through
notifications.notify, which sends after commit. Alerts never carry names or details (SG-2)."""

from auditlog.context import disable_auditlog
from django.db import IntegrityError, transaction

from accounts.audit import acting_as
from accounts.models import User
from notifications.services import notify
from school.models import SchoolSettings
from toolkit.urls import portal_url

from . import policy, selectors
from .choices import AccessPurpose, AlertReason, EntryKind
from .models import Concern, ConcernAccess, ConcernAlert, ConcernEntry, ConcernPupil, DslAbsence, PupilFileExport

ALERT_KIND = {
    AlertReason.NEW: "concern-alert",
    AlertReason.DSL_UNAVAILABLE: "concern-alert",
    AlertReason.NOBODY_AVAILABLE: "concern-alert",
    AlertReason.FURTHER_INFORMATION: "concern-further-information",
    AlertReason.ESCALATION: "concern-escalation",
}


class ConcernError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


def concern_link(concern) -> str:
    return portal_url("safeguarding:concern", concern.pk)


def _alert(*, concern, recipient_ids, reason, now, dedupe_prefix) -> list[ConcernAlert]:
    """Record and email one alert per person: a link, nothing else (SG-2)."""
    alerts = []
    for user in User.objects.filter(pk__in=recipient_ids, is_active=True).order_by("pk"):
        alerts.append(ConcernAlert.objects.create(concern=concern, recipient=user, reason=reason, at=now))
        notify(
            to=user.email,
            kind=ALERT_KIND[reason],
            context={"link": concern_link(concern), "reason": reason, "reason_label": AlertReason(reason).label},
            dedupe_key=f"{dedupe_prefix}:{user.pk}",
            user=user,
        )
    return alerts


def _route_to_dsl(*, concern, now, dedupe_prefix, reason=None) -> list[ConcernAlert]:
    """SG-2: the DSL, or the deputy DSLs while the DSL is marked unavailable."""
    routing = policy.alert_routing(unavailable_ids=selectors.unavailable_user_ids(now), **selectors.dsl_team_ids())
    return _alert(
        concern=concern,
        recipient_ids=routing.recipient_ids,
        reason=reason or routing.reason,
        now=now,
        dedupe_prefix=dedupe_prefix,
    )


@transaction.atomic
def raise_concern(
    *,
    reported_by,
    pupils,
    kind,
    happened_at,
    what_happened,
    action_taken,
    now,
    childs_words="",
    source_call_id=None,
    source_log_id=None,
) -> Concern:
    """SG-1, SG-2: record a concern about pupils on roll and alert the DSL at once."""
    pupils = list(pupils)
    problems = policy.report_refusal(
        kind=kind, pupil_count=len(pupils), childs_words=childs_words, happened_at=happened_at, now=now
    )
    if problems:
        raise ConcernError(" ".join(problems.values()))
    if any(p.left_on for p in pupils):
        raise ConcernError("A concern can only be raised here about pupils on roll.")
    concern = Concern.objects.create(
        reported_by=reported_by, raised_at=now, happened_at=happened_at, kind=kind, what_happened=what_happened,
        childs_words=childs_words or None, action_taken=action_taken, source_call_id=source_call_id, source_log_id=source_log_id,
    )  # fmt: skip
    for pupil in pupils:
        ConcernPupil.objects.create(concern=concern, pupil=pupil)
    _route_to_dsl(concern=concern, now=now, dedupe_prefix=f"concern-alert:{concern.pk}")
    return concern


def _locked(concern) -> Concern:
    """Lock the concern row (SELECT ... FOR UPDATE never changes it) so two DSLs act one at a time."""
    return selectors.with_state(Concern.objects.select_for_update(of=("self",))).get(pk=concern.pk)


def _add_entry(*, concern, kind, by, now, text="", action="", outcome="", corrects=None, happened_at=None) -> ConcernEntry:
    current = _locked(concern)
    refusal = policy.entry_refusal(
        kind=kind, acknowledged=bool(current.acknowledged_at), closed=bool(current.closed_at), has_text=bool(text.strip())
    )
    if refusal:
        raise ConcernError(refusal)
    try:
        with transaction.atomic():
            return ConcernEntry.objects.create(
                concern=concern, kind=kind, recorded_by=by, recorded_at=now, text=text or None, action=action, outcome=outcome,
                corrects=corrects, happened_at=happened_at,
            )  # fmt: skip
    except IntegrityError as exc:  # the unique constraints: someone else got there first
        raise ConcernError("Someone else has just done this; reload the page.") from exc


@transaction.atomic
def add_further_information(*, concern, added_by, text, now) -> ConcernEntry:
    """SG-1: the reporter adds to their own report later (append-only); the DSL is told there is more."""
    if concern.reported_by_id != added_by.pk:
        raise ConcernError("Only the person who raised a concern can add to it here.")
    entry = _add_entry(concern=concern, kind=EntryKind.FURTHER_INFORMATION, by=added_by, now=now, text=text)
    _route_to_dsl(concern=concern, now=now, dedupe_prefix=f"concern-info:{entry.pk}", reason=AlertReason.FURTHER_INFORMATION)
    return entry


@transaction.atomic
def acknowledge(*, concern, by, now) -> ConcernEntry:
    """SG-4: a member of the DSL team takes the concern on; stops escalation (SG-5)."""
    return _add_entry(concern=concern, kind=EntryKind.ACKNOWLEDGED, by=by, now=now)


@transaction.atomic
def add_note(*, concern, by, text, now) -> ConcernEntry:
    """SG-4: a note in the chronology."""
    return _add_entry(concern=concern, kind=EntryKind.NOTE, by=by, now=now, text=text)


@transaction.atomic
def record_action(*, concern, by, action, text, now, happened_at=None) -> ConcernEntry:
    """SG-4: an action taken (phone call to the family, home visit, referral, monitoring...),
    with the time it happened when that was before it was written down."""
    refusal = policy.action_time_refusal(happened_at=happened_at, now=now)
    if refusal:
        raise ConcernError(refusal)
    return _add_entry(concern=concern, kind=EntryKind.ACTION, by=by, now=now, text=text, action=action, happened_at=happened_at)


@transaction.atomic
def close_concern(*, concern, by, outcome, text, now) -> ConcernEntry:
    """SG-4: close with an outcome. The record stays; notes may still be added."""
    return _add_entry(concern=concern, kind=EntryKind.CLOSED, by=by, now=now, text=text, outcome=outcome)


@transaction.atomic
def correct_entry(*, entry, by, text, now) -> ConcernEntry:
    """SG-4: a correction is a new entry pointing at the one it corrects; the old one stays."""
    return _add_entry(concern=entry.concern, kind=EntryKind.CORRECTION, by=by, now=now, text=text, corrects=entry)


def record_access(*, concern, user, now, purpose=AccessPurpose.OPENED) -> ConcernAccess:
    """SG-3: every read of a concern's content is recorded: who, when, why. The row is itself the
    record of who read what, so no audit diff is added (as for a page of many, _record_accesses).
    It is one INSERT on every opening of a concern, committed by itself (not wrapped in a
    transaction of its own, which would cost a BEGIN and a COMMIT more), or with the caller's
    transaction when there is one."""
    with disable_auditlog():
        return ConcernAccess.objects.create(concern=concern, user=user, at=now, purpose=purpose)


@transaction.atomic
def read_pupil_chronology(*, events, user, now) -> list[dict]:
    """SG-4, SG-3: one page of a pupil's chronology (keys from selectors.chronology_events),
    with the concerns raised and the entries on it; each concern shown on the page is recorded
    as read. Returns the page's events in order as {"at", "concern", "entry"}."""
    events = list(events)
    record_chronology_reading(events=events, user=user, now=now)
    return selectors.chronology_timeline(events)


def record_chronology_reading(*, events, user, now) -> None:
    """SG-3: every concern a page of the chronology shows (raised on it, or with an entry on it)
    is recorded as read by `user`, from the page's keys alone: the page itself may come drawn
    from the cache (toolkit/summaries.py), the record never does."""
    shown = dict.fromkeys(e["concern_ref"] for e in events)
    ConcernAccess.objects.bulk_create(
        ConcernAccess(concern_id=ref, user=user, at=now, purpose=AccessPurpose.CHRONOLOGY) for ref in shown
    )


def _record_accesses(concerns, *, user, now, purpose) -> None:
    """SG-3 for a page showing many concerns: one access row per concern, in one insert.
    The access rows are themselves the record of who read what (no audit diff to add)."""
    ConcernAccess.objects.bulk_create(ConcernAccess(concern=c, user=user, at=now, purpose=purpose) for c in concerns)


@transaction.atomic
def export_pupil_file(*, pupil, by, now) -> bytes:
    """Transfer: the pupil's safeguarding file as a PDF for the receiving school; the export and
    every concern in it are recorded (SG-3)."""
    from .pdf import render_pupil_file

    concerns = list(pupil.safeguarding_concerns.select_related("reported_by").order_by("raised_at", "pk"))
    _record_accesses(concerns, user=by, now=now, purpose=AccessPurpose.EXPORTED)
    PupilFileExport.objects.create(pupil=pupil, exported_by=by, exported_at=now, concern_count=len(concerns))
    return render_pupil_file(pupil=pupil, concerns=concerns, exported_by=by, now=now)


@transaction.atomic
def escalate_if_overdue(*, concern_id, now) -> bool:
    """SG-5: alert the deputy DSLs and the headteacher about an overdue concern, once."""
    concern = _locked(Concern(pk=concern_id))
    overdue = policy.is_acknowledgement_overdue(
        raised_at=concern.raised_at, acknowledged=bool(concern.acknowledged_at), closed=bool(concern.closed_at), now=now,
        ack_minutes=SchoolSettings.load().concern_ack_minutes,
    )  # fmt: skip
    if not overdue or concern.escalated:
        return False
    ConcernEntry.objects.create(concern=concern, kind=EntryKind.ESCALATED, recorded_by=None, recorded_at=now)
    team = selectors.dsl_team_ids()
    recipients = policy.escalation_recipient_ids(deputy_ids=team["deputy_ids"], head_ids=team["head_ids"])
    _alert(
        concern=concern,
        recipient_ids=recipients,
        reason=AlertReason.ESCALATION,
        now=now,
        dedupe_prefix=f"concern-escalation:{concern.pk}",
    )
    return True


def _check_period(*, starts_at, ends_at, now):
    if ends_at <= starts_at:
        raise ConcernError("The end must be after the start.")
    if ends_at <= now:
        raise ConcernError("This period has already ended.")


@transaction.atomic
def mark_unavailable(*, user, starts_at, ends_at, reason, recorded_by, now) -> DslAbsence:
    """SG-2: a period when this member of the DSL team cannot take concerns."""
    _check_period(starts_at=starts_at, ends_at=ends_at, now=now)
    with acting_as(recorded_by):  # the audit entry names who marked it, in a request or a script
        return DslAbsence.objects.create(
            user=user, starts_at=starts_at, ends_at=ends_at, reason=reason, recorded_by=recorded_by, recorded_at=now
        )


@transaction.atomic
def end_unavailability(*, absence, by, now) -> None:
    """SG-2: back early. A period not yet begun is cancelled; one under way ends now."""
    absence = DslAbsence.objects.select_for_update().get(pk=absence.pk)
    with acting_as(by):
        if absence.starts_at >= now:
            absence.delete()
        elif absence.ends_at > now:
            absence.ends_at = now
            absence.save(update_fields=["ends_at"])
