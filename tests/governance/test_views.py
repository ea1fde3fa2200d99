"""One HTTP test per page and permission boundary (GOV-2); rules are tested in services."""

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from governance import services
from governance.models import PolicyVersion
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


# --- The public policy (COM-6) -------------------------------------------------------------


@pytest.mark.policy("COM-6")
def test_public_policy_page_shows_current_version_dates_and_earlier_versions(client, head):
    draft = services.draft_policy_version(
        by=head, today=dt.date(2026, 11, 20), version="2026-11", text="New text.\n\n- A bullet", agreed_on=dt.date(2026, 11, 18)
    )
    services.publish_policy_version(version=draft, by=head, now=timezone.now())

    page = client.get(reverse("governance:policy"))
    earlier = client.get(reverse("governance:policy_version", args=["2020-09"]))

    assert b"2026-11" in page.content
    assert b"Wed 18 Nov" in page.content  # agreed by governors
    assert b"Thu 18 Nov 2027" in page.content  # next review: a year later
    assert b"<li>A bullet</li>" in page.content
    assert reverse("governance:policy_version", args=["2020-09"]).encode() in page.content
    assert earlier.status_code == 200
    assert b"This is an earlier version" in earlier.content
    assert b"Wed 1 Sep 2021" in earlier.content


@pytest.mark.policy("COM-6")
def test_a_draft_is_not_public(client, head):
    services.draft_policy_version(by=head, today=dt.date(2026, 11, 20), version="draft-x", text="Secret draft")

    assert client.get(reverse("governance:policy_version", args=["draft-x"])).status_code == 404
    assert b"Secret draft" not in client.get(reverse("governance:policy")).content


@pytest.mark.policy("GOV-1")
def test_head_drafts_and_publishes_a_version_through_the_pages(client, head):
    client.force_login(head)

    response = client.post(
        reverse("governance:draft_version"),
        {
            "version": "2026-12",
            "title": "Video Conferencing Policy",
            "text": "Text",
            "agreed_on": "2026-11-01",
            "shared_with_staff_on": "2026-11-02",
            "changes_summary": "Reviewed.",
        },
    )
    draft = PolicyVersion.objects.get(version="2026-12")
    published = client.post(reverse("governance:publish_version", args=[draft.pk]))

    assert response.status_code == 302
    assert published.status_code == 302
    assert PolicyVersion.objects.current() == draft


def test_duplicate_version_name_is_shown_next_to_the_field_and_changes_nothing(client, head):
    client.force_login(head)

    response = client.post(reverse("governance:draft_version"), {"version": "2020-09", "title": "T", "text": "Text"})

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert PolicyVersion.objects.count() == 1


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("who", ["teacher", "office", "deputy", "parent_a"])
def test_only_the_head_runs_the_policy_review(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("governance:versions_admin")).status_code == 403
    assert client.get(reverse("governance:draft_version")).status_code == 403


@pytest.mark.policy("GOV-1")
def test_head_dashboard_panel_is_red_while_the_seed_review_is_overdue(client, head):
    client.force_login(head)

    response = client.get("/")

    assert b"panel-attention" in response.content
    assert b'data-testid="review-overdue"' in response.content
    assert b"Wed 1 Sep 2021" in response.content


# --- The audit viewer (GOV-3) --------------------------------------------------------------


def _safeguarding_entry():
    from safeguarding.models import Concern as concern_model

    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(concern_model),
        object_pk="7",
        object_id=7,
        object_repr="Concern SC-SECRET",
        action=LogEntry.Action.CREATE,
    )


@pytest.mark.policy("GOV-3")
def test_head_searches_the_audit_history_by_person_and_record(client, head, office, child_a):
    child_a.first_name = "Renamed"
    child_a.save()
    client.force_login(head)
    pupil_type = ContentType.objects.get(app_label="school", model="pupil")

    found = client.get(reverse("governance:audit"), {"content_type": pupil_type.pk, "object_id": child_a.pk})
    by_office = client.get(reverse("governance:audit"), {"actor_email": office.email})

    assert found.status_code == 200
    assert found.context["page"].paginator.count >= 1
    assert all(e.object_pk == str(child_a.pk) for e in found.context["page"])
    assert by_office.context["page"].paginator.count == 0


@pytest.mark.policy("GOV-3")
def test_audit_search_by_date_range_includes_both_days(client, head, child_a):
    client.force_login(head)
    today = timezone.localdate()

    inside = client.get(reverse("governance:audit"), {"date_from": today.isoformat(), "date_to": today.isoformat()})
    before = client.get(reverse("governance:audit"), {"date_to": (today - dt.timedelta(days=1)).isoformat()})

    assert inside.context["page"].paginator.count >= 1
    assert before.context["page"].paginator.count == 0


@pytest.mark.policy("GOV-3")
def test_safeguarding_history_is_shown_only_to_the_dsl_team(client, office, dsl):
    _safeguarding_entry()

    client.force_login(office)
    office_page = client.get(reverse("governance:audit"))
    client.force_login(dsl)
    dsl_page = client.get(reverse("governance:audit"))

    assert b"SC-SECRET" not in office_page.content
    assert b"SC-SECRET" in dsl_page.content


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("who", ["teacher", "parent_a"])
def test_teachers_and_parents_cannot_open_the_audit_history(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("governance:audit")).status_code == 403


def test_audit_form_error_is_shown_and_changes_nothing(client, head):
    client.force_login(head)

    response = client.get(reverse("governance:audit"), {"date_from": "2026-11-10", "date_to": "2026-11-01"})

    assert b"There is a problem" in response.content
    assert response.context["page"] is None


