"""Notification fixtures: a join-details style email kind, the families of COM-4, and a
scripted SMTP server for delivery tests."""

import pytest
from django.core import mail

from tests.factories import GuardianFactory, GuardianshipFactory, parent_of

from .fakes import ScriptedSMTPBackend

TEST_TEMPLATES = __import__("pathlib").Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _example_templates(settings):
    """Adds the `join-example` kind: what a calls notice with join details looks like."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}]


@pytest.fixture
def second_guardian_a(child_a):
    """child_a's other parent (separated parents, both with parental responsibility)."""
    return parent_of(child_a, email="second-parent-a@example.test")


@pytest.fixture
def step_parent_a(child_a):
    return parent_of(child_a, email="step-parent-a@example.test", parental_responsibility=False)


@pytest.fixture
def guardian_without_email_a(child_a):
    guardian = GuardianFactory(email="")
    GuardianshipFactory(guardian=guardian, pupil=child_a)
    return guardian


@pytest.fixture
def smtp(settings):
    """The scripted SMTP server: set `smtp.failures[address] = exception` to refuse an address."""
    settings.EMAIL_BACKEND = "tests.notifications.fakes.ScriptedSMTPBackend"
    ScriptedSMTPBackend.reset()
    mail.outbox = []
    yield ScriptedSMTPBackend
    ScriptedSMTPBackend.reset()


@pytest.fixture
def not_eager():
    """Celery as in production: apply_async publishes instead of running in-process."""
    from egps_portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = before
