"""Pages: who gets what (GOV-2, SG-3), the raise form (SG-1), re-authentication, the DSL pages."""

import datetime as dt

import pytest
from django.urls import reverse

from safeguarding import services
from safeguarding.choices import AccessPurpose, ConcernKind
from safeguarding.models import Concern, ConcernAccess, ConcernEntry, DslAbsence, PupilFileExport

from .conftest import CHILDS_WORDS, WHAT_HAPPENED, sign_in_recently, sign_in_without_record

pytestmark = pytest.mark.django_db


def concern_urls(concern, child):
    entry = concern.entries.first()
    urls = [
        ("get", reverse("safeguarding:dashboard")),
        ("get", reverse("safeguarding:concern", args=[concern.pk])),
        ("post", reverse("safeguarding:concern", args=[concern.pk])),
        ("get", reverse("safeguarding:chronology", args=[child.pk])),
        ("post", reverse("safeguarding:export", args=[child.pk])),
        ("get", reverse("safeguarding:availability")),
        ("get", reverse("safeguarding:access_log")),
    ]
    if entry:
        urls.append(("get", reverse("safeguarding:correct", args=[concern.pk, entry.pk])))
    return urls


@pytest.mark.policy("GOV-2")
@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("who", ["head", "deputy", "teacher", "teacher_b", "office", "parent_a", "superuser"])
def test_everyone_outside_the_dsl_team_gets_404_for_every_concern_url(client, concern, dsl, child_a, now, who, request):
    services.add_note(concern=concern, by=dsl, text="A note", now=now)
    user = request.getfixturevalue(who)
    sign_in_recently(client, user)

    for method, url in concern_urls(concern, child_a):
        response = getattr(client, method)(url, {"form": "acknowledge"} if method == "post" else None)
        assert response.status_code == 404, (who, url)
    assert not ConcernAccess.objects.exists()
    assert not concern.entries.filter(kind="acknowledged").exists()


@pytest.mark.policy("GOV-2")
@pytest.mark.policy("SG-3")
def test_the_reporter_sees_only_their_receipt_never_the_report(client, concern, teacher, child_a):
    sign_in_recently(client, teacher)

    receipt = client.get(reverse("safeguarding:receipt", args=[concern.reference]))

    assert receipt.status_code == 200
    assert concern.reference in receipt.text
    for secret in (WHAT_HAPPENED, CHILDS_WORDS, child_a.last_name):
        assert secret not in receipt.text
    for _method, url in concern_urls(concern, child_a):
        assert client.get(url).status_code == 404


@pytest.mark.policy("GOV-2")
def test_someone_elses_receipt_is_404(client, concern, teacher_b):
    client.force_login(teacher_b)

    assert client.get(reverse("safeguarding:receipt", args=[concern.reference])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, concern):
    response = client.get(reverse("safeguarding:concern", args=[concern.pk]))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


