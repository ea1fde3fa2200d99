"""One HTTP test per page per permission boundary (GOV-2), and the two-click flow (CON-2)."""

import csv
import io

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent import selectors
from consent.choices import Audience, Decision, Method, Scope
from consent.models import AcceptableUseAcknowledgement, AcceptableUseDocument, ConsentDecision, FamilyQuestion
from tests.factories import PupilFactory, parent_of

pytestmark = pytest.mark.django_db


def change_url(pupil, scope=Scope.VIDEO_CALLS, action="withdraw"):
    return reverse("consent:change", args=[pupil.pk, scope, action])


# --- family pages: CON-2 and GOV-2 ----------------------------------------------------------


@pytest.mark.policy("CON-2")
def test_a_parent_gives_consent_in_two_clicks(client, parent_a, child_a):
    client.force_login(parent_a)
    family = client.get(reverse("consent:family"))
    give_url = change_url(child_a, action="give")
    assert give_url in family.content.decode()  # click 1: the button on the family page

    confirm = client.get(give_url)
    response = client.post(give_url, {**confirm.context["form"].initial})  # click 2: confirm

    assert response.status_code == 302
    assert selectors.has_consent(child_a)
    assert "can be invited" in confirm.content.decode()


@pytest.mark.policy("CON-2")
def test_a_parent_withdraws_in_two_clicks_and_sees_when(client, parent_a, guardian_a, child_a, give):
    give(child_a, guardian_a)
    client.force_login(parent_a)
    family = client.get(reverse("consent:family"))
    assert change_url(child_a) in family.content.decode()

    confirm = client.get(change_url(child_a))
    response = client.post(change_url(child_a), {**confirm.context["form"].initial}, follow=True)

    assert not selectors.has_consent(child_a)
    page = response.content.decode()
    assert "Consent withdrawn" in page
    assert "taken off every upcoming school video call" in confirm.content.decode()
    assert f"by {guardian_a.full_name}" in page


@pytest.mark.policy("CON-2")
def test_the_pages_work_without_javascript(client, parent_a, child_a):
    client.force_login(parent_a)

    page = client.get(change_url(child_a, action="give")).content.decode()

    assert '<form method="post"' in page
    assert "onclick" not in page


@pytest.mark.policy("GOV-2")
def test_another_parent_cannot_see_or_change_the_child(client, parent_b, child_a, guardian_a, give):
    give(child_a, guardian_a)
    client.force_login(parent_b)

    assert client.get(change_url(child_a)).status_code == 404
    assert client.post(change_url(child_a), {}).status_code == 404
    assert child_a.full_name not in client.get(reverse("consent:family")).content.decode()
    assert selectors.has_consent(child_a)


@pytest.mark.policy("GOV-2")
def test_form_tampering_with_pupil_or_guardian_ids_changes_nothing_else(
    client, parent_a, guardian_a, child_a, child_b, guardian_b
):
    client.force_login(parent_a)

    client.post(
        change_url(child_a, action="give"),
        {"pupil": child_b.pk, "pupil_id": child_b.pk, "guardian": guardian_b.pk, "guardian_id": guardian_b.pk},
    )

    decision = ConsentDecision.objects.get()
    assert (decision.pupil, decision.guardian) == (child_a, guardian_a)
    assert not selectors.has_consent(child_b)


@pytest.mark.policy("GOV-2")
def test_a_guardian_without_parental_responsibility_sees_no_button(client, child_a):
    step = parent_of(child_a, parental_responsibility=False)
    client.force_login(step.user)

    page = client.get(reverse("consent:family")).content.decode()
    client.post(change_url(child_a, action="give"), {})

    assert "Only a parent or carer with parental responsibility" in page
    assert not ConsentDecision.objects.exists()


def test_an_unknown_scope_or_action_is_404(client, parent_a, child_a):
    client.force_login(parent_a)

    assert client.get(reverse("consent:change", args=[child_a.pk, "swimming", "give"])).status_code == 404
    assert client.get(reverse("consent:change", args=[child_a.pk, Scope.VIDEO_CALLS, "delete"])).status_code == 404


