"""GOV-3 through the page as a browser submits it: a correction that changes only the notes
keeps the times, attendance and answers the page showed (issue 17's siblings: a box the browser
could not show would have been saved back empty or refused)."""

import datetime as dt

import pytest
from django.urls import reverse

from sessionlogs import services
from sessionlogs.models import SessionLog
from tests.html_forms import post_form, submitted

pytestmark = pytest.mark.django_db


@pytest.mark.policy("GOV-3")
def test_correcting_only_the_notes_keeps_everything_the_page_showed(
    client, group_call, teacher, log_input, time_machine, after_call
):
    first = services.write_session_log(
        call=group_call,
        written_by=teacher,
        now=after_call,
        content=log_input(group_call, started_at=group_call.starts_at + dt.timedelta(minutes=2)),
    )
    time_machine.move_to(after_call + dt.timedelta(hours=1), tick=False)
    client.force_login(teacher)
    url = reverse("sessionlogs:correct", args=[group_call.pk])
    form = post_form(client.get(url).content, field="started_at")
    shown = submitted(form)

    response = client.post(url, submitted(form, notes="Reading went well.", reason="Added a note"))

    assert (shown["started_at"], shown["ended_at"]) == ("10:02", "10:30")
    assert response.status_code == 302
    log = SessionLog.objects.get(pk=first.pk)
    assert (log.version, log.notes) == (2, "Reading went well.")
    assert (log.started_at, log.ended_at) == (first.started_at, first.ended_at)
    assert dict(log.pupils.values_list("pupil_id", "outcome")) == dict(first.pupils.values_list("pupil_id", "outcome"))
    latest = log.versions.get(number=2)
    assert (latest.written_by, latest.reason) == (teacher, "Added a note")
