"""The directory pages: who may open them (403/404 at each boundary) and what they do."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import Role
from accounts.models import StaffRole, User
from notifications.models import OutboxMessage
from school.models import Closure, Guardian, Pupil, SchoolDay, SchoolSettings, TermDate
from tests.factories import PupilFactory

pytestmark = pytest.mark.django_db

OFFICE_PAGES = [
    ("school:pupils", {}),
    ("school:pupils_csv", {}),
    ("school:guardians", {}),
    ("school:guardian_create", {}),
    ("school:staff", {}),
    ("school:staff_create", {}),
    ("school:roles", {}),
    ("school:import", {}),
    ("school:import_preview", {}),
    ("school:settings", {}),
]
OFFICE_POSTS = [
    ("school:import_confirm", {}),
    ("school:hours", {}),
    ("school:term_add", {}),
    ("school:closure_add", {}),
]


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize(("name", "kwargs"), OFFICE_PAGES)
def test_teachers_and_parents_cannot_open_office_pages(client, teacher, parent_a, name, kwargs):
    for person in (teacher, parent_a):
        client.force_login(person)

        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize(("name", "kwargs"), OFFICE_POSTS)
def test_teachers_cannot_post_to_office_pages(client, teacher, name, kwargs):
    client.force_login(teacher)

    assert client.post(reverse(name, kwargs=kwargs)).status_code == 403


def test_teachers_cannot_remove_roles_or_send_invitations(client, teacher, office):
    client.force_login(teacher)
    held = StaffRole.objects.get(user=office)

    assert client.post(reverse("school:role_remove", args=[held.pk])).status_code == 403
    assert client.post(reverse("school:invite", args=[office.pk])).status_code == 403
    assert StaffRole.objects.filter(pk=held.pk).exists()


@pytest.mark.parametrize("fixture", ["head", "office"])
@pytest.mark.parametrize(("name", "kwargs"), [p for p in OFFICE_PAGES if p[0] != "school:import_preview"])
def test_head_and_office_open_office_pages(client, request, fixture, name, kwargs):
    client.force_login(request.getfixturevalue(fixture))

    assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("school:pupils"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.policy("GOV-2")
def test_a_parent_cannot_open_another_familys_child(client, parent_b, child_a, child_b):
    client.force_login(parent_b)

    assert client.get(reverse("school:child", args=[child_a.pk])).status_code == 404
    assert client.get(reverse("school:child", args=[child_b.pk])).status_code == 200
    assert client.get(reverse("school:child", args=[999999])).status_code == 404


@pytest.mark.policy("GOV-2")
def test_parents_get_404_from_the_staff_pupil_page_even_for_their_own_child(client, parent_a, parent_b, child_a):
    for parent in (parent_a, parent_b):
        client.force_login(parent)

        assert client.get(reverse("school:pupil", args=[child_a.pk])).status_code == 404


@pytest.mark.policy("GOV-2")
def test_parent3_cannot_open_any_page_about_parent1s_children(client, now):
    from portal.demo import seed_demo_school

    seed_demo_school(now)
    parent1, parent3 = (User.objects.get(email=f"parent{n}@demo.egps.test") for n in (1, 3))
    client.force_login(parent3)

    for child in Pupil.objects.filter(guardianships__guardian__user=parent1):
        for name in ("school:child", "school:pupil"):
            assert client.get(reverse(name, args=[child.pk])).status_code == 404


@pytest.mark.policy("COM-8")
def test_child_page_shows_class_guardians_and_reporting_routes_but_not_contact_details(client, parent_a, guardian_a, child_a):
    other = Guardian.objects.create(first_name="Sam", last_name="Other", email="sam@example.test", phone="07700 900000")
    other.guardianships.create(pupil=child_a, relationship="Father")
    client.force_login(parent_a)

    page = client.get(reverse("school:child", args=[child_a.pk])).content.decode()

    assert "Amelia Adams" in page
    assert "Year 3" in page
    assert "Sam Other (Father" in page
    assert "sam@example.test" not in page
    assert "07700 900000" not in page
    assert "Childline" in page


@pytest.mark.policy("GOV-2")
def test_a_teacher_sees_pupils_of_their_class_only(client, teacher, child_a, child_b, class_a, class_b):
    client.force_login(teacher)

    assert client.get(reverse("school:pupil", args=[child_a.pk])).status_code == 200
    assert client.get(reverse("school:pupil", args=[child_b.pk])).status_code == 404
    assert client.get(reverse("school:class", args=[class_a.pk])).status_code == 200
    assert client.get(reverse("school:class", args=[class_b.pk])).status_code == 404


def test_staff_pupil_page_shows_guardians_with_responsibility(client, office, child_a, guardian_a):
    client.force_login(office)

    page = client.get(reverse("school:pupil", args=[child_a.pk])).content.decode()

    assert guardian_a.email in page
    assert "Parental responsibility" in page


def test_pupil_search_finds_by_name_and_pages_long_lists(client, office, class_a):
    PupilFactory.create_batch(30, school_class=class_a, last_name="Many")
    PupilFactory(first_name="Zebedee", last_name="Quill", school_class=class_a)
    client.force_login(office)

    found = client.get(reverse("school:pupils"), {"q": "zebedee qu"})
    first_page = client.get(reverse("school:pupils"))

    assert list(found.context["page"]) == [Pupil.objects.get(first_name="Zebedee")]
    assert first_page.context["page"].paginator.num_pages == 2
    assert len(first_page.context["page"]) == 25


def test_guardian_and_staff_search(client, office, guardian_a, guardian_b, teacher):
    client.force_login(office)

    guardians = client.get(reverse("school:guardians"), {"q": "parent-a@"})
    staff = client.get(reverse("school:staff"), {"q": "Tara"})

    assert list(guardians.context["page"]) == [guardian_a]
    assert list(staff.context["page"]) == [teacher]


def test_pupil_csv_export_neutralises_formulas(client, office, class_a):
    PupilFactory(first_name="=HYPERLINK(1)", last_name="@Evil", school_class=class_a)
    client.force_login(office)

    body = client.get(reverse("school:pupils_csv")).content.decode()

    assert "'=HYPERLINK(1)" in body
    assert "'@Evil" in body


def test_office_creates_a_staff_account_which_is_invited(client, office, django_capture_on_commit_callbacks):
    client.force_login(office)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("school:staff_create"),
            {"first_name": "Nia", "last_name": "New", "email": "Nia@Example.test", "roles": [Role.TEACHER, Role.OFFICE]},
        )

    assert response.status_code == 302
    nia = User.objects.get(email="nia@example.test")
    assert nia.roles == {Role.TEACHER, Role.OFFICE}
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="nia@example.test").exists()


def test_a_staff_account_needs_a_role_and_a_new_email(client, office, teacher):
    client.force_login(office)

    response = client.post(reverse("school:staff_create"), {"first_name": "X", "last_name": "Y", "email": teacher.email})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert response.context["form"].errors.keys() == {"email", "roles"}


def test_office_creates_a_guardian_account_linked_to_a_child(client, office, child_a):
    client.force_login(office)

    response = client.post(
        reverse("school:guardian_create"),
        {
            "first_name": "Gus",
            "last_name": "Adams",
            "email": "gus@example.test",
            "pupil": child_a.pk,
            "relationship": "Father",
            "parental_responsibility": "on",
        },
    )

    assert response.status_code == 302
    gus = Guardian.objects.get(email="gus@example.test")
    assert gus.user.email == "gus@example.test"
    assert gus.guardianships.get().pupil == child_a
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="gus@example.test").exists()


def test_office_resends_an_invitation(client, office):
    client.force_login(office)
    client.post(
        reverse("school:staff_create"), {"first_name": "A", "last_name": "B", "email": "ab@example.test", "roles": ["teacher"]}
    )
    person = User.objects.get(email="ab@example.test")

    client.post(reverse("school:invite", args=[person.pk]))

    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="ab@example.test").count() == 2


def test_roles_page_assigns_and_removes_a_role(client, head, teacher):
    client.force_login(head)

    client.post(reverse("school:roles"), {"person": teacher.pk, "role": Role.DEPUTY_DSL})
    held = StaffRole.objects.get(user=teacher, role=Role.DEPUTY_DSL)
    client.post(reverse("school:role_remove", args=[held.pk]))

    assert not StaffRole.objects.filter(user=teacher, role=Role.DEPUTY_DSL).exists()


def test_settings_page_saves_hours_terms_closures_and_deadlines(client, office):
    client.force_login(office)
    hours = {f"hours-open_{d}": "on" for d in range(5)}
    hours |= {f"hours-opens_{d}": "08:30" for d in range(7)} | {f"hours-closes_{d}": "15:15" for d in range(7)}

    client.post(reverse("school:hours"), hours)
    client.post(reverse("school:term_add"), {"term-name": "Autumn", "term-starts_on": "2026-09-02", "term-ends_on": "2026-12-18"})
    client.post(
        reverse("school:closure_add"),
        {"closure-reason": "INSET", "closure-starts_on": "2026-11-02", "closure-ends_on": "2026-11-02"},
    )
    form = {"name": "EGPS", "reporting_routes": "Tell an adult.", "join_window_minutes": 10, "join_email_lead_hours": 24}
    form |= {"min_booking_notice_hours": 2, "session_log_deadline_hours": 24, "log_correction_window_hours": 48}
    form |= {"concern_ack_minutes": 30, "office_phone": "", "office_email": ""}
    client.post(reverse("school:settings"), form)

    assert SchoolDay.objects.count() == 5
    assert str(SchoolDay.objects.first().opens_at) == "08:30:00"
    assert TermDate.objects.get().name == "Autumn"
    assert Closure.objects.get().reason == "INSET"
    assert SchoolSettings.load().concern_ack_minutes == 30


def test_a_term_ending_before_it_starts_is_refused_next_to_the_field(client, office):
    client.force_login(office)

    response = client.post(
        reverse("school:term_add"), {"term-name": "Odd", "term-starts_on": "2026-09-02", "term-ends_on": "2026-09-01"}
    )

    assert "The last day must be on or after the first day." in response.content.decode()
    assert not TermDate.objects.exists()


def test_closing_before_opening_is_refused(client, office):
    client.force_login(office)

    response = client.post(reverse("school:hours"), {"hours-open_0": "on", "hours-opens_0": "15:00", "hours-closes_0": "09:00"})

    assert "Monday must close after it opens." in response.content.decode()
    assert not SchoolDay.objects.exists()


BAD_FILE = (
    b"mis_id,first_name,last_name,date_of_birth,class\nM1,Ada,Lovelace,10/12/2018,Year 3\nM2,Alan,Turing,not a date,Year 5\n"
)
GOOD_FILE = b"mis_id,first_name,last_name,date_of_birth,class\nM1,Ada,Lovelace,10/12/2018,Year 3\n"


def _upload(client, data, kind="pupils"):
    return client.post(reverse("school:import"), {"kind": kind, "file": SimpleUploadedFile("export.csv", data)}, follow=True)


def test_importing_a_file_with_a_bad_row_shows_the_row_and_why_and_writes_nothing(client, office):
    client.force_login(office)

    page = html.unescape(_upload(client, BAD_FILE).content.decode())
    refused = client.post(reverse("school:import_confirm"), {"digest": client.session["school_import"]["digest"]})

    assert "Row 3" in page
    assert "'not a date' is not a date" in page
    assert "Import these pupils" not in page
    assert "Nothing was imported" in refused.content.decode()
    assert not Pupil.objects.exists()


def test_importing_through_the_pages_previews_then_writes_on_confirm(client, office):
    client.force_login(office)

    preview = _upload(client, GOOD_FILE)
    assert not Pupil.objects.exists()
    done = client.post(reverse("school:import_confirm"), {"digest": preview.context["digest"]})
    again = _upload(client, GOOD_FILE).content.decode()

    assert "1 new" in done.content.decode()
    assert Pupil.objects.get().mis_id == "M1"
    assert "This file changes nothing" in again


def test_confirming_a_stale_preview_is_refused(client, office):
    client.force_login(office)
    _upload(client, GOOD_FILE)

    client.post(reverse("school:import_confirm"), {"digest": "something else"})

    assert not Pupil.objects.exists()


def test_an_unreadable_file_is_refused_next_to_the_file_field(client, office):
    client.force_login(office)

    response = _upload(client, b"name,age\nA,1\n")

    assert "Missing: mis_id" in response.content.decode()
    assert "school_import" not in client.session


def test_the_roles_form_offers_staff_and_new_accounts_but_not_parents(client, office, head, teacher, parent_a):
    newcomer = User.objects.create_user(email="newcomer@example.test")
    client.force_login(office)

    offered = set(client.get(reverse("school:roles")).context["form"].fields["person"].queryset)

    assert {head, teacher, newcomer} <= offered
    assert parent_a not in offered
    assert office not in offered  # nobody changes their own roles


def test_the_staff_pupil_page_offers_the_office_a_link_to_add_a_parent(client, office, teacher, child_a):
    link = f"{reverse('school:guardian_create')}?pupil={child_a.pk}"
    client.force_login(office)
    office_page = client.get(reverse("school:pupil", args=[child_a.pk])).content.decode()
    client.force_login(teacher)
    teacher_page = client.get(reverse("school:pupil", args=[child_a.pk])).content.decode()

    assert link in office_page
    assert link not in teacher_page


def test_the_office_uploads_a_school_logo(client, office, tmp_path, settings):
    import io

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(image, "PNG")
    form = {"name": "EGPS", "reporting_routes": "Tell an adult.", "join_window_minutes": 15, "join_email_lead_hours": 24}
    form |= {"min_booking_notice_hours": 1, "session_log_deadline_hours": 24, "log_correction_window_hours": 48}
    form |= {"concern_ack_minutes": 60, "logo": SimpleUploadedFile("logo.png", image.getvalue(), content_type="image/png")}
    client.force_login(office)

    client.post(reverse("school:settings"), form)

    assert SchoolSettings.load().logo.name.startswith("school/logo")