def test_staff_without_children_have_no_family_page(client, teacher):
    client.force_login(teacher)

    assert client.get(reverse("consent:family")).status_code == 404


@pytest.mark.policy("COM-3")
def test_the_guidance_stays_on_the_family_pages(client, parent_a, child_a):
    client.force_login(parent_a)

    family = client.get(reverse("consent:family")).content.decode()
    guidance = client.get(reverse("consent:guidance")).content.decode()

    assert reverse("consent:guidance") in family
    assert "I will not reveal my passwords to anyone." in guidance
    assert "Childline" in family  # COM-8's reporting routes sit beside it


# --- acceptable use: CON-7 ----------------------------------------------------------------


@pytest.mark.policy("CON-7")
def test_a_parent_acknowledges_for_a_child_from_the_guidance_page(client, parent_a, child_a):
    pupils_document = AcceptableUseDocument.objects.current(Audience.PUPILS)
    client.force_login(parent_a)

    client.post(reverse("consent:acknowledge"), {"document": pupils_document.pk, "pupil": child_a.pk})

    ack = AcceptableUseAcknowledgement.objects.get()
    assert (ack.user, ack.pupil, ack.document) == (parent_a, child_a, pupils_document)
    assert f"Acknowledged on behalf of {child_a.first_name}" in client.get(reverse("consent:guidance")).content.decode()


@pytest.mark.policy("GOV-2")
def test_acknowledging_for_someone_elses_child_is_404(client, parent_a, child_b):
    pupils_document = AcceptableUseDocument.objects.current(Audience.PUPILS)
    client.force_login(parent_a)

    response = client.post(reverse("consent:acknowledge"), {"document": pupils_document.pk, "pupil": child_b.pk})

    assert response.status_code == 404
    assert not AcceptableUseAcknowledgement.objects.exists()


@pytest.mark.policy("CON-7")
def test_the_outstanding_view_lists_who_has_not_acknowledged(client, office, teacher, parent_a, parent_b, now):
    from consent import services

    services.acknowledge_acceptable_use(user=teacher, document=AcceptableUseDocument.objects.current(Audience.STAFF), now=now)
    services.acknowledge_acceptable_use(user=parent_a, document=AcceptableUseDocument.objects.current(Audience.PARENTS), now=now)
    client.force_login(office)

    response = client.get(reverse("consent:outstanding"))

    assert list(response.context["staff"]) == [office]
    assert [g.user for g in response.context["parents"]] == [parent_b]


def test_the_outstanding_view_is_for_office_and_leadership(client, teacher, parent_a):
    for user in (teacher, parent_a):
        client.force_login(user)
        assert client.get(reverse("consent:outstanding")).status_code == 403


# --- questions: COM-7 -----------------------------------------------------------------------


@pytest.mark.policy("COM-7")
def test_a_parent_asks_and_later_sees_the_reply(client, parent_a, office):
    client.force_login(parent_a)
    client.post(reverse("consent:questions"), {"subject": "Camera", "text": "Must the camera be on?"})
    question = FamilyQuestion.objects.get()

    client.force_login(office)
    queue = client.get(reverse("consent:queue")).content.decode()
    client.post(reverse("consent:queue_question", args=[question.pk]), {"text": "Yes, so the teacher can see who is there."})
    client.force_login(parent_a)
    page = client.get(reverse("consent:question", args=[question.pk])).content.decode()

    assert "Camera" in queue
    assert "so the teacher can see who is there" in page


@pytest.mark.policy("GOV-2")
def test_a_parent_sees_only_their_own_questions(client, guardian_a, parent_b, now):
    from consent import services

    question = services.ask_question(guardian=guardian_a, asked_by=guardian_a.user, subject="Mine", text="Private", now=now)
    client.force_login(parent_b)

    assert client.get(reverse("consent:question", args=[question.pk])).status_code == 404
    assert "Mine" not in client.get(reverse("consent:questions")).content.decode()


