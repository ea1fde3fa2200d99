"""notify(), the family helper (COM-4), retries from the notification centre, staff messages (COM-5)."""

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import OutboxMessage, OutboxState, StaffMessage
from notifications.services import notify, notify_family
from tests.factories import GuardianFactory, GuardianshipFactory, PupilFactory

pytestmark = pytest.mark.django_db


def _join_notice(pupil, key="join:1:v1"):
    return notify_family(pupil=pupil, kind="join-example", context={"link": "https://meet.example/abc"}, dedupe_key=key)


# --- notify ---------------------------------------------------------------------------------


def test_notify_writes_a_row_and_sends_only_after_commit(django_capture_on_commit_callbacks, guardian_a):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = notify(to=guardian_a.email, kind="join-example", context={"guardian": guardian_a, "pupil": "x"}, dedupe_key="k1")
        assert mail.outbox == []

    row.refresh_from_db()
    assert len(callbacks) == 1
    assert row.state == OutboxState.SENT
    assert mail.outbox[0].to == [guardian_a.email]
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(django_capture_on_commit_callbacks, guardian_a):
    def request_that_fails():
        with transaction.atomic():
            notify(to=guardian_a.email, kind="join-example", context={}, dedupe_key="k1")
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        request_that_fails()

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_notify_twice_with_one_dedupe_key_sends_once(django_capture_on_commit_callbacks, guardian_a):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(to=guardian_a.email, kind="join-example", context={}, dedupe_key="join:7:1")
    with django_capture_on_commit_callbacks(execute=True):
        second = notify(to=guardian_a.email, kind="join-example", context={}, dedupe_key="join:7:1")

    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("not_eager")
def test_one_transaction_publishes_one_task_per_batch(django_capture_on_commit_callbacks, settings, monkeypatch, guardian_a):
    settings.NOTIFICATIONS_BATCH_SIZE = 10
    published = []
    monkeypatch.setattr("notifications.tasks.deliver_outbox.apply_async", lambda args, **kw: published.append(args[0]))

    with django_capture_on_commit_callbacks(execute=True):
        rows = [notify(to=guardian_a.email, kind="join-example", context={}, dedupe_key=f"k{i}") for i in range(25)]

    assert [len(batch) for batch in published] == [10, 10, 5]
    assert sorted(pk for batch in published for pk in batch) == sorted(r.pk for r in rows)


