"""Issue 19, points 3 and 4, through the front door: the withdrawal preview, putting a child back
on calls after consent is given again, the other parent told, "cancelled because" instead of 404,
"send it again", the Join button, parents told of approval, declining with times that suit.
Each POST is made by its role with the effect asserted, and by another family (refused, nothing changes)."""

import datetime as dt
import email
import email.policy

import pytest
import time_machine
from django.urls import reverse

from calls import put_back, services
from calls.choices import CallKind, CallStatus
from calls.models import CallInvitation, JoinAttempt, JoinLink, ParentAgreement
from calls.services import common, one_to_ones
from consent.choices import Scope
from consent.services import give_consent, withdraw_consent
from tests.calls.conftest import NOW, TUESDAY_10, join_token, outbox
from tests.factories import SchoolClassFactory, parent_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


@pytest.fixture
def group_call(book, consented, child_a):
    return book(pupil_ids=[child_a.pk])


def _withdraw_url(child):
    return reverse("consent:change", args=[child.pk, Scope.VIDEO_CALLS, "withdraw"])


def _give_url(child):
    return reverse("consent:change", args=[child.pk, Scope.VIDEO_CALLS, "give"])


def _active(call, pupil) -> bool:
    return CallInvitation.objects.filter(call=call, pupil=pupil, removed_at__isnull=True).exists()


# --- before withdrawing: which calls change ------------------------------------------------------


def test_the_withdraw_page_names_the_calls_the_child_leaves_and_the_one_to_one_cancelled(
    as_user, parent_a, child_a, book, consented
):
    group = book(pupil_ids=[child_a.pk], title="Year 3 maths")
    book(
        kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk], starts_at=TUESDAY_10 + dt.timedelta(hours=2)
    )

    page = as_user(parent_a).get(_withdraw_url(child_a)).content.decode()

    # The call's time as every screen says it (toolkit.dates), not the emails' long form.
    assert f"Year 3 maths, {put_back._on_screen(group)}: {child_a.first_name} will be taken off this call." in page
    assert "Reading one-to-one" in page
    assert "this one-to-one will be cancelled" in page


def test_the_give_page_shows_no_preview(as_user, parent_a, child_a, group_call):
    page = as_user(parent_a).get(_give_url(child_a)).content.decode()

    assert 'data-testid="withdraw-affected"' not in page


# --- after giving consent again: put back on the calls ---------------------------------------------


def _withdraw_and_give_again(client, child):
    client.post(_withdraw_url(child), {})
    return client.post(_give_url(child), {})


def test_giving_consent_again_offers_the_calls_and_accepting_puts_the_child_back(as_user, parent_a, child_a, group_call, teacher):
    client = as_user(parent_a)

    response = _withdraw_and_give_again(client, child_a)

    put_back = reverse("calls:put_back", args=[child_a.pk])
    assert response.status_code == 302
    assert response.url == put_back
    assert not _active(group_call, child_a)
    assert group_call.title in client.get(put_back).content.decode()

    response = client.post(put_back, {"call": [group_call.pk]})

    assert response.status_code == 302
    assert _active(group_call, child_a)
    assert [m.recipient_email for m in outbox("call-pupil-back")] == [teacher.email]


def test_giving_consent_with_nothing_to_put_back_goes_to_the_consent_page(as_user, parent_a, child_a, school_week, guardian_a):
    response = as_user(parent_a).post(_give_url(child_a), {})

    assert response.url == reverse("consent:family")


def test_another_family_cannot_put_a_child_back(as_user, parent_b, guardian_a, child_a, group_call):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    url = reverse("calls:put_back", args=[child_a.pk])

    assert as_user(parent_b).get(url).status_code == 404
    assert as_user(parent_b).post(url, {"call": [group_call.pk]}).status_code == 404
    assert not _active(group_call, child_a)