@pytest.mark.policy("GOV-2")
def test_the_queue_is_for_office_and_head_only(client, teacher, parent_a, head, office):
    for user, status in ((teacher, 403), (parent_a, 403), (head, 200), (office, 200)):
        client.force_login(user)
        assert client.get(reverse("consent:queue")).status_code == status


def test_an_empty_question_is_refused_with_a_message(client, parent_a):
    client.force_login(parent_a)

    response = client.post(reverse("consent:questions"), {"subject": "", "text": ""})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not FamilyQuestion.objects.exists()


# --- staff: CON-4 record, class view, CSV, reminders, requests --------------------------------


@pytest.mark.policy("CON-4")
def test_the_class_teacher_records_a_phone_decision(client, teacher, child_a, guardian_a):
    client.force_login(teacher)

    client.post(
        reverse("consent:record", args=[child_a.pk]),
        {"guardian": guardian_a.pk, "scope": Scope.VIDEO_CALLS, "decision": Decision.GIVEN, "method": Method.PHONE},
    )
    page = client.get(reverse("consent:record", args=[child_a.pk])).content.decode()

    decision = ConsentDecision.objects.get()
    assert (decision.method, decision.entered_by, decision.guardian) == (Method.PHONE, teacher, guardian_a)
    assert "By phone" in page
    assert str(teacher) in page


@pytest.mark.policy("GOV-2")
def test_staff_cannot_record_for_a_pupil_outside_their_classes(client, teacher_b, parent_a, child_a, guardian_a):
    data = {"guardian": guardian_a.pk, "scope": Scope.VIDEO_CALLS, "decision": Decision.GIVEN, "method": Method.PHONE}
    for user in (teacher_b, parent_a):
        client.force_login(user)
        assert client.post(reverse("consent:record", args=[child_a.pk]), data).status_code == 404

    assert not ConsentDecision.objects.exists()