# --- A family's data (GOV-4) ---------------------------------------------------------------


@pytest.mark.policy("GOV-4")
def test_a_guardian_downloads_their_childs_data_as_a_page_and_json(client, parent_a, guardian_a, child_a):
    OutboxMessage.objects.create(
        kind="call-notice",
        recipient_email=guardian_a.email,
        recipient_user=parent_a,
        subject="A call for Amelia",
        body_text="Details",
        dedupe_key="t:1",
    )
    client.force_login(parent_a)

    page = client.get(reverse("governance:family_data", args=[child_a.pk]))
    download = client.get(reverse("governance:family_data_json", args=[child_a.pk]))

    assert page.status_code == 200
    assert b"Amelia" in page.content
    assert b"subject access request" in page.content
    data = json.loads(download.content)
    assert "attachment" in download["Content-Disposition"]
    assert data["child"]["first_name"] == "Amelia"
    titles = [s["title"] for s in data["sections"]]
    assert "Consent history" in titles
    messages = next(s for s in data["sections"] if s["title"] == "Emails the portal sent you")
    assert [m["subject"] for m in messages["rows"]] == ["A call for Amelia"]


@pytest.mark.policy("GOV-4")
def test_safeguarding_records_are_never_in_the_family_download(client, parent_a, child_a, dsl):
    from safeguarding.models import Concern, ConcernPupil

    concern = Concern.objects.create(
        reported_by=dsl,
        raised_at=timezone.now(),
        happened_at=timezone.now(),
        kind="other",
        what_happened="TOP-SECRET-DETAIL",
        action_taken="nothing",
    )
    ConcernPupil.objects.create(concern=concern, pupil=child_a)
    client.force_login(parent_a)

    download = client.get(reverse("governance:family_data_json", args=[child_a.pk]))

    assert b"TOP-SECRET-DETAIL" not in download.content
    assert concern.reference.encode() not in download.content
    assert b"safeguarding" not in json.dumps([s["title"] for s in json.loads(download.content)["sections"]]).lower().encode()


@pytest.mark.policy("GOV-2")
def test_another_familys_child_is_404(client, parent_b, child_a):
    client.force_login(parent_b)

    assert client.get(reverse("governance:family_data", args=[child_a.pk])).status_code == 404
    assert client.get(reverse("governance:family_data_json", args=[child_a.pk])).status_code == 404
    assert client.get(reverse("governance:family_data", args=[999999])).status_code == 404


@pytest.mark.policy("GOV-2")
def test_staff_are_not_a_family_and_get_404(client, head, child_a):
    client.force_login(head)

    assert client.get(reverse("governance:family_data", args=[child_a.pk])).status_code == 404


# --- Leavers and retention pages -----------------------------------------------------------


def test_office_marks_a_pupil_left_through_the_page(client, office, child_a, parent_a):
    client.force_login(office)

    response = client.post(reverse("governance:leavers"), {"pupil": child_a.pk, "left_on": timezone.localdate().isoformat()})

    child_a.refresh_from_db()
    assert response.status_code == 302
    assert child_a.left_on == timezone.localdate()


def test_a_future_leaving_date_is_refused_next_to_the_field(client, office, child_a):
    client.force_login(office)
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()

    response = client.post(reverse("governance:leavers"), {"pupil": child_a.pk, "left_on": future})

    child_a.refresh_from_db()
    assert b"not in advance" in response.content
    assert child_a.left_on is None


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("who", ["teacher", "parent_a", "deputy"])
def test_only_office_and_head_mark_leavers(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("governance:leavers")).status_code == 403


def test_retention_page_shows_the_schedule(client, office):
    client.force_login(office)

    response = client.get(reverse("governance:retention"))

    assert response.status_code == 200
    assert b"25th birthday" in response.content


@pytest.mark.policy("GOV-4")
def test_family_download_has_calls_attendance_and_join_attempts_but_never_the_meeting_link(
    client, parent_a, guardian_a, child_a, make_call
):
    from .conftest import london, model

    call = make_call(
        london(2026, 11, 10, 10, 0), status="held", meeting_url="https://teams.example.test/SECRET-LINK", passcode="SECRET-PASS"
    )
    model("calls.CallInvitation").objects.create(call=call, pupil=child_a, invited_at=london(2026, 11, 8, 9, 0))
    link = model("calls.JoinLink").objects.create(
        call=call, guardian=guardian_a, pupil=child_a, token_hash="h1", created_at=london(2026, 11, 9, 9, 0)
    )
    model("calls.JoinAttempt").objects.create(link=link, call=call, at=london(2026, 11, 10, 9, 50), allowed=True)
    log = model("sessionlogs.SessionLog").objects.create(
        call=call,
        author=call.host,
        written_at=london(2026, 11, 10, 11, 0),
        started_at=london(2026, 11, 10, 10, 0),
        ended_at=london(2026, 11, 10, 10, 25),
    )
    model("sessionlogs.SessionLogPupil").objects.create(log=log, pupil=child_a, outcome="admitted")
    client.force_login(parent_a)

    download = client.get(reverse("governance:family_data_json", args=[child_a.pk]))

    data = {s["title"]: s for s in json.loads(download.content)["sections"]}
    assert [r["title"] for r in data["Calls"]["rows"]] == ["Year 3 maths"]
    assert data["Joining calls"]["rows"][0]["let_in"] is True
    assert data["Attendance at sessions held"]["rows"][0]["attendance"] == "Admitted"
    assert data["Attendance at sessions held"]["rows"][0]["minutes"] == 25
    assert b"SECRET-LINK" not in download.content
    assert b"SECRET-PASS" not in download.content
