"""Reading consent state. The gate every call uses (CON-1, CON-6).

Every reader here asks the database a fixed number of questions, whatever the number of
pupils: the current state is a correlated subquery, never a loop over pupils.
"""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Subquery

from school.models import Pupil

from . import policy
from .choices import Decision, Scope
from .models import AcceptableUseAcknowledgement, AcceptableUseDocument, ConsentDecision


def _latest_decisions(scope: str, pupil_ref):
    """Decisions for `pupil_ref` in `scope` by a guardian who holds parental responsibility
    now, newest first (CON-5). A guardian who lost it no longer counts."""
    return ConsentDecision.objects.filter(
        pupil=pupil_ref,
        scope=scope,
        guardian__guardianships__pupil=pupil_ref,
        guardian__guardianships__parental_responsibility=True,
    ).order_by("-decided_at", "-pk")


def latest_decisions_subquery(scope: str, field: str = "decision"):
    """The latest decision per pupil in `scope` by a guardian with parental responsibility."""
    return Subquery(_latest_decisions(scope, OuterRef("pk")).values(field)[:1])


def consenting_pupil_ids(pupil_ids, scope: str = Scope.VIDEO_CALLS) -> set[int]:
    """CON-1: which of these pupils may take part now. One query, whatever the number of pupils."""
    ids = list(pupil_ids)
    if not ids:
        return set()
    return set(
        Pupil.objects.filter(pk__in=ids)
        .annotate(current=latest_decisions_subquery(scope))
        .filter(current=Decision.GIVEN)
        .values_list("pk", flat=True)
    )


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
    who entered it. One query; families have few children, so reading their history is cheap."""
    decisions = (
        ConsentDecision.objects.filter(
            pupil_id__in=list(pupil_ids),
            # One filter() call: the same guardianship row links the decider to THIS pupil with responsibility.
            guardian__guardianships__pupil=F("pupil"),
            guardian__guardianships__parental_responsibility=True,
        )
        .select_related("guardian", "entered_by")
        .order_by("-decided_at", "-pk")
    )
    found: dict[tuple[int, str], ConsentDecision] = {}
    for decision in decisions:
        found.setdefault((decision.pupil_id, decision.scope), decision)
    return found


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
    """[(pupil_id, class_id, state)] for dashboards' counts. One query."""
    rows = pupils.annotate(video=latest_decisions_subquery(Scope.VIDEO_CALLS)).values_list("pk", "school_class_id", "video")
    return [(pk, class_id, policy.current_state(video)) for pk, class_id, video in rows]


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
