"""A pupil who leaves the school leaves every upcoming call, through the same code as a consent
withdrawal (calls.reactions.remove_from_upcoming_calls), run when governance's mark_pupil_left sends
governance.events.pupil_left."""

import datetime as dt

import pytest

from calls import gateway
from calls.choices import CallStatus
from calls.models import CallInvitation, JoinLink
from calls.services import booking, join_details
from governance.events import pupil_left
from governance.services import mark_pupil_left
from tests.calls.conftest import NOW, TUESDAY_10, join_token, outbox
from tests.factories import family_holder

pytestmark = pytest.mark.django_db

LEAVES_AT = NOW + dt.timedelta(hours=1)


@pytest.fixture
def group_call(book, consented, child_a, child_b):
    call = book(pupil_ids=[child_a.pk, child_b.pk])
    join_details.send_join_details(call=call, now=NOW)
    return call


def test_the_calls_app_handles_leavers():
    assert "calls.drop_pupil_who_left" in {lookup_key[0] for lookup_key, *_ in pupil_left.receivers}


@pytest.mark.policy("GOV-2")
def test_a_leaver_leaves_upcoming_calls_and_their_familys_links_stop_working(group_call, child_a, child_b, guardian_a, office):
    token = join_token(outbox("call-join", to=guardian_a.email)[0])

    mark_pupil_left(pupil=child_a, left_on=LEAVES_AT.date(), by=office, now=LEAVES_AT)

    left = CallInvitation.objects.get(call=group_call, pupil=child_a)
    assert left.removed_at == LEAVES_AT
    assert left.removed_reason == "Left the school."
    assert CallInvitation.objects.get(call=group_call, pupil=child_b).removed_at is None
    assert not JoinLink.objects.active().filter(call=group_call, pupil=child_a).exists()
    assert JoinLink.objects.active().filter(call=group_call, pupil=child_b).exists()
    refused = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))
    assert refused.allowed is False
    assert "cancelled" in refused.reason


@pytest.mark.policy("GOV-2")
def test_no_further_join_details_go_out_for_a_leaver(group_call, child_a, guardian_a, office):
    mark_pupil_left(pupil=child_a, left_on=LEAVES_AT.date(), by=office, now=LEAVES_AT)
    before = len(outbox("call-join", to=guardian_a.email))

    join_details.send_join_details(call=group_call, now=LEAVES_AT)

    assert len(outbox("call-join", to=guardian_a.email)) == before


def test_the_host_is_told_the_pupil_left_the_school(group_call, child_a, teacher, office):
    mark_pupil_left(pupil=child_a, left_on=LEAVES_AT.date(), by=office, now=LEAVES_AT)

    [message] = outbox("call-pupil-left", to=teacher.email)
    assert "Amelia Adams has left the school" in message.body_text
    assert "Consent" not in message.body_text


def test_a_leavers_one_to_one_is_cancelled(scheduled_one_to_one, child_a, office):
    mark_pupil_left(pupil=child_a, left_on=LEAVES_AT.date(), by=office, now=LEAVES_AT)

    scheduled_one_to_one.refresh_from_db()
    assert scheduled_one_to_one.status == CallStatus.CANCELLED
    assert scheduled_one_to_one.cancel_reason == "Left the school."


def test_a_call_already_held_keeps_the_leaver_on_record(group_call, child_a, teacher, office):
    booking.mark_call_held(call=group_call, by=teacher, now=NOW)

    mark_pupil_left(pupil=child_a, left_on=LEAVES_AT.date(), by=office, now=LEAVES_AT)

    assert CallInvitation.objects.get(call=group_call, pupil=child_a).removed_at is None
