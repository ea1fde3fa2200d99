"""Every email kind speaks the portal's one date and time style (issue 19): "Mon 7 Dec, 14:30",
24-hour, never "Monday 7 December 2026", "2:30 p.m." or 07/12/2026.

Each kind found in the template folders is queued through notifications.services.notify (the path
every app uses), with the context the calls app's own builders give (calls.emails) plus real model
rows for the rest, and the message as sent is read back with Python's strict email parser. Times are
afternoon ones (a 12-hour clock would show "p.m.") and some dates fall in another year (the year
is then added, in the short style). Every variable a template names must be in the context, so a
new template cannot slip a date past this test by using a name the context lacks.
"""

import datetime as dt
import email.policy
import re
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from accounts.choices import Role
from calls import emails
from calls.choices import AgreementDecision, ApprovalDecision, CallKind, CallStatus, Platform
from calls.models import Call, CallApproval, CallInvitation, ParentAgreement
from consent.choices import Decision, Method, Scope
from consent.models import ConsentDecision
from notifications.delivery import raw_message
from notifications.services import notify
from school.models import SchoolSettings
from tests.factories import PupilFactory, parent_of, staff_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=LONDON)
CALL_STARTS = dt.datetime(2026, 12, 8, 14, 30, tzinfo=LONDON)  # this year, in the afternoon
LAST_YEAR = dt.datetime(2025, 6, 3, 15, 45, tzinfo=dt.UTC)  # another year, in summer time
MISSING = "@@MISSING {%s}@@"
LINKS = ("link", "url", "join_url", "log_url", "question_url", "guidance_url", "calls_url")

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
LONG_STYLES = re.compile(
    rf"\b\d{{1,2}} ({MONTHS})\b"  # 7 December (2026)
    rf"|\b({MONTHS}) \d{{1,2}}\b"  # December 7
    rf"|\b({DAYS}) \d"  # Monday 7
    r"|\b\d{1,2}(:\d{2})? ?([ap]\.m\.|[AaPp][Mm])(?![\w.])"  # 2:30 p.m., 2pm
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"  # 07/12/2026
)


def email_kinds() -> list[str]:
    """Every <kind>-subject.txt in the project's email template folders (not the tests' own)."""
    base = Path(django_settings.BASE_DIR)
    folders = [base / "templates" / "notifications" / "email"]
    folders += [p for p in base.glob("*/templates/notifications/email") if not p.is_relative_to(base / "tests")]
    return sorted({f.name.removesuffix("-subject.txt") for folder in folders for f in folder.glob("*-subject.txt")})


