"""Safeguarding forms that cannot mislead: the raise form pre-selects nobody it was not asked to,
offers a type-ahead over tick boxes (never a Ctrl-click list), and dates the concern at the call
it came from; a DSL action has no default type, needs its details and can carry the time it
happened; Acknowledge is at the top of the concern page; the call and log it came from are links."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguarding.choices import ConcernKind
from safeguarding.models import Concern, ConcernEntry
from tests.sessionlogs.factories import make_call
from toolkit.dates import when

from .conftest import WHAT_HAPPENED, sign_in_recently

pytestmark = pytest.mark.django_db


def _local_minute(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.policy("SG-1")
def test_raising_from_a_call_dates_the_concern_at_the_call_and_pre_selects_only_what_was_asked(
    client, teacher, dsl, child_a, now
):
    call = make_call(host=teacher, pupils=[child_a], starts_at=now - dt.timedelta(hours=3))
    client.force_login(teacher)

    form = client.get(reverse("safeguarding:raise"), {"call": call.pk}).context["form"]

    assert form.initial["happened_at"] == timezone.localtime(call.starts_at).replace(second=0, microsecond=0)
    assert "pupils" not in form.initial
    one = client.get(reverse("safeguarding:raise"), {"call": call.pk, "pupil": child_a.pk}).context["form"]
    assert one.initial["pupils"] == [child_a.pk]


@pytest.mark.policy("SG-1")
def test_a_call_the_reporter_may_not_see_does_not_give_away_its_time(client, teacher_b, teacher, child_a, now):
    call = make_call(host=teacher, pupils=[child_a], starts_at=now - dt.timedelta(hours=3))
    client.force_login(teacher_b)

    form = client.get(reverse("safeguarding:raise"), {"call": call.pk}).context["form"]

    assert abs(form.initial["happened_at"] - timezone.localtime(now)) < dt.timedelta(minutes=2)


@pytest.mark.policy("SG-1")
def test_the_pupil_picker_is_tick_boxes_enhanced_into_a_type_ahead_never_a_ctrl_click_list(client, teacher, child_a):
    client.force_login(teacher)

    page = client.get(reverse("safeguarding:raise")).content.decode()

    assert "Ctrl" not in page
    assert '<select name="pupils"' not in page
    assert re.search(rf'<input type="checkbox" name="pupils" value="{child_a.pk}"', page)
    assert 'data-typeahead="id_pupils"' in page
    assert re.search(r'<script src="/static/js/typeahead(\.[0-9a-f]+)?\.js" defer>', page)


@pytest.mark.policy("SG-1")
def test_an_empty_concern_lists_every_problem_in_specific_words_and_saves_nothing(client, teacher, child_a):
    client.force_login(teacher)

    response = client.post(reverse("safeguarding:raise"), {"what_happened": WHAT_HAPPENED})

    errors = response.context["form"].errors
    assert set(errors) == {"pupils", "kind", "happened_at", "action_taken"}
    assert errors["pupils"] == ["Choose the pupil or pupils the concern is about"]
    assert WHAT_HAPPENED in response.text  # nothing typed is lost
    assert response.text.split("<title>")[1].startswith("Error: ")
    assert 'href="#id_pupils_0"' in response.text
    assert not Concern.objects.exists()


@pytest.mark.policy("SG-4")
def test_acknowledge_is_at_the_top_of_the_concern_page_and_the_source_call_is_a_link(
    client, teacher, dsl, child_a, now, raise_one
):
    call = make_call(host=teacher, pupils=[child_a], starts_at=now - dt.timedelta(hours=3))
    concern = raise_one(now=now, source_call_id=call.pk)
    sign_in_recently(client, dsl)

    page = client.get(reverse("safeguarding:concern", args=[concern.pk])).text

    assert page.index('data-testid="acknowledge"') < page.index("The report")
    assert f'href="{reverse("calls:detail", args=[call.pk])}"' in page


@pytest.mark.policy("SG-4")
def test_an_action_has_no_default_type_and_needs_details(client, concern, dsl):
    sign_in_recently(client, dsl)
    url = reverse("safeguarding:concern", args=[concern.pk])

    page = client.get(url).text
    response = client.post(url, {"form": "action", "action-action": "", "action-text": ""})

    assert (
        re.search(r'<select name="action-action"[^>]*>\s*<option value="" selected>Choose the action</option>', page)
        or '<option value="">Choose the action</option>' in page
    )
    errors = response.context["forms"]["action"].errors
    assert errors["action"] == ["Choose the action taken"]
    assert errors["text"][0].startswith("Write the details of the action")
    assert response.text.split("<title>")[1].startswith("Error: ")
    assert not ConcernEntry.objects.exists()


@pytest.mark.policy("SG-4")
def test_a_dsl_records_an_action_with_the_time_it_happened(client, concern, dsl, now):
    sign_in_recently(client, dsl)
    happened = now - dt.timedelta(hours=2)

    client.post(
        reverse("safeguarding:concern", args=[concern.pk]),
        {
            "form": "action",
            "action-action": "phone_call",
            "action-text": "Spoke to mum at 4pm",
            "action-happened_at": _local_minute(happened),
        },
    )

    entry = ConcernEntry.objects.get()
    assert (entry.action, entry.text, entry.recorded_by) == ("phone_call", "Spoke to mum at 4pm", dsl)
    assert entry.happened_at == timezone.localtime(happened).replace(second=0, microsecond=0)
    page = client.get(reverse("safeguarding:concern", args=[concern.pk])).text
    assert "happened " + when(happened) in page  # as every screen says a moment (toolkit.dates)


@pytest.mark.policy("SG-4")
def test_an_action_dated_in_the_future_is_refused_on_its_field_keeping_the_details(client, concern, dsl, now):
    sign_in_recently(client, dsl)

    response = client.post(
        reverse("safeguarding:concern", args=[concern.pk]),
        {
            "form": "action",
            "action-action": "home_visit",
            "action-text": "Visited the family",
            "action-happened_at": _local_minute(now + dt.timedelta(days=1)),
        },
    )

    assert response.context["forms"]["action"].errors["happened_at"] == ["When it happened cannot be in the future."]
    assert "Visited the family" in response.text
    assert not ConcernEntry.objects.exists()


@pytest.mark.policy("SG-4")
def test_someone_outside_the_dsl_team_cannot_record_an_action(client, concern, teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("safeguarding:concern", args=[concern.pk]),
        {
            "form": "action",
            "action-action": "phone_call",
            "action-text": "x",
        },
    )
    assert response.status_code in (403, 404)
    assert not ConcernEntry.objects.exists()


def test_the_kind_default_from_a_call_is_seen_or_heard(client, teacher, child_a, now):
    call = make_call(host=teacher, pupils=[child_a], starts_at=now - dt.timedelta(hours=1))
    client.force_login(teacher)
    assert (
        client.get(reverse("safeguarding:raise"), {"call": call.pk}).context["form"].initial["kind"] == ConcernKind.SEEN_OR_HEARD
    )
