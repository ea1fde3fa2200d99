"""Every write about consent. Each is atomic, checks the policy, leaves an audit entry (auditlog,
registered in apps.py, writes it in the same transaction) and queues email through notify()."""

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef

from governance.models import PolicyVersion
from notifications.recipients import family_recipients, family_recipients_for_pupils
from notifications.services import notify
from school.models import Guardian, Guardianship, Pupil, SchoolSettings
from toolkit.urls import portal_url

from . import events, policy, selectors
from .choices import Audience, ConsentState, Decision, Method
from .models import (
    AcceptableUseAcknowledgement,
    AcceptableUseDocument,
    ConsentDecision,
    ConsentReminder,
    ConsentRequest,
    CurrentConsent,
    FamilyQuestion,
    FamilyQuestionReply,
)


class ConsentError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


def _check(verdict: policy.Decision) -> None:
    if not verdict.allowed:
        raise ConsentError(verdict.reason)


def _record(*, pupil, guardian, scope, decision, decided_by, now, method, policy_version, guidance_version) -> ConsentDecision:
    link = Guardianship.objects.filter(pupil=pupil, guardian=guardian).first()
    _check(policy.may_decide_consent(has_parental_responsibility=bool(link and link.parental_responsibility)))
    entered_by_guardian = guardian.user_id is not None and guardian.user_id == decided_by.pk
    _check(policy.entry_method_allowed(entered_by_guardian=entered_by_guardian, method=method))
    current_policy = PolicyVersion.objects.current()
    current_guidance = AcceptableUseDocument.objects.current(Audience.PARENTS)
    if policy_version is not None or guidance_version is not None:
        # The versions the person was shown on the confirmation page must still be the ones in force.
        _check(
            policy.versions_still_current(
                shown_policy_id=getattr(policy_version, "pk", None),
                current_policy_id=getattr(current_policy, "pk", None),
                shown_guidance_id=getattr(guidance_version, "pk", None),
                current_guidance_id=getattr(current_guidance, "pk", None),
            )
        )
    recorded = ConsentDecision.objects.create(
        pupil=pupil,
        guardian=guardian,
        scope=scope,
        decision=decision,
        decided_at=now,
        method=method,
        entered_by=decided_by,
        policy_version=current_policy,
        guidance_version=current_guidance,
    )
    refresh_current_consent([pupil.pk])
    return recorded


# A key of its own for PostgreSQL's transaction-level advisory locks: (this number, pupil id).
CURRENT_CONSENT_LOCK = 7_301


@transaction.atomic
def refresh_current_consent(pupil_ids) -> None:
    """CON-5: store the decision in force for these pupils (CurrentConsent), recomputed from
    their decisions and guardianships as they are now (selectors.decisions_in_force), a fixed
    number of queries for any number of pupils.

    Every change to what the state derives from calls this in its own transaction: a decision
    recorded (here), a guardian's parental responsibility changed (school's guardian import, through
    school.events.guardianships_changed), decisions removed (consent.retention). Refreshes of one
    pupil take turns (an advisory lock held to commit, not a row lock, so it never meets the calls app's call-then-pupil locks):
    the last to commit reads every change committed before it, so the stored state is always
    the definition's.
    """
    ids = sorted(set(pupil_ids))
    if not ids:
        return
    if connection.vendor == "postgresql":
        # In ascending pupil order (unnest keeps the sorted list's order), so two refreshes never deadlock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, n) FROM unnest(%s::integer[]) AS n", [CURRENT_CONSENT_LOCK, ids])
    # After the lock: in READ COMMITTED this query sees every refresh that committed before ours.
    in_force = list(selectors.decisions_in_force(ids))
    CurrentConsent.objects.filter(pupil_id__in=ids).delete()
    CurrentConsent.objects.bulk_create(
        CurrentConsent(pupil_id=pupil_id, scope=scope, decision=decision, decided_at=decided_at, consent_decision_id=pk)
        for pupil_id, scope, decision, decided_at, pk in in_force
    )


def refresh_after_removal() -> None:
    """After decisions were deleted (the retention sweep, GOV-4): refresh the pupils whose
    stored decision in force is gone. One query when nothing is."""
    gone = CurrentConsent.objects.filter(~Exists(ConsentDecision.objects.filter(pk=OuterRef("consent_decision_id"))))
    refresh_current_consent(set(gone.values_list("pupil_id", flat=True)))


def _family_guardian(pupil, guardian) -> Guardian | None:
    """The deciding guardian if the school may email them about this child (COM-4), else None."""
    return next((g for g in family_recipients(pupil) if g.pk == guardian.pk), None)


