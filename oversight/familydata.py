"""A family's data (GOV-4): everything the portal holds about one child that a guardian may see.

Each section is built by one selector over one app's records (this app sits above them all:
docs/architecture.md). Safeguarding records are never
included: families ask for those through a subject access request to the school's data
protection officer (docs/governance.md). Staff-only details (meeting links, passcodes,
staff notes) are left out by listing, for each record, exactly the fields a family may see.
"""

from django.db.models import Q
from django.utils import timezone

from calls.models import CallInvitation, JoinAttempt
from consent.models import AcceptableUseAcknowledgement, ConsentDecision, FamilyQuestion
from notifications.models import OutboxMessage
from school.models import Guardianship
from sessionlogs.models import SessionLogPupil


def _section(title, rows=None, *, note=""):
    return {"title": title, "available": True, "rows": rows or [], "note": note}


def _person(user) -> str:
    return user.get_full_name() or user.email if user else ""


def _when(value):
    return timezone.localtime(value) if value else None


def child_details(pupil, guardian) -> dict:
    link = Guardianship.objects.filter(pupil=pupil, guardian=guardian).first()
    return {
        "first_name": pupil.first_name,
        "last_name": pupil.last_name,
        "date_of_birth": pupil.date_of_birth,
        "class": str(pupil.school_class) if pupil.school_class else "",
        "personal_email": pupil.personal_email,
        "left_on": pupil.left_on,
        "your_relationship": link.relationship if link else "",
        "you_have_parental_responsibility": bool(link and link.parental_responsibility),
    }


def consent_history(pupil) -> dict:
    model = ConsentDecision
    rows = [
        {
            "scope": d.get_scope_display(),
            "decision": d.get_decision_display(),
            "decided_at": _when(d.decided_at),
            "by": d.guardian.full_name,
            "method": d.get_method_display(),
            "entered_by": _person(d.entered_by),
            "policy_version": d.policy_version.version if d.policy_version else "",
        }
        for d in model._base_manager.filter(pupil=pupil)
        .select_related("guardian", "entered_by", "policy_version")
        .order_by("decided_at", "pk")
    ]
    return _section("Consent history", rows)


def acknowledgements(pupil) -> dict:
    model = AcceptableUseAcknowledgement
    rows = [
        {"guidance": str(a.document), "acknowledged_at": _when(a.acknowledged_at), "by": _person(a.user)}
        for a in model._base_manager.filter(pupil=pupil).select_related("document", "user").order_by("acknowledged_at", "pk")
    ]
    return _section("Acceptable-use acknowledgements", rows)


def calls(pupil) -> dict:
    model = CallInvitation
    invitations = model._default_manager.filter(pupil=pupil).select_related("call", "call__host", "call__second_staff")
    rows = [
        {
            "title": i.call.title,
            "kind": i.call.get_kind_display(),
            "what_your_child_did_online": i.call.activity,
            "platform": i.call.get_platform_display(),
            "starts_at": _when(i.call.starts_at),
            "minutes": i.call.duration_minutes,
            "staff": ", ".join(_person(u) for u in (i.call.host, i.call.second_staff) if u),
            "status": i.call.get_status_display(),
            "invited_at": _when(i.invited_at),
            "removed_at": _when(i.removed_at),
            "removed_because": i.removed_reason,
        }
        for i in invitations.order_by("call__starts_at", "pk")
    ]
    return _section("Calls", rows)


def join_attempts(pupil) -> dict:
    model = JoinAttempt
    attempts = model._default_manager.filter(link__pupil=pupil).select_related("call", "link__guardian")
    rows = [
        {"call": a.call.title, "at": _when(a.at), "by": a.link.guardian.full_name, "let_in": a.allowed, "reason": a.reason}
        for a in attempts.order_by("at", "pk")
    ]
    return _section("Joining calls", rows)


def attendance(pupil) -> dict:
    """Whether the child was admitted to each session held (LOG-1), from the session logs."""
    model = SessionLogPupil
    attended = model._default_manager.filter(pupil=pupil).select_related("log", "log__call")
    rows = [
        {
            "call": a.log.call.title,
            "started_at": _when(a.log.started_at),
            "minutes": a.log.length_minutes,
            "attendance": a.get_outcome_display(),
            "joined_at": _when(a.joined_at),
        }
        for a in attended.order_by("log__started_at", "pk")
    ]
    return _section("Attendance at sessions held", rows)


def messages_to(user, guardian) -> dict:
    model = OutboxMessage
    # The account's own mail only: an address string is no proof of whose mail it was (issue 16).
    condition = Q(recipient_user=user)
    rows = [
        {
            "subject": m.subject,
            "kind": m.kind,
            "written_at": _when(m.created_at),
            "sent_at": _when(m.sent_at),
            "status": m.get_state_display(),
            "text": m.body_text,
        }
        for m in model._default_manager.filter(condition).order_by("created_at", "pk")
    ]
    return _section("Emails the portal sent you", rows)


def questions_from(guardian) -> dict:
    model = FamilyQuestion
    rows = [
        {
            "subject": q.subject,
            "asked_at": _when(q.asked_at),
            "text": q.text,
            "replies": [{"at": _when(r.replied_at), "text": r.text} for r in q.replies.all()],
        }
        for q in model._default_manager.filter(guardian=guardian).prefetch_related("replies").order_by("asked_at", "pk")
    ]
    return _section("Your questions to the school", rows)


def family_record(*, pupil, user, guardian) -> dict:
    """GOV-4: the whole record for one child as plain values (the page and the JSON file)."""
    return {
        "child": child_details(pupil, guardian),
        "sections": [
            consent_history(pupil),
            acknowledgements(pupil),
            calls(pupil),
            join_attempts(pupil),
            attendance(pupil),
            messages_to(user, guardian),
            questions_from(guardian),
        ],
        "not_included": (
            "Safeguarding records are not part of this download. To ask for them, make a subject access "
            "request to the school's data protection officer through the school office."
        ),
    }
