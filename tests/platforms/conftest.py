"""Fixtures for the platform adapters: a fake BigBlueButton server on loopback and meeting specs."""

import datetime as dt

import pytest

from platforms.base import MeetingSpec, Participant
from platforms.bigbluebutton import BigBlueButtonAdapter
from tests.platforms.fake_bbb import RunningFakeServer

SECRET = "fake-shared-secret-for-tests-0123456789"
PORTAL = "https://portal.egps.test"


@pytest.fixture(autouse=True)
def _platforms_urls(settings):
    settings.ROOT_URLCONF = "tests.platforms.urls"


@pytest.fixture
def fake_bbb(start):
    """The fake server, its clock at the booked start (the portal passes the same `now`)."""
    server = RunningFakeServer(SECRET)
    app = server.start()
    app.set_time(start)
    yield app
    server.stop()


@pytest.fixture
def bbb_settings(settings, fake_bbb):
    """The school switched to BigBlueButton: settings only."""
    settings.PORTAL_PLATFORM = "bigbluebutton"
    settings.PORTAL_BBB_URL = fake_bbb.api_url
    settings.PORTAL_BBB_SECRET = SECRET
    settings.PORTAL_BBB_CHECKSUM = "sha256"
    settings.PORTAL_BBB_WEBCAMS_ONLY_FOR_MODERATOR = True
    settings.PORTAL_BASE_URL = PORTAL
    return settings


@pytest.fixture
def adapter(bbb_settings):
    return BigBlueButtonAdapter.from_settings()


@pytest.fixture
def start():
    return dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def spec(start):
    return MeetingSpec(
        meeting_id="egps-test-call-12",
        name="Year 3 phonics",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        metadata={"egps-call-id": "12"},
    )


@pytest.fixture
def staff_one():
    return Participant(user_id="staff-1", full_name="Tara Teacher", is_staff=True)


@pytest.fixture
def staff_two():
    return Participant(user_id="staff-2", full_name="Helen Head", is_staff=True)


@pytest.fixture
def child():
    return Participant(user_id="pupil-7", full_name="Amelia Adams", is_staff=False)
