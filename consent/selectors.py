"""Reading consent state. The gate every call uses (CON-1, CON-6).

The decision in force per pupil and scope is stored in CurrentConsent (one row each), kept by
consent.services.refresh_current_consent from decisions_in_force below, which is CON-5's
definition. Every reader here asks a fixed number of questions, whatever the number of pupils,
and reads those rows, never a pupil's whole history.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from school.models import Pupil

from . import policy
from .choices import Decision, Scope
from .models import AcceptableUseAcknowledgement, AcceptableUseDocument, ConsentDecision, CurrentConsent


def decisions_in_force(pupil_ids=None):
    """CON-5, the definition: for each pupil and scope, the latest decision (by decided_at, then
    insertion) by a guardian who holds parental responsibility for that pupil NOW; a guardian who
    lost it no longer counts. Rows (pupil_id, scope, decision, decided_at, decision pk) for
    `pupil_ids` (every pupil if None), one query: a window over their histories."""
    decisions = ConsentDecision.objects.filter(
        # One filter() call: the same guardianship row links the decider to THIS pupil with responsibility.
        guardian__guardianships__pupil=F("pupil"),
        guardian__guardianships__parental_responsibility=True,
    )
    if pupil_ids is not None:
        decisions = decisions.filter(pupil_id__in=list(pupil_ids))
    ranked = decisions.annotate(
        rank=Window(RowNumber(), partition_by=[F("pupil_id"), F("scope")], order_by=[F("decided_at").desc(), F("pk").desc()])
    )
    return ranked.filter(rank=1).values_list("pupil_id", "scope", "decision", "decided_at", "pk").order_by()


def latest_decisions_subquery(scope: str, field: str = "decision"):
    """The decision in force (or its `field`: decision, decided_at) per pupil in `scope`, for
    annotating a Pupil queryset; None when nobody has answered."""
    return Subquery(CurrentConsent.objects.filter(pupil=OuterRef("pk"), scope=scope).values(field)[:1])


def with_decision_in_force(pupils, scope: str, name: str = "current"):
    """`pupils` annotated with `name`: the decision in force in `scope` (None when nobody has
    answered), read by a join, the cheapest way when counting or filtering a whole school."""
    joined = f"{name}_in_force"
    condition = Q(**{"current_consents__scope": scope})
    return pupils.alias(**{joined: FilteredRelation("current_consents", condition=condition)}).annotate(
        **{name: F(f"{joined}__decision")}
    )


def consenting_pupil_ids(pupil_ids, scope: str = Scope.VIDEO_CALLS) -> set[int]:
    """CON-1: which of these pupils may take part now. One query, whatever the number of pupils."""
    ids = list(pupil_ids)
    if not ids:
        return set()
    in_force = CurrentConsent.objects.filter(pupil_id__in=ids, scope=scope).values_list("pupil_id", "decision")
    return {pupil_id for pupil_id, decision in in_force if policy.may_take_part(decision)}


def has_consent(pupil, scope: str = Scope.VIDEO_CALLS) -> bool:
    """CON-1 for one pupil."""
    return pupil.pk in consenting_pupil_ids([pupil.pk], scope)


def recording_allowed_for(pupil_ids) -> bool:
    """CON-6: may a lesson with these pupils be recorded? Only if every one of them has
    recording consent in force. One query."""
    ids = set(pupil_ids)
    allowed = consenting_pupil_ids(ids, Scope.RECORDING)
    return policy.recording_allowed([Decision.GIVEN if pk in allowed else None for pk in ids])


def latest_decisions_for(pupil_ids) -> dict[tuple[int, str], ConsentDecision]:
    """{(pupil_id, scope): the decision in force} for a family's children, with who decided and
    who entered it. One query."""
    in_force = CurrentConsent.objects.filter(pupil_id__in=list(pupil_ids)).values("consent_decision_id")
    decisions = ConsentDecision.objects.filter(pk__in=in_force).select_related("guardian", "entered_by").order_by()
    return {(decision.pupil_id, decision.scope): decision for decision in decisions}


def guardian_gave_before(*, pupil, guardian, scope: str) -> bool:
    """COM-3: has this guardian ever given this consent for this child?"""
    return ConsentDecision.objects.filter(pupil=pupil, guardian=guardian, scope=scope, decision=Decision.GIVEN).exists()


@dataclass(frozen=True)
class PupilConsentRow:
    """One line of the staff class view."""

    pupil: Pupil
    video_calls: str
    video_calls_decided_at: object
    recording: str
    acknowledged: bool


def class_consent_rows(pupils, pupils_document: AcceptableUseDocument | None) -> list[PupilConsentRow]:
    """The staff class view: consent, recording and acceptable use for each pupil. One query
    for the whole class, so 30 pupils and 300 cost the same."""
    acknowledged = (
        Exists(AcceptableUseAcknowledgement.objects.filter(pupil=OuterRef("pk"), document=pupils_document))
        if pupils_document
        else None
    )
    annotated = pupils.annotate(
        video=latest_decisions_subquery(Scope.VIDEO_CALLS),
        video_at=latest_decisions_subquery(Scope.VIDEO_CALLS, "decided_at"),
        rec=latest_decisions_subquery(Scope.RECORDING),
    )
    if acknowledged is not None:
        annotated = annotated.annotate(acknowledged=acknowledged)
    return [
        PupilConsentRow(
            pupil=pupil,
            video_calls=policy.current_state(pupil.video),
            video_calls_decided_at=pupil.video_at,
            recording=policy.current_state(pupil.rec),
            acknowledged=bool(getattr(pupil, "acknowledged", False)),
        )
        for pupil in annotated
    ]


def video_states(pupils) -> list[tuple[int, int | None, str]]:
    """[(pupil_id, class_id, state)] for each of `pupils`. One query."""
    rows = pupils.annotate(video=latest_decisions_subquery(Scope.VIDEO_CALLS)).values_list("pk", "school_class_id", "video")
    return [(pk, class_id, policy.current_state(video)) for pk, class_id, video in rows]


def video_state_counts(pupils) -> Counter:
    """{(class_id, state): number of pupils} for dashboards and the class list: counted by the
    database (one query, a join and GROUP BY), so a whole school costs what one class does."""
    rows = (
        with_decision_in_force(pupils, Scope.VIDEO_CALLS, "video")
        .order_by()
        .values_list("school_class_id", "video")
        .annotate(n=Count("pk"))
    )
    counts: Counter = Counter()
    for class_id, decision, n in rows:
        counts[(class_id, policy.current_state(decision))] += n
    return counts


def current_documents() -> dict[str, AcceptableUseDocument]:
    """{audience: the acceptable-use document in force} (CON-7)."""
    return AcceptableUseDocument.objects.current_by_audience()


def acknowledged_document_keys(user, document_ids) -> set[tuple[int, int | None]]:
    """{(document_id, pupil_id or None)} this user has acknowledged among `document_ids`."""
    return set(
        AcceptableUseAcknowledgement.objects.filter(user=user, document_id__in=list(document_ids)).values_list(
            "document_id", "pupil_id"
        )
    )