@transaction.atomic
def give_consent(
    *, pupil, guardian, scope, decided_by, now, method=Method.ONLINE, policy_version=None, guidance_version=None
) -> ConsentDecision:
    """CON-2, CON-4, CON-5: record a guardian's consent, entered by them or by staff.
    COM-3: the first time a guardian gives video-call consent for a child, the guidance goes to them."""
    gave_before = selectors.guardian_gave_before(pupil=pupil, guardian=guardian, scope=scope)
    decision = _record(
        pupil=pupil,
        guardian=guardian,
        scope=scope,
        decision=Decision.GIVEN,
        decided_by=decided_by,
        now=now,
        method=method,
        policy_version=policy_version,
        guidance_version=guidance_version,
    )
    if policy.guidance_due(scope=scope, decision=Decision.GIVEN, guardian_gave_before=gave_before):
        _send_guidance(decision)
    _tell_other_parents(decision)
    return decision


def _send_guidance(decision: ConsentDecision) -> None:
    recipient = _family_guardian(decision.pupil, decision.guardian)
    if recipient is None:
        return
    notify(
        to=recipient.email,
        user=recipient.user,
        kind="consent-guidance",
        context={
            "guardian": recipient,
            "pupil": decision.pupil,
            "document": decision.guidance_version,
            "reporting_routes": SchoolSettings.load().reporting_routes,
            "family_url": portal_url("consent:family"),
            "guidance_url": portal_url("consent:guidance"),
        },
        dedupe_key=f"consent-guidance:{decision.pupil_id}:{recipient.pk}",
    )


@transaction.atomic
def withdraw_consent(
    *, pupil, guardian, scope, decided_by, now, method=Method.ONLINE, policy_version=None, guidance_version=None
) -> ConsentDecision:
    """CON-2, CON-3: withdrawal takes effect at once; upcoming calls drop the pupil in this commit
    (consent.events.consent_withdrawn is received inside this transaction: if a receiver fails,
    nothing is recorded).
    The guardian gets a confirmation email."""
    decision = _record(
        pupil=pupil,
        guardian=guardian,
        scope=scope,
        decision=Decision.WITHDRAWN,
        decided_by=decided_by,
        now=now,
        method=method,
        policy_version=policy_version,
        guidance_version=guidance_version,
    )
    events.consent_withdrawn.send(sender=ConsentDecision, pupil=pupil, scope=scope, decided_by=decided_by, now=now)
    recipient = _family_guardian(pupil, guardian)
    if recipient is not None:
        notify(
            to=recipient.email,
            user=recipient.user,
            kind="consent-withdrawn",
            context={"guardian": recipient, "decision": decision, "pupil": pupil, "family_url": portal_url("consent:family")},
            dedupe_key=f"consent-withdrawn:{decision.pk}",
        )
    _tell_other_parents(decision)
    return decision


def _tell_other_parents(decision: ConsentDecision) -> None:
    """Issue 19: every other parent or carer with parental responsibility hears of the change,
    so nobody learns from a missing join email that the other parent withdrew (or gave) consent."""
    others = [g for g in family_recipients(decision.pupil) if g.pk != decision.guardian_id]
    for other in others:
        notify(
            to=other.email,
            user=other.user,
            kind="consent-changed-other-parent",
            context={
                "guardian": other,
                "decision": decision,
                "pupil": decision.pupil,
                "decided_by_name": decision.guardian.full_name,
                "given": decision.decision == Decision.GIVEN,
                "family_url": portal_url("consent:family"),
            },
            dedupe_key=f"consent-changed-other-parent:{decision.pk}:{other.pk}",
        )


@transaction.atomic
def acknowledge_acceptable_use(*, user, document, now, pupil=None) -> AcceptableUseAcknowledgement:
    """CON-7: record that `user` read `document` (for themselves, or for their child `pupil`).
    Acknowledging the same version twice records it once."""
    is_guardian = pupil is not None and Guardianship.objects.filter(pupil=pupil, guardian__user=user).exists()
    current = AcceptableUseDocument.objects.current(document.audience)
    _check(
        policy.acknowledgement_allowed(
            audience=document.audience,
            is_current=current is not None and current.pk == document.pk,
            for_child=pupil is not None,
            is_guardian_of_child=is_guardian,
            is_parent=Guardian.objects.filter(user=user).exists(),
            is_staff=user.is_school_staff,
        )
    )
    existing = AcceptableUseAcknowledgement.objects.filter(document=document, user=user, pupil=pupil).first()
    if existing is not None:
        return existing
    return AcceptableUseAcknowledgement.objects.create(document=document, user=user, pupil=pupil, acknowledged_at=now)


@transaction.atomic
def reissue_acceptable_use(*, reason: str, now) -> list[AcceptableUseDocument]:
    """CON-7, GOV-1: a policy version whose guidance changed asks everyone to acknowledge again.

    Each audience's guidance gets a new version (its current words, with the reason added to
    the introduction), so every earlier acknowledgement is of an older version and the
    outstanding lists and family pages ask again.
    """
    issued = []
    for audience, current in AcceptableUseDocument.objects.current_by_audience().items():
        introduction = f"{current.introduction}\n\n{reason}".strip()
        issued.append(
            AcceptableUseDocument.objects.create(
                audience=audience,
                version=current.version + 1,
                title=current.title,
                introduction=introduction,
                sections=current.sections,
                published_at=now,
            )
        )
    return issued