@pytest.mark.policy("GOV-2")
def test_a_parent_cannot_raise_a_concern_here(client, parent_a):
    client.force_login(parent_a)

    assert client.get(reverse("safeguarding:raise")).status_code == 403


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("who", ["dsl", "ddsl"])
def test_the_dsl_team_opens_a_concern_and_the_read_is_recorded(client, concern, who, request):
    user = request.getfixturevalue(who)
    sign_in_recently(client, user)

    response = client.get(reverse("safeguarding:concern", args=[concern.pk]))

    assert response.status_code == 200
    assert WHAT_HAPPENED in response.text
    assert CHILDS_WORDS in response.text
    access = ConcernAccess.objects.get()
    assert (access.user, access.purpose) == (user, AccessPurpose.OPENED)
    assert user.email in response.text  # the access record is on the page


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize("seconds_ago", [None, 16 * 60])
def test_opening_a_concern_asks_for_the_password_again_after_the_window(client, concern, dsl, seconds_ago):
    if seconds_ago is None:
        sign_in_without_record(client, dsl)
    else:
        sign_in_recently(client, dsl, seconds_ago=seconds_ago)
    url = reverse("safeguarding:concern", args=[concern.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not ConcernAccess.objects.exists()


@pytest.mark.policy("SG-3")
def test_re_authenticating_with_the_password_opens_the_concern(client, concern, dsl):
    sign_in_without_record(client, dsl)
    url = reverse("safeguarding:concern", args=[concern.pk])
    first = client.get(url)

    response = client.post(first.url, {"password": "correct-horse-battery"}, follow=True)

    assert response.redirect_chain[-1][0] == url
    assert WHAT_HAPPENED in response.text
    assert ConcernAccess.objects.filter(user=dsl).count() == 1


@pytest.mark.policy("SG-1")
def test_the_raise_form_is_prefilled_from_a_call(client, teacher, child_a, child_b, dsl):
    client.force_login(teacher)

    response = client.get(reverse("safeguarding:raise"), {"pupil": [child_a.pk, child_b.pk], "call": "17"})

    form = response.context["form"]
    assert set(form.initial["pupils"]) == {child_a.pk, child_b.pk}
    assert form.initial["source_call_id"] == 17
    assert form.initial["kind"] == ConcernKind.SEEN_OR_HEARD


@pytest.mark.policy("SG-1")
def test_raising_a_concern_gives_a_receipt_and_alerts_the_dsl(client, teacher, child_a, dsl, now):
    client.force_login(teacher)
    data = {
        "pupils": [child_a.pk],
        "kind": ConcernKind.DISCLOSURE,
        "happened_at": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "what_happened": WHAT_HAPPENED,
        "childs_words": CHILDS_WORDS,
        "action_taken": "Told the DSL",
        "source_call_id": "17",
    }

    response = client.post(reverse("safeguarding:raise"), data, follow=True)

    concern = Concern.objects.get()
    assert response.redirect_chain[-1][0] == reverse("safeguarding:receipt", args=[concern.reference])
    assert concern.source_call_id == 17
    assert WHAT_HAPPENED not in response.text
    assert concern.alerts.get().recipient == dsl


@pytest.mark.policy("SG-1")
def test_a_disclosure_without_the_childs_words_is_shown_next_to_the_field_and_saves_nothing(client, teacher, child_a, now):
    client.force_login(teacher)
    data = {
        "pupils": [child_a.pk],
        "kind": ConcernKind.DISCLOSURE,
        "happened_at": now.strftime("%Y-%m-%dT%H:%M"),
        "what_happened": WHAT_HAPPENED,
        "childs_words": "",
        "action_taken": "None yet",
    }

    response = client.post(reverse("safeguarding:raise"), data)

    assert response.status_code == 200
    assert "child&#x27;s own words" in response.text
    assert response.context["form"].errors["childs_words"]
    assert not Concern.objects.exists()


@pytest.mark.policy("SG-1")
def test_a_report_with_empty_fields_also_shows_the_disclosure_and_time_rules_at_once(client, teacher, child_a, now):
    client.force_login(teacher)
    data = {
        "pupils": [child_a.pk],
        "kind": ConcernKind.DISCLOSURE,
        "happened_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "what_happened": "",
        "childs_words": "",
        "action_taken": "",
    }

    response = client.post(reverse("safeguarding:raise"), data)

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["what_happened"]
    assert errors["action_taken"]
    assert errors["childs_words"] == ["For a disclosure, write down the child's own words, as exactly as you can."]
    assert errors["happened_at"] == ["When it happened cannot be in the future."]
    assert "child&#x27;s own words" in response.text
    assert "cannot be in the future" in response.text
    assert not Concern.objects.exists()


@pytest.mark.policy("SG-1")
def test_pupils_who_have_left_are_not_offered(client, teacher, child_a, child_b, now):
    child_b.left_on = now.date()
    child_b.save()
    client.force_login(teacher)

    form = client.get(reverse("safeguarding:raise")).context["form"]

    assert list(form.fields["pupils"].queryset) == [child_a]


@pytest.mark.policy("SG-1")
def test_the_reporter_adds_further_information_from_the_receipt(client, concern, teacher):
    client.force_login(teacher)

    client.post(reverse("safeguarding:receipt", args=[concern.reference]), {"text": "She said it again today"})

    assert concern.entries.get().text == "She said it again today"


@pytest.mark.policy("SG-4")
def test_the_dsl_acknowledges_logs_a_phone_call_and_closes_from_the_concern_page(client, concern, dsl):
    sign_in_recently(client, dsl)
    url = reverse("safeguarding:concern", args=[concern.pk])

    client.post(url, {"form": "acknowledge"})
    client.post(url, {"form": "action", "action-action": "phone_call", "action-text": "Spoke to mum"})
    client.post(url, {"form": "close", "close-outcome": "early_help", "close-text": "Early help assessment"})

    assert list(concern.entries.values_list("kind", flat=True)) == ["acknowledged", "action", "closed"]


@pytest.mark.policy("SG-4")
def test_a_refused_entry_shows_why_and_adds_nothing(client, concern, dsl):
    sign_in_recently(client, dsl)

    response = client.post(reverse("safeguarding:concern", args=[concern.pk]), {"form": "close", "close-outcome": "other"})

    assert "Acknowledge the concern before closing it." in response.text
    assert not concern.entries.exists()


@pytest.mark.policy("SG-4")
def test_a_correction_is_added_from_its_own_page(client, concern, dsl, now):
    note = services.add_note(concern=concern, by=dsl, text="Wrong name", now=now)
    sign_in_recently(client, dsl)

    client.post(reverse("safeguarding:correct", args=[concern.pk, note.pk]), {"text": "Right name"})

    assert ConcernEntry.objects.get(corrects=note).text == "Right name"


@pytest.mark.policy("SG-4")
def test_the_pupil_chronology_gathers_every_concern_and_entry_in_date_order(client, raise_one, dsl, child_a, now):
    first = raise_one(now=now - dt.timedelta(days=3), what_happened="First worry")
    services.acknowledge(concern=first, by=dsl, now=now - dt.timedelta(days=2))
    raise_one(now=now - dt.timedelta(days=1), what_happened="Second worry", kind=ConcernKind.OTHER, childs_words="")
    sign_in_recently(client, dsl)

    response = client.get(reverse("safeguarding:chronology", args=[child_a.pk]))

    text = response.text
    assert text.index("First worry") < text.index("Acknowledged") < text.index("Second worry")
    assert ConcernAccess.objects.filter(purpose=AccessPurpose.CHRONOLOGY).count() == 2


def test_the_dsl_exports_a_pupils_file_as_a_pdf_and_the_export_is_recorded(client, concern, dsl, child_a):
    sign_in_recently(client, dsl)

    response = client.post(reverse("safeguarding:export", args=[child_a.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert PupilFileExport.objects.get().exported_by == dsl


def test_exporting_needs_a_recent_sign_in(client, concern, dsl, child_a):
    sign_in_without_record(client, dsl)

    response = client.post(reverse("safeguarding:export", args=[child_a.pk]))

    assert response.status_code == 302
    assert not PupilFileExport.objects.exists()


@pytest.mark.policy("SG-2")
def test_the_dsl_marks_a_period_of_unavailability(client, dsl, now):
    client.force_login(dsl)
    data = {
        "user": dsl.pk,
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Training",
    }

    client.post(reverse("safeguarding:availability"), data)

    absence = DslAbsence.objects.get()
    assert (absence.user, absence.recorded_by, absence.reason) == (dsl, dsl, "Training")


def test_the_dashboard_lists_concerns_with_state_and_filters(client, raise_one, dsl, child_a, child_b, now):
    old = raise_one(now=now - dt.timedelta(hours=3), pupils=[child_b], kind=ConcernKind.OTHER, childs_words="")
    fresh = raise_one(now=now - dt.timedelta(minutes=5))
    client.force_login(dsl)

    everything = client.get(reverse("safeguarding:dashboard"))
    overdue = client.get(reverse("safeguarding:dashboard"), {"state": "overdue"})
    about_a = client.get(reverse("safeguarding:dashboard"), {"pupil": child_a.pk})

    assert everything.context["counts"] == {"new": 2, "overdue": 1, "acknowledged": 0, "open": 2}
    assert [r["concern"] for r in overdue.context["rows"]] == [old]
    assert [r["concern"] for r in about_a.context["rows"]] == [fresh]
    assert WHAT_HAPPENED not in everything.text  # the list never shows content (no read recorded)


def test_the_home_page_shows_the_dsl_panel_and_the_raise_panel(client, concern, dsl, teacher_b):
    client.force_login(dsl)
    dsl_home = client.get(reverse("home"))
    client.force_login(teacher_b)
    teacher_home = client.get(reverse("home"))

    assert "Safeguarding concerns" in dsl_home.text
    assert "Safeguarding concerns" not in teacher_home.text
    assert reverse("safeguarding:raise") in teacher_home.text


@pytest.mark.policy("GOV-3")
def test_the_audit_log_names_who_acknowledged_from_the_page(client, concern, dsl):
    from auditlog.models import LogEntry

    sign_in_recently(client, dsl)

    client.post(reverse("safeguarding:concern", args=[concern.pk]), {"form": "acknowledge"})

    entry = LogEntry.objects.get(content_type__model="concernentry", action=LogEntry.Action.CREATE)
    assert entry.actor == dsl
    assert "acknowledged" in entry.changes_str


@pytest.mark.policy("SG-3")
def test_with_staff_mfa_enforced_a_dsl_without_an_authenticator_is_sent_to_set_one_up(client, concern, dsl, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    sign_in_recently(client, dsl)

    response = client.get(reverse("safeguarding:concern", args=[concern.pk]))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    assert not ConcernAccess.objects.exists()


@pytest.mark.policy("SG-3")
def test_the_pupil_chronology_is_paged_and_records_only_the_concerns_on_the_page(
    client, raise_one, dsl, child_a, now, monkeypatch
):
    from safeguarding import views

    monkeypatch.setattr(views, "CHRONOLOGY_PAGE_SIZE", 2)
    first = raise_one(now=now - dt.timedelta(days=3), what_happened="First worry")
    services.acknowledge(concern=first, by=dsl, now=now - dt.timedelta(days=2))
    second = raise_one(now=now - dt.timedelta(days=1), what_happened="Second worry", kind=ConcernKind.OTHER, childs_words="")
    sign_in_recently(client, dsl)

    page_one = client.get(reverse("safeguarding:chronology", args=[child_a.pk]))
    read_on_one = set(ConcernAccess.objects.values_list("concern_id", flat=True))
    page_two = client.get(reverse("safeguarding:chronology", args=[child_a.pk]), {"page": 2})

    assert "First worry" in page_one.text
    assert "Second worry" not in page_one.text
    assert "Page 1 of 2" in page_one.text
    assert "page=2" in page_one.text
    assert "Second worry" in page_two.text
    assert "First worry" not in page_two.text
    assert read_on_one == {first.pk}
    assert set(ConcernAccess.objects.values_list("concern_id", flat=True)) == {first.pk, second.pk}


def test_the_dashboard_finds_concerns_by_a_pupils_name_and_keeps_filters_across_pages(
    client, raise_one, dsl, child_a, child_b, now, monkeypatch
):
    from safeguarding import views

    monkeypatch.setattr(views, "DASHBOARD_PAGE_SIZE", 1)
    about_b = [raise_one(now=now - dt.timedelta(hours=h), pupils=[child_b]) for h in (1, 2)]
    raise_one(now=now - dt.timedelta(hours=3))
    client.force_login(dsl)

    found = client.get(reverse("safeguarding:dashboard"), {"name": child_b.last_name.upper(), "kind": ConcernKind.DISCLOSURE})
    second = client.get(
        reverse("safeguarding:dashboard"), {"name": child_b.last_name.upper(), "kind": ConcernKind.DISCLOSURE, "page": 2}
    )

    assert [r["concern"] for r in found.context["rows"]] == [about_b[0]]
    assert [r["concern"] for r in second.context["rows"]] == [about_b[1]]
    assert "Page 1 of 2" in found.text
    assert f"name={child_b.last_name.upper()}" in found.text
    assert "kind=disclosure" in found.text
    assert child_a.full_name not in found.text  # no list of every pupil on the page


def test_the_concern_page_shows_the_latest_reads_and_links_to_the_whole_record(client, raise_one, concern, dsl, now, monkeypatch):
    from safeguarding import views

    monkeypatch.setattr(views, "ACCESSES_SHOWN", 2)
    other = raise_one(now=now)
    for minutes in (3, 2, 1):
        services.record_access(concern=concern, user=dsl, now=now - dt.timedelta(minutes=minutes))
    services.record_access(concern=other, user=dsl, now=now)
    sign_in_recently(client, dsl)

    response = client.get(reverse("safeguarding:concern", args=[concern.pk]))
    record = client.get(reverse("safeguarding:access_log"), {"concern": concern.pk})

    assert [a.at for a in response.context["accesses"]][1] == now - dt.timedelta(minutes=1)
    assert "the latest 2 of 4 reads" in response.text
    assert {a.concern_id for a in record.context["page"]} == {concern.pk}
    assert len(record.context["page"].object_list) == 4