@pytest.fixture
def strict_templates(settings):
    """Templates that print a marker for any variable the context lacks."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "OPTIONS": {**engine["OPTIONS"], "string_if_invalid": MISSING}}]


@pytest.fixture
def context():
    """Everything any email template names, as the services that send them give it."""
    with time_machine.travel(NOW, tick=False):
        teacher, head = staff_user(Role.TEACHER), staff_user(Role.HEAD)
        pupil = PupilFactory(first_name="Amelia", last_name="Adams")
        guardian = parent_of(pupil)
        call = Call.objects.create(
            kind=CallKind.ONE_TO_ONE,
            title="Reading together",
            activity="Reading a story.",
            platform=Platform.MICROSOFT_TEAMS,
            starts_at=CALL_STARTS,
            duration_minutes=30,
            ends_at=CALL_STARTS + dt.timedelta(minutes=30),
            host=teacher,
            status=CallStatus.SCHEDULED,
            booked_by=teacher,
            booked_at=NOW,
        )
        invitation = CallInvitation.objects.create(call=call, pupil=pupil, invited_at=NOW)
        rows = [row for _, row in emails.timetable_rows_by_pupil([invitation])[pupil.pk]]
        decision = ConsentDecision(
            pupil=pupil, guardian=guardian, scope=Scope.VIDEO_CALLS, decision=Decision.WITHDRAWN,
            decided_at=LAST_YEAR, method=Method.PHONE, entered_by=head,
        )  # fmt: skip
        approval = CallApproval(call=call, approver=head, decision=ApprovalDecision.APPROVED, reason="Fine.")
        agreement = ParentAgreement(call=call, guardian=guardian, decision=AgreementDecision.AGREED, suitable_times="Mornings")
        section = {"heading": "Before a call", "lead": "Check the room.", "items": ["Sit somewhere quiet."]}
        yield {
            **emails.family_context(call, guardian, [pupil]),
            **emails.staff_context(call),
            **emails.timetable_week(CALL_STARTS.date() - dt.timedelta(days=1)),
            "rows": rows,
            "at": emails.moment(CALL_STARTS + dt.timedelta(minutes=2)),
            "school": SchoolSettings.load(),
            "pupil": pupil,
            "guardian": guardian,
            "call": call,
            "decision": decision,
            "decided_by_name": guardian.full_name,
            "given": False,
            "approval": approval,
            "approved": True,
            "agreement": agreement,
            "policy": SimpleNamespace(title="Video Conferencing Policy", version="2.1", next_review_on=dt.date(2027, 9, 1)),
            "overdue": False,
            "document": SimpleNamespace(title="Acceptable use", version=3, introduction="Please read.", sections=[section]),
            "question": SimpleNamespace(subject="Cameras"),
            "message": SimpleNamespace(subject="A note", body="Hello."),
            "author": head,
            "head": head,
            "person": teacher,
            "user": teacher,
            "changed_by": head,
            "changed_at": LAST_YEAR,
            "added": True,
            "role": Role.DEPUTY_DSL.label,
            "name": teacher.first_name,
            "children": [pupil.first_name],
            "reason": "dsl_unavailable",
            "signed_in_as": "someone@example.test",
            "subject": "A note",
            "body_text": "Hello.",
            "body_html": "<p>Hello.</p>",
            "deadline_hours": 48,
            "valid_days": 7,
            "days_before": 3,
            **{
                key: f"https://portal.example.test/{key}/"
                for key in ("link", "url", "join_url", "log_url", "question_url", "guidance_url", "calls_url")
            },
        }


def _texts(raw: bytes) -> list[str]:
    message = BytesParser(policy=email.policy.strict).parsebytes(raw)
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return parts


@pytest.mark.parametrize("kind", email_kinds())
def test_every_email_kind_uses_the_one_date_style(kind, context, strict_templates):
    with time_machine.travel(NOW, tick=False):
        row = notify(to="parent@example.test", kind=kind, context=context, dedupe_key=f"dates:{kind}")

    texts = _texts(raw_message(row))

    missing = sorted({m for text in texts for m in re.findall(r"@@MISSING \{(.*?)\}@@", text)})
    assert not missing, f"{kind}: the test's context lacks {missing}"
    found = sorted({m.group(0) for text in texts for m in LONG_STYLES.finditer(text)})
    assert not found, f"{kind} writes dates in another style: {found}"


def test_the_emails_say_dates_the_short_way(context):
    with time_machine.travel(NOW, tick=False):
        join = notify(to="parent@example.test", kind="call-notice", context=context, dedupe_key="dates:notice")
        withdrawn = notify(to="parent@example.test", kind="consent-withdrawn", context=context, dedupe_key="dates:withdrawn")

    assert "Tue 8 Dec, 14:30 to 15:00 (UK time)" in join.body_text
    assert "on Tue 3 Jun 2025 at 16:45" in withdrawn.body_text  # 15:45 UTC is 16:45 in British Summer Time


def test_the_kinds_are_found():
    kinds = email_kinds()

    assert {"call-join", "consent-withdrawn", "dsl-team-changed", "account-invitation"} <= set(kinds)
    assert "join-example" not in kinds  # the notification tests' own template
