"""Issue 16, point 4: a join link is not a bearer token. Tried as an outsider would, through the page.

Where the guardian has an account, only that account, signed in, gets into the call; where they
have none, the link belongs to the first browser it admitted. Anyone else who has the link (a
forwarded email, a shared screenshot, another parent) is refused with a clear page, and the host
is told once. Run: pytest tests/calls/test_join_holder.py -q
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from calls import gateway, policy
from calls.family_views import JOIN_COOKIE
from calls.models import JoinAttempt, JoinLink
from calls.services import common
from consent.choices import Method, Scope
from consent.services import give_consent
from tests.calls.conftest import NOW, TUESDAY_10, join_token, outbox
from tests.factories import GuardianFactory, GuardianshipFactory

pytestmark = pytest.mark.django_db

MEETING = "https://teams.example.test/meet/abc"
INSIDE_WINDOW = TUESDAY_10 - dt.timedelta(minutes=5)
BOOKED = TUESDAY_10 - dt.timedelta(hours=2)


def press_join(client, token, at=INSIDE_WINDOW):
    with time_machine.travel(at, tick=False):
        return client.post(reverse("calls:join", args=[token]))


def admitted(response) -> bool:
    page = response.content.decode()
    return 'data-testid="join-allowed"' in page and MEETING in page


def refused_with(response, reason) -> bool:
    page = response.content.decode()
    return response.status_code == 200 and MEETING not in page and reason in response.context["outcome"].reason


def misuse_mail(host):
    return outbox("call-join-link-misused", to=host.email)


@pytest.fixture
def token(book, consented, child_a):
    """parent_a's join link for child_a (parent_a has an account)."""
    book(now=BOOKED, pupil_ids=[child_a.pk])  # inside the lead time: join details go out at once
    return join_token(outbox("call-join")[0])


@pytest.fixture
def paper_family(school_week, class_a, office):
    """A guardian with no portal account whose consent came by phone: their link is held by browser."""
    from tests.factories import PupilFactory

    pupil = PupilFactory(first_name="Nia", last_name="Noaccount", school_class=class_a)
    guardian = GuardianFactory(user=None, email="no-account@example.test")
    GuardianshipFactory(guardian=guardian, pupil=pupil)
    give_consent(
        pupil=pupil,
        guardian=guardian,
        scope=Scope.VIDEO_CALLS,
        decided_by=office,
        now=NOW - dt.timedelta(days=1),
        method=Method.PHONE,
    )
    return pupil, guardian


@pytest.fixture
def paper_token(book, paper_family):
    pupil, guardian = paper_family
    book(now=BOOKED, pupil_ids=[pupil.pk])
    return join_token(outbox("call-join", to=guardian.email)[0])


# --- a guardian with an account: only that account, signed in -----------------------------------


@pytest.mark.policy("COM-4")
def test_a_forwarded_link_opened_in_a_signed_out_browser_is_refused(token):
    stranger = Client()

    page = stranger.get(reverse("calls:join", args=[token]))
    response = press_join(stranger, token)

    assert 'data-testid="join-sign-in"' in page.content.decode()
    assert refused_with(response, "please sign in")
    assert JoinAttempt.objects.get().allowed is False


@pytest.mark.policy("COM-4")
@pytest.mark.parametrize("who", ["parent_b", "teacher", "head"])
def test_another_account_holding_the_link_is_refused_and_the_host_is_told(request, token, teacher, who):
    other = Client()
    other.force_login(request.getfixturevalue(who))

    first = press_join(other, token)
    second = press_join(other, token)

    assert refused_with(first, "sent to another parent or carer")
    assert refused_with(second, "sent to another parent or carer")
    told = misuse_mail(teacher)
    assert len(told) == 1  # once per link, however often it is tried
    assert "Amelia Adams" in told[0].body_text


@pytest.mark.policy("COM-4")
def test_the_guardian_signed_in_joins_from_any_of_their_devices(token, parent_a, teacher):
    phone, laptop = Client(), Client()
    phone.force_login(parent_a)
    laptop.force_login(parent_a)

    assert admitted(press_join(phone, token))
    assert admitted(press_join(laptop, token))
    assert admitted(press_join(phone, token))
    assert not misuse_mail(teacher)


