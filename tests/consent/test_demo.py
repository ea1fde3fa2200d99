"""Demo consent data: idempotent, and shaped as the README promises."""

import pytest
from django.utils import timezone

from consent import selectors
from consent.choices import ConsentState
from consent.models import ConsentDecision
from portal.demo import seed_demo_school
from school.models import Pupil

pytestmark = pytest.mark.django_db


def test_demo_consent_is_mostly_given_with_some_withdrawn_and_unanswered():
    now = timezone.now()
    seed_demo_school(now)
    count = ConsentDecision.objects.count()
    seed_demo_school(now)

    states = [state for _pk, _class, state in selectors.video_states(Pupil.objects.filter(mis_id__startswith="DEMO-P"))]
    named = Pupil.objects.filter(mis_id__in=["DEMO-P028", "DEMO-P046", "DEMO-P002"])
    assert ConsentDecision.objects.count() == count
    assert states.count(ConsentState.GIVEN) > len(states) / 2
    assert states.count(ConsentState.WITHDRAWN) >= 3
    assert states.count(ConsentState.NEVER_ANSWERED) >= 3
    assert selectors.consenting_pupil_ids(named.values_list("pk", flat=True)) == set(named.values_list("pk", flat=True))
    assert ConsentDecision.objects.filter(pupil__mis_id="DEMO-P028").first().guardian.user.email == "parent1@demo.egps.test"
