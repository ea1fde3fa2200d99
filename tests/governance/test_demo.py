import pytest
from django.utils import timezone

from governance import demo
from governance.models import PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.mark.policy("COM-6")
def test_demo_publishes_the_seed_policy_once_even_after_a_flush():
    PolicyVersion.objects.all().delete()

    demo.seed(timezone.now())
    demo.seed(timezone.now())

    assert PolicyVersion.objects.current().version == "2020-09"
    assert PolicyVersion.objects.count() == 1
