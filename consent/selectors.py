"""Reading consent state. The gate every call uses (CON-1, CON-6)."""

from django.db.models import OuterRef, Subquery

from school.models import Pupil

from .choices import Decision, Scope
from .models import ConsentDecision


def latest_decisions_subquery(scope: str, field: str = "decision"):
    """The latest decision per pupil in `scope` by a guardian with parental responsibility."""
    return Subquery(
        ConsentDecision.objects.filter(
            pupil=OuterRef("pk"),
            scope=scope,
            guardian__guardianships__pupil=OuterRef("pk"),
            guardian__guardianships__parental_responsibility=True,
        )
        .order_by("-decided_at", "-pk")
        .values(field)[:1]
    )


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
    return pupil.pk in consenting_pupil_ids([pupil.pk], scope)