def test_a_guardian_without_parental_responsibility_cannot_put_back(as_user, guardian_a, child_a, group_call):
    other = parent_of(child_a, parental_responsibility=False)
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)

    assert as_user(other.user).post(reverse("calls:put_back", args=[child_a.pk]), {"call": [group_call.pk]}).status_code == 404
    assert not _active(group_call, child_a)


def test_put_back_refused_without_consent_in_force(as_user, parent_a, guardian_a, child_a, group_call):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)

    response = as_user(parent_a).post(reverse("calls:put_back", args=[child_a.pk]), {"call": [group_call.pk]})

    assert response.status_code == 200
    assert not _active(group_call, child_a)


def test_put_back_refused_for_a_class_call_after_the_child_changed_class(as_user, parent_a, guardian_a, child_a, book, consented):
    class_call = book(pupil_ids=[child_a.pk], school_class=child_a.school_class)
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    child_a.school_class = SchoolClassFactory(name="Year 4")
    child_a.save()

    as_user(parent_a).post(reverse("calls:put_back", args=[child_a.pk]), {"call": [class_call.pk]})

    assert not _active(class_call, child_a)


def test_put_back_refused_once_the_call_started(parent_a, guardian_a, child_a, group_call):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)

    with pytest.raises(services.CallError):
        put_back.put_back_on_calls(pupil=child_a, call_ids=[group_call.pk], by=parent_a, now=TUESDAY_10 + dt.timedelta(minutes=1))

    assert not _active(group_call, child_a)


def test_a_cancelled_one_to_one_is_not_offered_back(parent_a, guardian_a, child_a, one_to_one):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)

    assert put_back.calls_to_put_back(pupil=child_a, now=NOW) == []


def test_put_back_after_join_details_went_sends_a_fresh_link(parent_a, guardian_a, child_a, book, consented):
    call = book(pupil_ids=[child_a.pk], now=TUESDAY_10 - dt.timedelta(hours=2))
    later = TUESDAY_10 - dt.timedelta(hours=1)
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=later)
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=later)

    put_back.put_back_on_calls(pupil=child_a, call_ids=[call.pk], by=parent_a, now=later)

    assert JoinLink.objects.active().filter(call=call, pupil=child_a).count() == 1
    assert len(outbox("call-join", to=guardian_a.email)) == 2


# --- the other parent is told ---------------------------------------------------------------------


def test_the_other_parent_with_responsibility_hears_of_a_withdrawal(as_user, parent_a, child_a, group_call):
    other = parent_of(child_a, email="other-parent@example.test")
    no_pr = parent_of(child_a, email="no-pr@example.test", parental_responsibility=False)

    as_user(parent_a).post(_withdraw_url(child_a), {})

    told = outbox("consent-changed-other-parent")
    assert [m.recipient_email for m in told] == [other.email]
    assert no_pr.email not in {m.recipient_email for m in told}
    parsed = email.message_from_bytes(bytes(told[0].raw_message), policy=email.policy.strict)
    assert parsed["To"] == other.email
    assert "withdrew consent" in parsed["Subject"]


# --- a call the family can no longer reach ------------------------------------------------------


def test_a_call_the_child_was_taken_off_says_why_instead_of_404(as_user, parent_a, parent_b, guardian_a, child_a, group_call):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    url = reverse("calls:family_call", args=[group_call.pk])

    response = as_user(parent_a).get(url)

    assert response.status_code == 200
    assert "Cancelled for" in response.content.decode()
    assert "Consent for video calls was withdrawn." in response.content.decode()
    assert as_user(parent_b).get(url).status_code == 404


# --- join details where parents look --------------------------------------------------------------


@pytest.fixture
def sent_call(book, consented, child_a):
    """A group call booked inside the lead time: its join email went at booking."""
    return book(pupil_ids=[child_a.pk], now=TUESDAY_10 - dt.timedelta(hours=2))


def test_the_call_page_says_when_the_join_email_goes(as_user, parent_a, group_call):
    page = as_user(parent_a).get(reverse("calls:family_call", args=[group_call.pk])).content.decode()

    assert "Your personal join email will be sent on Mon 9 Nov at 10:00" in page  # one date style (toolkit.dates)
    assert "Send the join email again" not in page