@transaction.atomic
def ask_question(*, guardian, asked_by, subject, text, now) -> FamilyQuestion:
    """COM-7: a guardian's question or concern about video calls reaches the office and head."""
    if guardian.user_id != asked_by.pk:
        raise ConsentError("A question is sent by the parent or carer themselves.")
    return FamilyQuestion.objects.create(guardian=guardian, asked_by=asked_by, subject=subject, text=text, asked_at=now)


@transaction.atomic
def reply_to_question(*, question, replied_by, text, now) -> FamilyQuestionReply:
    """COM-7: the school replies in the portal; the guardian is emailed that a reply is waiting
    (the email carries no reply text, only a link, so nothing sits in a shared inbox)."""
    reply = FamilyQuestionReply.objects.create(question=question, text=text, replied_by=replied_by, replied_at=now)
    # The guardian's own sign-in address: they asked from that account, about no particular child.
    notify(
        to=question.asked_by.email,
        user=question.asked_by,
        kind="consent-question-reply",
        context={"question": question, "question_url": portal_url("consent:question", question.pk)},
        dedupe_key=f"consent-question-reply:{reply.pk}",
    )
    return reply


def _children_by_guardian(pupil_ids) -> dict[int, tuple[Guardian, list[int]]]:
    """{guardian_id: (guardian, [pupil ids])} among guardians the school may email (COM-4)."""
    found: dict[int, tuple[Guardian, list[int]]] = {}
    for pupil_id, guardians in family_recipients_for_pupils(pupil_ids).items():
        for guardian in guardians:
            found.setdefault(guardian.pk, (guardian, []))[1].append(pupil_id)
    return found


@transaction.atomic
def send_consent_request(*, sent_by, now, school_class=None) -> ConsentRequest:
    """The office asks every guardian of a class (or the whole school) to decide: one email per
    guardian per request, naming their children."""
    pupils = Pupil.objects.on_roll()
    if school_class is not None:
        pupils = pupils.filter(school_class=school_class)
    names = dict(pupils.values_list("pk", "first_name"))
    family_url = portal_url("consent:family")
    request = ConsentRequest.objects.create(school_class=school_class, sent_by=sent_by, sent_at=now)
    families = _children_by_guardian(list(names))
    for guardian, pupil_ids in families.values():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="consent-request",
            context={"guardian": guardian, "children": sorted(names[pk] for pk in pupil_ids), "family_url": family_url},
            dedupe_key=f"consent-request:{request.pk}:{guardian.pk}",
        )
    request.recipient_count = len(families)
    request.save(update_fields=["recipient_count"])
    return request


@transaction.atomic
def send_reminders(*, school_class, sent_by, now) -> tuple[int, int]:
    """Remind the guardians of pupils in `school_class` who have never answered. At most one a
    week per guardian (policy.reminder_due). Returns (sent, held back)."""
    return _remind(Pupil.objects.on_roll().filter(school_class=school_class), sent_by=sent_by, now=now)


@transaction.atomic
def send_reminders_to_school(*, sent_by, now) -> tuple[int, int]:
    """Issue 19: the "Remind" action on the head's and office's "Needs you" list: every guardian in
    the school who has never answered, under the same weekly limit. Returns (sent, held back)."""
    return _remind(Pupil.objects.on_roll(), sent_by=sent_by, now=now)


def _remind(pupils, *, sent_by, now) -> tuple[int, int]:
    rows = selectors.video_states(pupils)
    unanswered = [pk for pk, _class_id, state in rows if state == ConsentState.NEVER_ANSWERED]
    names = dict(Pupil.objects.filter(pk__in=unanswered).values_list("pk", "first_name"))
    families = _children_by_guardian(unanswered)
    # Lock the guardians: two staff pressing "remind" at once must not both pass the weekly check.
    list(Guardian.objects.select_for_update().filter(pk__in=list(families)).values_list("pk", flat=True))
    last_sent = dict(
        ConsentReminder.objects.filter(guardian_id__in=list(families))
        .values("guardian_id")
        .annotate(last=Max("sent_at"))
        .values_list("guardian_id", "last")
    )
    family_url = portal_url("consent:family")
    sent = 0
    for guardian_id, (guardian, pupil_ids) in families.items():
        if not policy.reminder_due(last_sent_at=last_sent.get(guardian_id), now=now):
            continue
        reminder = ConsentReminder.objects.create(guardian=guardian, sent_by=sent_by, sent_at=now)
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="consent-reminder",
            context={"guardian": guardian, "children": sorted(names[pk] for pk in pupil_ids), "family_url": family_url},
            dedupe_key=f"consent-reminder:{reminder.pk}",
        )
        sent += 1
    return sent, len(families) - sent