@pytest.mark.policy("CON-4")
def test_staff_cannot_pick_a_guardian_of_another_child(client, office, child_a, guardian_b):
    client.force_login(office)

    response = client.post(
        reverse("consent:record", args=[child_a.pk]),
        {"guardian": guardian_b.pk, "scope": Scope.VIDEO_CALLS, "decision": Decision.GIVEN, "method": Method.PAPER},
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not ConsentDecision.objects.exists()


@pytest.mark.policy("CON-1")
def test_the_class_view_shows_given_withdrawn_and_never_answered(client, teacher, class_a, child_a, guardian_a, give, withdraw):
    answered = PupilFactory(school_class=class_a, first_name="Gina")
    give(answered, parent_of(answered))
    give(child_a, guardian_a)
    withdraw(child_a, guardian_a)
    silent = PupilFactory(school_class=class_a, first_name="Nell")
    client.force_login(teacher)

    response = client.get(reverse("consent:class", args=[class_a.pk]))

    states = {row.pupil: row.video_calls for row in response.context["rows"]}
    assert states == {answered: "given", child_a: "withdrawn", silent: "never_answered"}
    assert "No consent" in response.content.decode()


@pytest.mark.policy("GOV-2")
def test_the_class_view_is_for_its_teacher_and_whole_school_roles(client, teacher, teacher_b, office, parent_a, class_a):
    for user, status in ((teacher, 200), (office, 200), (teacher_b, 404), (parent_a, 404)):
        client.force_login(user)
        assert client.get(reverse("consent:class", args=[class_a.pk])).status_code == status
        assert client.get(reverse("consent:class_csv", args=[class_a.pk])).status_code == status


def _class_of(size, give):
    school_class = PupilFactory().school_class
    for n in range(size):
        pupil = PupilFactory(school_class=school_class)
        if n % 3 == 0:
            give(pupil, parent_of(pupil))
    return school_class


@override_settings(PORTAL_CACHE_PAGES=False)  # the cost of drawing the page, not of serving it drawn
def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.policy("CON-1")
def test_the_class_view_costs_the_same_for_30_and_300_pupils(client, office, give):
    small, large = _class_of(30, give), _class_of(300, give)
    client.force_login(office)
    _queries(client, reverse("consent:class", args=[small.pk]))  # warm per-session caches

    assert _queries(client, reverse("consent:class", args=[small.pk])) == _queries(
        client, reverse("consent:class", args=[large.pk])
    )
    assert _queries(client, reverse("consent:class_csv", args=[small.pk])) == _queries(
        client, reverse("consent:class_csv", args=[large.pk])
    )


def test_the_csv_neutralises_formulas(client, office, class_a):
    PupilFactory(school_class=class_a, first_name='=HYPERLINK("http://evil")', last_name="Smith")
    client.force_login(office)

    response = client.get(reverse("consent:class_csv", args=[class_a.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Pupil"
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][2] == "Never answered"


def test_the_reminder_button_reports_what_it_did(client, teacher, class_a, child_a, guardian_a):
    client.force_login(teacher)

    first = client.post(reverse("consent:class_remind", args=[class_a.pk]), follow=True).content.decode()
    second = client.post(reverse("consent:class_remind", args=[class_a.pk]), follow=True).content.decode()

    assert "Reminders sent to 1 parent or carer." in first
    assert "1 already had one in the last week" in second


def test_the_office_sends_a_request_and_teachers_cannot(client, office, teacher, class_a, child_a, guardian_a):
    client.force_login(teacher)
    assert client.post(reverse("consent:send_request"), {"school_class": class_a.pk}).status_code == 403

    client.force_login(office)
    response = client.post(reverse("consent:send_request"), {"school_class": class_a.pk}, follow=True)

    assert "Consent request sent to 1 parents and carers." in response.content.decode()


def test_the_class_list_counts_each_state(client, teacher, class_a, child_a, guardian_a, give):
    give(child_a, guardian_a)
    PupilFactory(school_class=class_a)
    client.force_login(teacher)

    rows = client.get(reverse("consent:classes")).context["rows"]

    assert [(r["school_class"], r["given"], r["never_answered"]) for r in rows] == [(class_a, 1, 1)]


def test_parents_have_no_class_list(client, parent_a):
    client.force_login(parent_a)

    assert client.get(reverse("consent:classes")).status_code == 403


@pytest.mark.policy("GOV-2")
def test_demo_parent3_cannot_see_or_change_parent1s_children(client):
    from django.utils import timezone

    from accounts.models import User
    from portal.demo import seed_demo_school
    from school.models import Pupil

    seed_demo_school(timezone.now())
    parent3 = User.objects.get(email="parent3@demo.egps.test")
    parent1_children = list(Pupil.objects.filter(guardianships__guardian__user__email="parent1@demo.egps.test"))
    pupils_document = AcceptableUseDocument.objects.current(Audience.PUPILS)
    before = ConsentDecision.objects.count()
    client.force_login(parent3)

    family = client.get(reverse("consent:family")).content.decode()
    for child in parent1_children:
        assert child.full_name not in family
        assert client.get(change_url(child)).status_code == 404
        assert client.post(change_url(child), {}).status_code == 404
        assert client.post(reverse("consent:acknowledge"), {"document": pupils_document.pk, "pupil": child.pk}).status_code == 404
        assert client.get(reverse("consent:record", args=[child.pk])).status_code == 404
    # Tampering: parent3's own child in the URL, parent1's child and guardian in the body.
    own = Pupil.objects.get(mis_id="DEMO-P002")
    client.post(change_url(own), {"pupil": parent1_children[0].pk, "guardian": parent1_children[0].guardians.first().pk})

    assert ConsentDecision.objects.count() == before + 1
    assert ConsentDecision.objects.first().pupil == own
    assert selectors.consenting_pupil_ids([c.pk for c in parent1_children]) == {c.pk for c in parent1_children}
    assert len(parent1_children) == 2
