"""Every write about consent. Each is atomic, checks the policy, and leaves an audit entry."""

from django.db import transaction

from governance.models import PolicyVersion
from school.models import Guardianship

from . import hooks, policy
from .choices import Decision, Method
from .models import ConsentDecision


class ConsentError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


def _record(*, pupil, guardian, scope, decision, decided_by, now, method) -> ConsentDecision:
    link = Guardianship.objects.filter(pupil=pupil, guardian=guardian).first()
    verdict = policy.may_decide_consent(has_parental_responsibility=bool(link and link.parental_responsibility))
    if not verdict.allowed:
        raise ConsentError(verdict.reason)
    return ConsentDecision.objects.create(
        pupil=pupil,
        guardian=guardian,
        scope=scope,
        decision=decision,
        decided_at=now,
        method=method,
        entered_by=decided_by,
        policy_version=PolicyVersion.objects.current(),
    )


@transaction.atomic
def give_consent(*, pupil, guardian, scope, decided_by, now, method=Method.ONLINE) -> ConsentDecision:
    """CON-2, CON-4, CON-5: record a guardian's consent, entered by them or by staff."""
    return _record(
        pupil=pupil, guardian=guardian, scope=scope, decision=Decision.GIVEN, decided_by=decided_by, now=now, method=method
    )


@transaction.atomic
def withdraw_consent(*, pupil, guardian, scope, decided_by, now, method=Method.ONLINE) -> ConsentDecision:
    """CON-2, CON-3: withdrawal takes effect at once; upcoming calls drop the pupil in this commit."""
    decision = _record(
        pupil=pupil, guardian=guardian, scope=scope, decision=Decision.WITHDRAWN, decided_by=decided_by, now=now, method=method
    )
    hooks.run_withdrawal_handlers(pupil=pupil, scope=scope, decided_by=decided_by, now=now)
    return decision