def test_signing_in_from_the_link_comes_back_to_the_link(token, parent_a):
    browser = Client()

    response = browser.post(
        reverse("account_login") + f"?next={reverse('calls:join', args=[token])}",
        {"login": parent_a.email, "password": "correct-horse-battery"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("calls:join", args=[token])
    assert admitted(press_join(browser, token))


# --- a guardian without an account: the first browser admitted holds the link --------------------


@pytest.mark.policy("COM-4")
def test_without_an_account_the_first_browser_holds_the_link_and_a_second_is_refused(paper_token, teacher):
    first, second = Client(), Client()

    opened = press_join(first, paper_token)
    again = press_join(first, paper_token)
    elsewhere = press_join(second, paper_token)
    elsewhere_again = press_join(second, paper_token)
    first_still = press_join(first, paper_token)

    assert admitted(opened)
    assert opened.cookies[JOIN_COOKIE]["httponly"]
    assert admitted(again)
    assert refused_with(elsewhere, "already been used in another browser")
    assert refused_with(elsewhere_again, "already been used in another browser")
    assert admitted(first_still)
    told = misuse_mail(teacher)
    assert len(told) == 1
    assert "in a second browser" in told[0].body_text
    assert list(JoinAttempt.objects.values_list("allowed", flat=True)) == [True, True, False, False, True]


@pytest.mark.policy("COM-4")
def test_a_browser_that_forged_a_join_cookie_is_still_refused(paper_token):
    first, forger = Client(), Client()
    press_join(first, paper_token)
    forger.cookies[JOIN_COOKIE] = "guessed-value"

    assert refused_with(press_join(forger, paper_token), "already been used in another browser")


@pytest.mark.policy("CALL-6")
def test_a_press_before_the_call_opens_does_not_take_the_link(paper_token):
    early, family = Client(), Client()

    too_early = press_join(early, paper_token, at=TUESDAY_10 - dt.timedelta(hours=1))
    on_time = press_join(family, paper_token)

    assert refused_with(too_early, "This call opens at")
    assert admitted(on_time)
    assert refused_with(press_join(early, paper_token), "already been used in another browser")


def test_only_a_hash_of_the_browser_key_is_stored(paper_token):
    browser = Client()

    response = press_join(browser, paper_token)

    key = response.cookies[JOIN_COOKIE].value
    held_by = JoinLink.objects.get(guardian__email="no-account@example.test").held_by
    assert held_by == common.hash_token(key)
    assert key not in held_by


def test_two_browsers_pressing_at_once_cannot_both_take_the_link(paper_token):
    # The claim is a conditional UPDATE: the second browser finds the link already held.
    first = gateway.open_join_link(
        token=paper_token, now=INSIDE_WINDOW, holder=gateway.JoinHolder(user=None, browser="browser-one")
    )
    link = JoinLink.objects.get(guardian__email="no-account@example.test")
    link.held_by = ""  # the second request read the row before the first one's claim committed
    refusal = gateway._hold_for_browser(link, common.hash_token("browser-two"), INSIDE_WINDOW)

    assert first.allowed
    assert refusal == policy.LINK_IN_USE_ELSEWHERE


def test_a_staff_account_gains_nothing_on_a_link_for_a_family_without_an_account(paper_token, teacher, head):
    family, staff = Client(), Client()
    press_join(family, paper_token)
    staff.force_login(head)

    assert refused_with(press_join(staff, paper_token), "already been used in another browser")


# --- the rule as a table (no database) --------------------------------------------------------------


@pytest.mark.policy("COM-4")
@pytest.mark.parametrize(
    ("guardian_user_id", "signed_in_user_id", "held_by", "this_browser", "expected"),
    [
        (7, None, "", "b1", policy.SIGN_IN_TO_JOIN),
        (7, 8, "", "b1", policy.NOT_YOUR_LINK),
        (7, 7, "", "b1", None),
        (7, 7, "b0", "b1", None),  # an account holder is never held to one browser
        (None, None, "", "b1", None),  # the first browser
        (None, None, "b1", "b1", None),  # the same browser again
        (None, None, "b0", "b1", policy.LINK_IN_USE_ELSEWHERE),
        (None, 8, "b0", "b1", policy.LINK_IN_USE_ELSEWHERE),  # an account is no key to someone else's link
    ],
)
def test_join_holder_refusal(guardian_user_id, signed_in_user_id, held_by, this_browser, expected):
    found = policy.join_holder_refusal(
        guardian_user_id=guardian_user_id, signed_in_user_id=signed_in_user_id, held_by=held_by, this_browser=this_browser
    )

    assert found == expected
    assert policy.host_told_of_refusal(found) == (expected in (policy.NOT_YOUR_LINK, policy.LINK_IN_USE_ELSEWHERE))


def test_a_misused_link_mail_reads_cleanly_for_the_host(token, parent_b, teacher):
    import email
    import email.policy

    other = Client()
    other.force_login(parent_b)
    press_join(other, token)

    message = misuse_mail(teacher)[0]
    parsed = email.message_from_bytes(bytes(message.raw_message), policy=email.policy.strict)
    assert parsed["To"] == teacher.email
    assert "Someone else tried to use a family's join link" in parsed["Subject"]
    assert str(parent_b) in message.body_text


# --- the family on a new device: the call's staff send a new link to the school's address -------------


@pytest.mark.policy("COM-4")
def test_the_host_sends_the_family_a_new_link_and_the_old_one_stops_working(paper_token, paper_family, teacher):
    _, guardian = paper_family
    old_phone, new_phone = Client(), Client()
    press_join(old_phone, paper_token)
    refused = press_join(new_phone, paper_token)
    host = Client()
    host.force_login(teacher)
    link = JoinLink.objects.get(guardian=guardian, revoked_at__isnull=True)

    page = host.get(reverse("calls:detail", args=[link.call_id])).content.decode()
    with time_machine.travel(INSIDE_WINDOW, tick=False):
        sent = host.post(reverse("calls:new_join_link", args=[link.call_id]), {"link": link.pk}, follow=True)
    new_token = join_token(outbox("call-join", to=guardian.email)[-1])

    assert refused_with(refused, "please contact the school")
    assert 'data-testid="held-links"' in page
    assert "A new join link is on its way" in sent.content.decode()
    assert new_token != paper_token
    assert refused_with(press_join(old_phone, paper_token), "This join link has been cancelled")
    assert admitted(press_join(new_phone, new_token))
    assert refused_with(press_join(old_phone, new_token), "already been used in another browser")


@pytest.mark.parametrize(("who", "status"), [("parent_b", 403), ("teacher_b", 404)])
def test_only_the_calls_staff_can_send_a_new_link(request, paper_token, paper_family, who, status):
    _, guardian = paper_family
    press_join(Client(), paper_token)
    link = JoinLink.objects.get(guardian=guardian)
    other = Client()
    other.force_login(request.getfixturevalue(who))

    response = other.post(reverse("calls:new_join_link", args=[link.call_id]), {"link": link.pk})

    assert response.status_code == status
    assert JoinLink.objects.get(pk=link.pk).revoked_at is None
    assert len(outbox("call-join", to=guardian.email)) == 1


@pytest.mark.parametrize("posted", ["", "abc", "-1", "99999999999999999999", "1; DROP TABLE"])
def test_a_bad_link_id_is_a_message_and_changes_nothing(paper_token, paper_family, teacher, posted):
    _, guardian = paper_family
    host = Client()
    host.force_login(teacher)
    link = JoinLink.objects.get(guardian=guardian)

    response = host.post(reverse("calls:new_join_link", args=[link.call_id]), {"link": posted}, follow=True)

    assert response.status_code == 200
    assert "Choose one of this call&#x27;s join links." in response.content.decode()
    assert JoinLink.objects.get(pk=link.pk).revoked_at is None
