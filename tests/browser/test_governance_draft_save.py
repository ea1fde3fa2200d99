"""Issue 17 in a real browser: the head opens a draft with the governors' agreement date,
Chromium shows that date in its date box, and saving an edit keeps it."""

import datetime as dt

import pytest

from governance import services
from governance.models import PolicyVersion

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.policy("GOV-1")
def test_the_head_edits_a_draft_and_the_agreement_date_survives(portal, head, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    draft = services.draft_policy_version(
        by=head,
        today=dt.date(2026, 11, 20),
        version="2026-11",
        text="Old text.",
        agreed_on=dt.date(2026, 11, 18),
        shared_with_staff_on=dt.date(2026, 11, 19),
        next_review_on=dt.date(2027, 10, 1),
    )

    portal.sign_in(head.email, "correct-horse-battery")
    portal.goto(f"/governance/policy/{draft.pk}/edit/")
    page = portal.page
    shown = [
        page.locator(f'input[name="{name}"]').input_value() for name in ("agreed_on", "shared_with_staff_on", "next_review_on")
    ]
    page.get_by_label("Text").fill("New text.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    portal.audit()

    assert shown == ["2026-11-18", "2026-11-19", "2027-10-01"]
    assert "Draft saved." in page.content()
    saved = PolicyVersion.objects.get(pk=draft.pk)
    assert saved.text == "New text."
    assert (saved.agreed_on, saved.shared_with_staff_on, saved.next_review_on) == (
        dt.date(2026, 11, 18),
        dt.date(2026, 11, 19),
        dt.date(2027, 10, 1),
    )


def test_the_leavers_page_shows_today_in_its_date_box(portal, office, settings):
    from django.utils import timezone

    settings.PORTAL_ENFORCE_STAFF_MFA = False
    portal.sign_in(office.email, "correct-horse-battery")
    portal.goto("/governance/leavers/")

    assert portal.page.locator('input[name="left_on"]').input_value() == timezone.localdate().isoformat()
