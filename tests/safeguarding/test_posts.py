"""SG-2 through the page: a member of the DSL team ends a period of unavailability early."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from safeguarding import services
from safeguarding.models import DslAbsence

pytestmark = pytest.mark.django_db


def _absence(dsl, *, starts_in, lasts=dt.timedelta(days=2)):
    now = timezone.now()
    return services.mark_unavailable(
        user=dsl, starts_at=now + starts_in, ends_at=now + starts_in + lasts, reason="Course", recorded_by=dsl, now=now
    )


@pytest.mark.policy("SG-2")
def test_the_dsl_back_early_ends_a_period_under_way_now(client, dsl):
    absence = _absence(dsl, starts_in=-dt.timedelta(hours=3))
    client.force_login(dsl)
    before = timezone.now()

    response = client.post(reverse("safeguarding:end_availability", args=[absence.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("safeguarding:availability")
    absence.refresh_from_db()
    assert before <= absence.ends_at <= timezone.now()
    assert not DslAbsence.objects.covering(timezone.now()).exists()  # new concerns go to the DSL again
    entry = LogEntry.objects.get_for_object(absence).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == dsl
    assert "ends_at" in entry.changes_dict


@pytest.mark.policy("SG-2")
def test_a_deputy_dsl_cancels_a_period_not_yet_begun(client, dsl, ddsl):
    absence = _absence(dsl, starts_in=dt.timedelta(days=1))
    client.force_login(ddsl)

    response = client.post(reverse("safeguarding:end_availability", args=[absence.pk]))

    assert response.status_code == 302
    assert not DslAbsence.objects.filter(pk=absence.pk).exists()
    deleted = LogEntry.objects.get(content_type__model="dslabsence", object_pk=str(absence.pk), action=LogEntry.Action.DELETE)
    assert deleted.actor == ddsl


@pytest.mark.policy("SG-2")
@pytest.mark.parametrize("who", ["teacher", "head", "office", "parent_a"])
def test_no_one_outside_the_dsl_team_can_end_it(client, request, dsl, who):
    absence = _absence(dsl, starts_in=-dt.timedelta(hours=1))
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("safeguarding:end_availability", args=[absence.pk]))

    assert response.status_code == 404
    assert DslAbsence.objects.get(pk=absence.pk).ends_at == absence.ends_at


def test_ending_needs_the_button_not_a_link(client, dsl):
    absence = _absence(dsl, starts_in=-dt.timedelta(hours=1))
    client.force_login(dsl)

    assert client.get(reverse("safeguarding:end_availability", args=[absence.pk])).status_code == 405
    assert DslAbsence.objects.get(pk=absence.pk).ends_at == absence.ends_at


def test_an_unknown_period_is_a_404(client, dsl):
    client.force_login(dsl)

    assert client.post(reverse("safeguarding:end_availability", args=[999999])).status_code == 404