def test_a_broker_outage_never_fails_the_request(django_capture_on_commit_callbacks, monkeypatch, not_eager, guardian_a):
    """The row waits for the sweep; one quick try per commit, not one per message."""
    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("notifications.tasks.deliver_outbox.apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            notify(to=guardian_a.email, kind="join-example", context={}, dedupe_key=f"k{i}")

    assert len(tries) == 1
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == 3


# --- notify_many: a mass mailing ------------------------------------------------------------


def _notices(n, prefix="mass", **extra):
    return [
        services.Notice(
            to=f"family{i}@example.test",
            kind="join-example",
            context={"link": f"https://meet.example/{i}"},
            dedupe_key=f"{prefix}:{i}",
            **extra,
        )
        for i in range(n)
    ]


def test_notify_many_writes_one_row_per_notice_in_order_each_with_its_own_message_id():
    with transaction.atomic():
        rows = services.notify_many(_notices(3))

    stored = OutboxMessage.objects.order_by("pk")
    assert [r.recipient_email for r in rows] == ["family0@example.test", "family1@example.test", "family2@example.test"]
    assert [r.pk for r in rows] == [r.pk for r in stored]
    for row in stored:
        assert row.state == OutboxState.PENDING
        assert row.next_attempt_at is not None
        assert f"Message-ID: {row.message_id}".encode() in bytes(row.raw_message)
        assert row.recipient_email.encode() in bytes(row.raw_message)


def test_notify_many_takes_the_same_queries_for_five_messages_as_for_fifty():
    with CaptureQueriesContext(connection) as five:
        services.notify_many(_notices(5, prefix="five"))
    with CaptureQueriesContext(connection) as fifty:
        services.notify_many(_notices(50, prefix="fifty"))

    assert len(five) == len(fifty)
    assert OutboxMessage.objects.count() == 55


def test_notify_many_gives_back_rows_already_written_and_writes_only_the_new(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify_many(_notices(2))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.notify_many(_notices(4))

    assert [r.pk for r in second[:2]] == [r.pk for r in first]
    assert OutboxMessage.objects.count() == 4
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(r.message_id for r in second)


def test_one_key_twice_in_one_mailing_is_one_message():
    twice = [*_notices(1), *_notices(1)]

    rows = services.notify_many(twice)

    assert rows[0].pk == rows[1].pk
    assert OutboxMessage.objects.count() == 1


def test_a_message_written_by_another_request_at_the_same_moment_is_not_written_twice(monkeypatch):
    """The race notify() also handles: the key is not there when we look, and is when we insert."""
    [earlier] = services.notify_many(_notices(1))
    monkeypatch.setattr(services, "_existing_rows", lambda keys: {})

    rows = services.notify_many(_notices(3))

    assert OutboxMessage.objects.count() == 3
    assert rows[0].pk == earlier.pk
    assert [r.dedupe_key for r in rows] == ["mass:0", "mass:1", "mass:2"]
    assert all(r.pk for r in rows)


@pytest.mark.policy("COM-4")
def test_one_pupil_address_in_a_mailing_refuses_it_all_and_writes_nothing(child_a):
    notices = [*_notices(3), services.Notice(to=child_a.personal_email.upper(), kind="join-example", context={}, dedupe_key="p")]

    with pytest.raises(services.RecipientRefused):
        services.notify_many(notices)

    assert not OutboxMessage.objects.exists()


@pytest.mark.usefixtures("not_eager")
def test_a_mailing_is_published_after_commit_one_task_per_batch(django_capture_on_commit_callbacks, settings, monkeypatch):
    settings.NOTIFICATIONS_BATCH_SIZE = 10
    published = []
    monkeypatch.setattr("notifications.tasks.deliver_outbox.apply_async", lambda args, **kw: published.append(args[0]))
    monkeypatch.setattr(services._waiting, "ids", [])  # earlier tests' rolled-back rows wait in this thread

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = services.notify_many(_notices(25))
        assert published == []

    assert len(callbacks) == 1
    assert [len(batch) for batch in published] == [10, 10, 5]
    assert [pk for batch in published for pk in batch] == [r.pk for r in rows]


# --- COM-4 ----------------------------------------------------------------------------------


@pytest.mark.policy("COM-4")
def test_join_details_go_privately_to_each_parent_never_to_the_pupil_or_another_family(
    django_capture_on_commit_callbacks,
    child_a,
    guardian_a,
    second_guardian_a,
    step_parent_a,
    guardian_without_email_a,
    child_b,
    guardian_b,
):
    """child_a has two parents with parental responsibility and a personal email of her own;
    a step-parent without parental responsibility; a carer with no address; and child_b's
    family is notified in the same transaction."""
    assert child_a.personal_email

    with django_capture_on_commit_callbacks(execute=True):
        _join_notice(child_a, key="join:1:v1")
        _join_notice(child_b, key="join:1:v1")

    to_a = [m for m in mail.outbox if "Amelia" in m.subject]
    assert sorted(m.to[0] for m in to_a) == sorted([guardian_a.email, second_guardian_a.email])
    for message in mail.outbox:
        assert len(message.recipients()) == 1  # one recipient per message: nobody else in To, CC or BCC
        assert message.cc == []
        assert message.bcc == []
        assert child_a.personal_email not in message.recipients()
        assert step_parent_a.email not in message.recipients()
    family_b = [m for m in mail.outbox if guardian_b.email in m.recipients()]
    assert len(family_b) == 1
    assert "Ben" in family_b[0].subject
    assert all("Amelia" not in m.body for m in family_b)


@pytest.mark.policy("COM-4")
def test_the_outbox_refuses_join_details_to_a_pupils_own_address(child_a):
    with pytest.raises(services.RecipientRefused):
        notify(to=child_a.personal_email.upper(), kind="join-example", context={}, dedupe_key="k1")
    with pytest.raises(services.RecipientRefused):
        notify(to="parent@example.test", kind="join-example", context={}, dedupe_key="k2", cc=[child_a.personal_email])

    assert not OutboxMessage.objects.exists()


@pytest.mark.policy("COM-4")
def test_a_guardian_of_two_children_gets_one_message_per_child_notice(django_capture_on_commit_callbacks, child_a):
    sibling = PupilFactory(first_name="Zara", school_class=child_a.school_class)
    guardian = GuardianFactory(email="both@example.test")
    for pupil in (child_a, sibling):
        GuardianshipFactory(guardian=guardian, pupil=pupil)

    with django_capture_on_commit_callbacks(execute=True):
        _join_notice(child_a)
        _join_notice(sibling)

    assert [m.to for m in mail.outbox] == [["both@example.test"], ["both@example.test"]]


# --- retry from the notification centre -----------------------------------------------------


def _failed_row(**fields):
    return OutboxMessage.objects.create(
        kind="join-example",
        recipient_email="parent@example.test",
        subject="s",
        body_text="b",
        dedupe_key="failed:1",
        state=OutboxState.FAILED,
        attempts=10,
        last_error="550 no such mailbox",
        **fields,
    )


def test_office_retries_a_failed_email_and_it_is_sent_and_recorded(django_capture_on_commit_callbacks, office, now):
    row = _failed_row()

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_message(message=row, retried_by=office, now=now)

    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    assert row.attempts == 1
    entry = LogEntry.objects.get_for_object(row).get()
    assert entry.actor == office
    assert entry.changes["state"] == ["failed", "pending"]


def test_a_teacher_cannot_retry(teacher, now):
    row = _failed_row()

    with pytest.raises(services.NotificationError):
        services.retry_message(message=row, retried_by=teacher, now=now)

    row.refresh_from_db()
    assert row.state == OutboxState.FAILED


def test_a_sent_email_is_not_retried(head, now):
    row = _failed_row()
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxState.SENT)

    with pytest.raises(services.NotificationError, match="sent already"):
        services.retry_message(message=row, retried_by=head, now=now)


# --- COM-5 ----------------------------------------------------------------------------------


def _write(author, pupil, *, guardian=None, cc_staff=(), now):
    return services.send_staff_message(
        author=author, pupil=pupil, guardian=guardian, cc_staff=cc_staff, subject="Reading", body="Please bring books.", now=now
    )


@pytest.mark.policy("COM-5")
def test_staff_message_to_a_guardian_is_sent_as_is(django_capture_on_commit_callbacks, teacher, child_a, guardian_a, now):
    with django_capture_on_commit_callbacks(execute=True):
        message = _write(teacher, child_a, guardian=guardian_a, now=now)

    assert [m.to for m in mail.outbox] == [[guardian_a.email]]
    assert mail.outbox[0].cc == []
    assert message.recipient_email == guardian_a.email
    assert message.outbox.recipient_user == guardian_a.user


@pytest.mark.policy("COM-5")
def test_staff_message_to_a_pupils_own_address_is_refused_without_a_colleague_copied(teacher, child_a, now):
    with pytest.raises(services.NotificationError, match="copy in another member of staff"):
        _write(teacher, child_a, now=now)

    assert not StaffMessage.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.policy("COM-5")
def test_copying_a_colleague_who_does_not_work_with_the_pupil_is_not_enough(teacher, teacher_b, child_a, now):
    with pytest.raises(services.NotificationError, match="copy in another member of staff"):
        _write(teacher, child_a, cc_staff=[teacher_b], now=now)


@pytest.mark.policy("COM-5")
def test_staff_message_to_a_pupil_with_a_colleague_copied_is_sent_and_the_copy_recorded(
    django_capture_on_commit_callbacks, teacher, dsl, child_a, now
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _write(teacher, child_a, cc_staff=[dsl], now=now)

    assert mail.outbox[0].to == [child_a.personal_email]
    assert mail.outbox[0].cc == [dsl.email]
    assert list(message.cc_staff.all()) == [dsl]
    assert message.to_pupil_address
    assert message.outbox.cc == [dsl.email]
    entries = LogEntry.objects.get_for_object(message)
    assert entries.filter(action=LogEntry.Action.CREATE, actor=teacher).exists()


def test_a_guardian_without_parental_responsibility_cannot_be_written_to(teacher, child_a, step_parent_a, now):
    with pytest.raises(services.NotificationError, match="cannot receive"):
        _write(teacher, child_a, guardian=step_parent_a, now=now)


def test_a_teacher_cannot_write_about_a_pupil_in_another_class(teacher, child_b, guardian_b, now):
    with pytest.raises(services.NotificationError, match="pupils you work with"):
        _write(teacher, child_b, guardian=guardian_b, now=now)


def test_a_parent_cannot_be_copied_in(teacher, child_a, guardian_a, parent_b, now):
    with pytest.raises(services.NotificationError, match="Only members of staff"):
        _write(teacher, child_a, guardian=guardian_a, cc_staff=[parent_b], now=now)


def test_a_pupil_without_a_personal_address_cannot_be_written_to(teacher_b, child_b, head, now):
    with pytest.raises(services.NotificationError, match="no personal email"):
        _write(teacher_b, child_b, cc_staff=[head], now=now)
