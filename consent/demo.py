"""Demo consent: most pupils have video-call consent, a few withdrawn, a few never answered,
some recording consent; parent1's two children and parent3's child have consent given by
their named parent. Idempotent: a pupil with any decision already is left alone.

Decisions are written directly rather than through services: seeding must not email every
demo family the guidance or run the calls app's withdrawal handlers. They are still
append-only rows with the current policy and guidance versions, as the services write them,
and the decision in force is stored for them as every service does (refresh_current_consent).
"""

import datetime as dt

from accounts.models import User
from governance.models import PolicyVersion
from school.demo import demo_email
from school.models import Guardianship

from .choices import Audience, Decision, Method, Scope
from .models import AcceptableUseAcknowledgement, AcceptableUseDocument, ConsentDecision, FamilyQuestion
from .services import refresh_current_consent

NAMED_PARENTS = {"DEMO-P028": "parent1", "DEMO-P046": "parent1", "DEMO-P002": "parent3"}


def _plan(mis_id: str, n: int) -> list[tuple[str, str]]:
    """[(scope, decision)] for demo pupil number n, oldest first."""
    if mis_id in NAMED_PARENTS:
        return (
            [(Scope.VIDEO_CALLS, Decision.GIVEN), (Scope.RECORDING, Decision.GIVEN)]
            if n == 28
            else [(Scope.VIDEO_CALLS, Decision.GIVEN)]
        )
    if n % 10 == 9:
        return []  # never answered
    if n % 10 == 7:
        return [(Scope.VIDEO_CALLS, Decision.GIVEN), (Scope.VIDEO_CALLS, Decision.WITHDRAWN)]
    plan = [(Scope.VIDEO_CALLS, Decision.GIVEN)]
    if n % 3 == 0:
        plan.append((Scope.RECORDING, Decision.GIVEN))
    return plan


def seed(now) -> None:
    office = User.objects.filter(email=demo_email("office")).first()
    if office is None:
        return
    versions = {
        "policy_version": PolicyVersion.objects.current(),
        "guidance_version": AcceptableUseDocument.objects.current(Audience.PARENTS),
    }
    links = Guardianship.objects.filter(pupil__mis_id__startswith="DEMO-P", parental_responsibility=True).select_related(
        "guardian__user", "pupil"
    )
    decided = set(ConsentDecision.objects.values_list("pupil_id", flat=True).distinct())
    chosen = {}
    for link in links.order_by("pk"):
        named = NAMED_PARENTS.get(link.pupil.mis_id)
        is_named = link.guardian.user is not None and link.guardian.user.email == demo_email(named or "-")
        if link.pupil_id not in chosen or is_named:
            chosen[link.pupil_id] = link
    for link in chosen.values():
        if link.pupil_id not in decided:
            _decide(link, office, now, versions)
    refresh_current_consent([link.pupil_id for link in chosen.values()])
    _acknowledgements(now)
    _question(now)


def _decide(link, office, now, versions) -> None:
    n = int(link.pupil.mis_id.removeprefix("DEMO-P"))
    by_parent = link.guardian.user is not None
    for step, (scope, decision) in enumerate(_plan(link.pupil.mis_id, n)):
        ConsentDecision.objects.create(
            pupil=link.pupil,
            guardian=link.guardian,
            scope=scope,
            decision=decision,
            decided_at=now - dt.timedelta(days=20 - step * 3, hours=n % 7),
            method=Method.ONLINE if by_parent else Method.PAPER,
            entered_by=link.guardian.user if by_parent else office,
            **versions,
        )


def _acknowledgements(now) -> None:
    documents = AcceptableUseDocument.objects.current_by_audience()
    parent1 = User.objects.filter(email=demo_email("parent1")).first()
    teacher1 = User.objects.filter(email=demo_email("teacher1")).first()
    if parent1 and Audience.PARENTS in documents:
        _ack(documents[Audience.PARENTS], parent1, None, now)
    if teacher1 and Audience.STAFF in documents:
        _ack(documents[Audience.STAFF], teacher1, None, now)


def _ack(document, user, pupil, now) -> None:
    if not AcceptableUseAcknowledgement.objects.filter(document=document, user=user, pupil=pupil).exists():
        AcceptableUseAcknowledgement.objects.create(document=document, user=user, pupil=pupil, acknowledged_at=now)


def _question(now) -> None:
    parent3 = User.objects.filter(email=demo_email("parent3")).select_related("guardian").first()
    if parent3 is None or FamilyQuestion.objects.filter(asked_by=parent3).exists():
        return
    FamilyQuestion.objects.create(
        guardian=parent3.guardian,
        asked_by=parent3,
        subject="Who will be on the call?",
        text="My daughter is nervous about her first video call. Will her class teacher be there, and can I sit with her?",
        asked_at=now - dt.timedelta(days=1),
    )
