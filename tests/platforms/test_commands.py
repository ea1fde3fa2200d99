"""manage.py bbb_check: how a school checks its BigBlueButton settings before the first call."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone


def test_bbb_check_creates_reads_back_and_ends_a_test_meeting(bbb_settings, fake_bbb):
    fake_bbb.set_time(timezone.now())
    out = io.StringIO()

    call_command("bbb_check", stdout=out)

    assert "accepted the shared secret" in out.getvalue()
    assert fake_bbb.calls() == ["getMeetings", "create", "getMeetingInfo", "end"]
    assert fake_bbb.meetings == {}


def test_bbb_check_reports_a_wrong_secret(bbb_settings, fake_bbb):
    bbb_settings.PORTAL_BBB_SECRET = "not-the-secret"

    with pytest.raises(CommandError, match="checksumError"):
        call_command("bbb_check", stdout=io.StringIO())


def test_bbb_check_needs_the_platform_switched_on(settings):
    with pytest.raises(CommandError, match="manual checklist"):
        call_command("bbb_check", stdout=io.StringIO())


def test_bbb_check_reports_settings_the_server_did_not_keep(bbb_settings, fake_bbb):
    # The server's clock is an hour out: the meeting would end at the wrong time.
    fake_bbb.set_time(timezone.now() + dt.timedelta(hours=1))
    out = io.StringIO()

    with pytest.raises(CommandError, match="did not keep every policy setting"):
        call_command("bbb_check", stdout=out)

    assert "Ends at the booked end" in out.getvalue()
    assert fake_bbb.meetings == {}