def test_send_it_again_replaces_the_parents_link(as_user, parent_a, guardian_a, sent_call):
    old = join_token(outbox("call-join", to=guardian_a.email)[0])

    response = as_user(parent_a).post(reverse("calls:send_again", args=[sent_call.pk]))

    assert response.status_code == 302
    mails = outbox("call-join", to=guardian_a.email)
    assert len(mails) == 2
    assert join_token(mails[1]) != old
    assert JoinLink.objects.active().filter(call=sent_call, guardian=guardian_a).count() == 1
    assert JoinLink.objects.get(token_hash=common.hash_token(old)).revoked_at is not None


def test_another_family_cannot_send_it_again(as_user, parent_b, guardian_a, sent_call):
    response = as_user(parent_b).post(reverse("calls:send_again", args=[sent_call.pk]))

    assert response.status_code == 404
    assert len(outbox("call-join")) == 1


def test_send_it_again_before_the_email_is_due_sends_nothing(as_user, parent_a, group_call):
    as_user(parent_a).post(reverse("calls:send_again", args=[group_call.pk]))

    assert outbox("call-join") == []


def test_the_join_button_goes_through_the_gateway(as_user, parent_a, child_a, sent_call):
    with time_machine.travel(TUESDAY_10 - dt.timedelta(minutes=5), tick=False):
        response = as_user(parent_a).post(reverse("calls:family_join", args=[sent_call.pk]))

    assert response.status_code == 200
    assert 'data-testid="join-allowed"' in response.content.decode()
    assert JoinAttempt.objects.filter(call=sent_call, allowed=True).count() == 1


def test_the_join_button_refuses_another_family(as_user, parent_b, sent_call):
    assert as_user(parent_b).post(reverse("calls:family_join", args=[sent_call.pk])).status_code == 404
    assert JoinAttempt.objects.count() == 0


# --- one-to-ones: declining with times that suit, hearing back after approval ---------------------------


def test_declining_says_which_times_suit_and_the_host_reads_them(as_user, parent_a, one_to_one, teacher):
    response = as_user(parent_a).post(
        reverse("calls:answer", args=[one_to_one.pk]), {"answer": "decline", "suitable_times": "Thursdays after 3.30pm"}
    )

    assert response.status_code == 302
    assert ParentAgreement.objects.get(call=one_to_one).suitable_times == "Thursdays after 3.30pm"
    assert "Thursdays after 3.30pm" in outbox("call-agreement-decided", to=teacher.email)[0].body_text


def test_another_family_cannot_answer(as_user, parent_b, one_to_one):
    assert as_user(parent_b).post(reverse("calls:answer", args=[one_to_one.pk]), {"answer": "agree"}).status_code == 404
    assert not ParentAgreement.objects.exists()


@pytest.mark.parametrize("approve", [True, False])
def test_the_parent_who_agreed_hears_the_heads_decision(as_user, parent_a, guardian_a, head, one_to_one, approve):
    as_user(parent_a).post(reverse("calls:answer", args=[one_to_one.pk]), {"answer": "agree"})

    if approve:
        one_to_ones.approve_call(call=one_to_one, approver=head, now=NOW)
    else:
        one_to_ones.decline_call(call=one_to_one, approver=head, now=NOW, reason="Needs a different second member of staff")

    told = outbox("call-approval-family", to=guardian_a.email)
    assert len(told) == 1
    parsed = email.message_from_bytes(bytes(told[0].raw_message), policy=email.policy.strict)
    assert parsed["Subject"].startswith("Confirmed" if approve else "Not going ahead")
    assert "different second member" not in told[0].body_text  # the head's reason is for the host
    one_to_one.refresh_from_db()
    assert one_to_one.status == (CallStatus.SCHEDULED if approve else CallStatus.DRAFT)
