"""Saving through the governance pages as a browser would (issue 17): GET the page, read the
form's values the way the browser shows them, post them back with one edit, check what was kept."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from governance import services
from governance.models import PolicyVersion
from tests.html_forms import post_form, submitted

pytestmark = pytest.mark.django_db

AGREED = dt.date(2026, 11, 18)
SHARED = dt.date(2026, 11, 19)
REVIEW = dt.date(2027, 10, 1)


@pytest.fixture
def draft(head):
    return services.draft_policy_version(
        by=head,
        today=dt.date(2026, 11, 20),
        version="2026-11",
        title="Video Conferencing Policy",
        text="Old text.",
        agreed_on=AGREED,
        shared_with_staff_on=SHARED,
        guidance_changed=True,
        changes_summary="Reviewed.",
        next_review_on=REVIEW,
    )


@pytest.mark.policy("GOV-1")
def test_the_edit_page_shows_the_saved_dates_in_the_browsers_date_boxes(client, head, draft):
    client.force_login(head)

    form = post_form(client.get(reverse("governance:edit_version", args=[draft.pk])).content, field="agreed_on")
    values = submitted(form)

    assert form.inputs["agreed_on"]["type"] == "date"
    assert (values["agreed_on"], values["shared_with_staff_on"], values["next_review_on"]) == (
        "2026-11-18",
        "2026-11-19",
        "2027-10-01",
    )


@pytest.mark.policy("GOV-1")
def test_the_head_saves_an_edited_draft_and_the_governors_agreement_date_survives(client, head, draft):
    client.force_login(head)
    form = post_form(client.get(reverse("governance:edit_version", args=[draft.pk])).content, field="agreed_on")

    response = client.post(reverse("governance:edit_version", args=[draft.pk]), submitted(form, text="New text."))

    assert response.status_code == 302
    assert response["Location"] == reverse("governance:version_detail", args=[draft.pk])
    saved = PolicyVersion.objects.get(pk=draft.pk)
    assert saved.text == "New text."
    assert (saved.version, saved.agreed_on, saved.shared_with_staff_on, saved.next_review_on) == (
        "2026-11",
        AGREED,
        SHARED,
        REVIEW,
    )
    assert saved.guidance_changed is True
    assert saved.published_at is None  # saving a draft never publishes it
    change = LogEntry.objects.get_for_object(saved).filter(action=LogEntry.Action.UPDATE).get()
    assert change.actor == head
    assert "text" in change.changes_dict
    assert "agreed_on" not in change.changes_dict


def test_renaming_a_draft_to_a_name_in_use_is_refused_and_changes_nothing(client, head, draft):
    client.force_login(head)
    form = post_form(client.get(reverse("governance:edit_version", args=[draft.pk])).content, field="agreed_on")

    response = client.post(reverse("governance:edit_version", args=[draft.pk]), submitted(form, version="2020-09", text="X"))

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert PolicyVersion.objects.get(pk=draft.pk).text == "Old text."


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize("who", ["deputy", "teacher", "office", "parent_a"])
def test_only_the_head_saves_a_draft(client, request, who, draft):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("governance:edit_version", args=[draft.pk]), {"version": "2026-11", "text": "Hijacked"})

    assert response.status_code == 403
    assert PolicyVersion.objects.get(pk=draft.pk).text == "Old text."


def test_a_published_version_has_no_edit_page(client, head, draft):
    services.publish_policy_version(version=draft, by=head, now=timezone.now())
    client.force_login(head)

    response = client.post(reverse("governance:edit_version", args=[draft.pk]), {"version": "2026-11", "text": "Rewritten"})

    assert response.status_code == 404
    assert PolicyVersion.objects.get(pk=draft.pk).text == "Old text."


def test_the_office_marks_a_leaver_from_the_page_as_shown(client, office, child_a):
    client.force_login(office)
    form = post_form(client.get(reverse("governance:leavers")).content, field="left_on")
    shown = submitted(form)

    response = client.post(reverse("governance:leavers"), submitted(form, pupil=str(child_a.pk)))

    assert shown["left_on"] == timezone.localdate().isoformat()  # today, in a box the browser can show
    assert response.status_code == 302
    child_a.refresh_from_db()
    assert child_a.left_on == timezone.localdate()
    assert LogEntry.objects.get_for_object(child_a).filter(actor=office).exists()
