"""A session log that is quick to fill: "Mark all as joined", then change the exceptions.

Without JavaScript the button posts the form back with every pupil set to "Admitted": nothing is
saved and nothing typed is lost. With JavaScript (tests/browser/test_staff_journeys.py) the same
happens in the page.
"""

import pytest
from django.urls import reverse

from sessionlogs.choices import Attendance
from sessionlogs.models import SessionLog

pytestmark = pytest.mark.django_db


def _typed(call, **changes):
    data = {"started_at": "10:02", "ended_at": "10:27", "second_staff_present": "yes", "notes": "Fractions went well."}
    for invitation in call.invitations.all():
        data[f"pupil_{invitation.pupil_id}"] = Attendance.ABSENT
    return data | changes


@pytest.mark.policy("LOG-1")
def test_mark_all_as_joined_sets_every_pupil_and_keeps_what_was_typed_and_saves_nothing(
    client, group_call, teacher, child_a, child_a2, time_machine, after_call
):
    time_machine.move_to(after_call, tick=False)
    client.force_login(teacher)

    response = client.post(reverse("sessionlogs:call_log", args=[group_call.pk]), _typed(group_call, mark_all="admitted"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form[f"pupil_{child_a.pk}"].value() == Attendance.ADMITTED
    assert form[f"pupil_{child_a2.pk}"].value() == Attendance.ADMITTED
    assert form["notes"].value() == "Fractions went well."
    assert form["started_at"].value() == "10:02"
    assert not form.errors
    assert not SessionLog.objects.exists()
    page = response.content.decode()
    assert "Mark all as joined" in page
    assert "Error: " not in page.split("</title>")[0]


@pytest.mark.policy("LOG-1")
def test_after_marking_all_the_exception_is_changed_and_the_log_saves_as_corrected(
    client, group_call, teacher, child_a, child_a2, time_machine, after_call
):
    time_machine.move_to(after_call, tick=False)
    client.force_login(teacher)
    url = reverse("sessionlogs:call_log", args=[group_call.pk])
    client.post(url, _typed(group_call, mark_all="admitted"))

    data = _typed(group_call) | {f"pupil_{child_a.pk}": Attendance.ADMITTED, f"pupil_{child_a2.pk}": Attendance.ABSENT}
    response = client.post(url, data)

    assert response.status_code == 302
    log = SessionLog.objects.get()
    assert dict(log.pupils.values_list("pupil_id", "outcome")) == {
        child_a.pk: Attendance.ADMITTED,
        child_a2.pk: Attendance.ABSENT,
    }


def test_mark_all_with_an_answer_that_is_not_one_changes_nothing(client, group_call, teacher, child_a, time_machine, after_call):
    time_machine.move_to(after_call, tick=False)
    client.force_login(teacher)

    response = client.post(reverse("sessionlogs:call_log", args=[group_call.pk]), _typed(group_call, mark_all="deleted"))

    assert response.status_code == 200
    assert response.context["form"][f"pupil_{child_a.pk}"].value() == Attendance.ABSENT
    assert not SessionLog.objects.exists()


def test_another_teacher_cannot_use_mark_all_on_a_call_that_is_not_theirs(
    client, group_call, teacher_b, time_machine, after_call
):
    time_machine.move_to(after_call, tick=False)
    client.force_login(teacher_b)

    response = client.post(reverse("sessionlogs:call_log", args=[group_call.pk]), _typed(group_call, mark_all="admitted"))

    assert response.status_code in (403, 404) or "Mark all as joined" not in response.content.decode()
    assert not SessionLog.objects.exists()
