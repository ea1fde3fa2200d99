"""The one way any app sends email: write an outbox row now, deliver it after commit.

Also the writes staff make here: retrying an email (notification centre) and writing to a
family (COM-5).
"""

import logging
import threading
from dataclasses import dataclass

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Upper
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.permissions import is_staff_member
from school.models import Pupil, SchoolSettings
from school.permissions import pupils_visible_to

from . import policy
from .delivery import raw_message
from .models import OutboxMessage, OutboxState, StaffMessage
from .permissions import can_manage_outbox, relevant_staff
from .recipients import family_recipients

log = logging.getLogger(__name__)

# Publishing must never hold up a web request: one quick try, then the sweep takes over.
FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


class NotificationError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class RecipientRefused(NotificationError):
    """COM-4/COM-5: an address this kind of email must never go to."""


def render_email(kind: str, context: dict) -> tuple[str, str, str]:
    """Subject, text body and HTML body from templates/notifications/email/<kind>-*.{txt,html}."""
    base = f"notifications/email/{kind}"
    subject = " ".join(render_to_string(f"{base}-subject.txt", context).split())
    text = render_to_string(f"{base}-body.txt", context)
    html = render_to_string(f"{base}-body.html", context)
    return subject, text, html


@dataclass(frozen=True)
class Notice:
    """One email to queue with notify_many(): the same arguments notify() takes."""

    to: str
    kind: str
    context: dict
    dedupe_key: str
    user: object = None
    cc: tuple = ()


def notify(*, to: str, kind: str, context: dict, dedupe_key: str, user=None, cc=()) -> OutboxMessage:
    """Queue one email to one address. Call inside the caller's transaction.

    The same dedupe_key twice gives the same row, so a retried request sends once. Refuses
    (RecipientRefused) an address the kind may not go to: a pupil's own address (COM-4, COM-5).
    """
    return notify_many([Notice(to=to, kind=kind, context=context, dedupe_key=dedupe_key, user=user, cc=tuple(cc))])[0]


def notify_many(notices) -> list[OutboxMessage]:
    """notify() for many emails at once (a mass mailing), in a fixed number of queries: one row
    per notice, in order. Call inside the caller's transaction; the rows are published after commit.

    Same guarantees as notify(): a dedupe_key already written gives the existing row (also when
    another request writes it at the same moment), and one refused address (COM-4, COM-5) raises
    RecipientRefused before anything is written.
    """
    notices = list(notices)
    existing = _existing_rows([n.dedupe_key for n in notices])
    fresh: dict[str, Notice] = {}
    for notice in notices:
        if notice.dedupe_key not in existing:
            fresh.setdefault(notice.dedupe_key, notice)  # the first of two with one key wins, as with notify()
    _check_addresses_many(fresh.values())
    rows = [_row(notice) for notice in fresh.values()]
    try:
        if rows:
            with transaction.atomic():
                _insert(rows)
    except IntegrityError:
        # Another request wrote one of these messages between our check and insert: take them
        # one at a time, each in its own savepoint (rare, so the slow way is fine).
        return [_notify_one(notice) for notice in notices]
    _publish_after_commit([row.pk for row in rows])
    written = {**existing, **{row.dedupe_key: row for row in rows}}
    return [written[notice.dedupe_key] for notice in notices]


def _existing_rows(keys) -> dict[str, OutboxMessage]:
    return {row.dedupe_key: row for row in OutboxMessage.objects.filter(dedupe_key__in=list(set(keys)))}


def _row(notice: Notice) -> OutboxMessage:
    subject, text, html = render_email(notice.kind, {**notice.context, "recipient_email": notice.to})
    return OutboxMessage(
        kind=notice.kind,
        recipient_email=notice.to,
        recipient_user=notice.user,
        cc=list(notice.cc),
        subject=subject,
        body_text=text,
        body_html=html,
        dedupe_key=notice.dedupe_key,
        next_attempt_at=timezone.now(),
    )


def _insert(rows: list[OutboxMessage]) -> None:
    """INSERT the rows with their bytes built once here, so the worker only sends them (the
    Message-ID is drawn when the row is made, so the bytes need nothing from the database)."""
    for row in rows:
        row.raw_message = raw_message(row)
    OutboxMessage.objects.bulk_create(rows)


def _notify_one(notice: Notice) -> OutboxMessage:
    """The row for one notice, written in its own savepoint unless its key exists already."""
    found = _existing_rows([notice.dedupe_key]).get(notice.dedupe_key)
    if found is not None:
        return found
    row = _row(notice)
    try:
        with transaction.atomic():
            _insert([row])
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=notice.dedupe_key)
    _publish_after_commit([row.pk])
    return row


def notify_family(*, pupil, kind: str, context: dict, dedupe_key: str) -> list[OutboxMessage]:
    """COM-4: one private message to each parent/carer entitled to this pupil's notices.

    Each message's key is f"{dedupe_key}:{pupil.pk}:{guardian.pk}", so one notice about two
    siblings reaches their shared parent twice, once per child. The template gets `guardian` and `pupil`.
    """
    return notify_many(
        Notice(
            to=guardian.email,
            kind=kind,
            context={**context, "guardian": guardian, "pupil": pupil},
            dedupe_key=f"{dedupe_key}:{pupil.pk}:{guardian.pk}",
            user=guardian.user,
        )
        for guardian in family_recipients(pupil)
    )


def _check_addresses_many(notices) -> None:
    """COM-4, COM-5 for every notice, with one query for all their addresses."""
    pupil_addresses = _pupil_addresses({a for n in notices for a in (n.to, *n.cc)})
    for notice in notices:
        decision = policy.outbox_address_decision(
            kind=notice.kind,
            to_is_pupil_address=notice.to.lower() in pupil_addresses,
            cc_is_pupil_address=any(a.lower() in pupil_addresses for a in notice.cc),
            has_cc=bool(notice.cc),
        )
        if not decision.allowed:
            raise RecipientRefused(decision.reason)


def _pupil_addresses(addresses) -> set[str]:
    """Which of these addresses belong to a pupil (lower-cased), in one query."""
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return set()
    # UPPER() on both sides in SQL, as `iexact` compares, but one IN list rather than an OR per address.
    found = Pupil.objects.annotate(address=Upper("personal_email")).filter(address__in=[Upper(Value(a)) for a in wanted])
    return {e.lower() for e in found.values_list("personal_email", flat=True)}


# --- publishing -----------------------------------------------------------------------------
# Ids written in this thread's transaction wait here; the first on-commit callback publishes
# them all in batches, later callbacks find the list empty. Ids of rows a rollback undid may
# linger until the next publish: a task for a missing row does nothing.
_waiting = threading.local()


def _publish_after_commit(pks) -> None:
    if not pks:
        return
    if not hasattr(_waiting, "ids"):
        _waiting.ids = []
    _waiting.ids.extend(pks)
    transaction.on_commit(_publish_waiting)


def _publish_waiting() -> None:
    ids, _waiting.ids = list(dict.fromkeys(getattr(_waiting, "ids", []))), []
    publish(ids)


def publish(ids) -> bool:
    """Hand rows to workers, a batch per task. If the broker is unreachable the sweep sends them later."""
    from .delivery import batch_size
    from .tasks import deliver_outbox

    size = batch_size()
    eager = deliver_outbox.app.conf.task_always_eager
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        if eager:  # no REDIS_URL (development, tests): deliver in-process, without touching a broker
            deliver_outbox.apply((batch,))
            continue
        try:
            deliver_outbox.apply_async((batch,), retry=True, retry_policy=FAIL_FAST)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the caller
            log.warning("Broker unavailable; %s outbox messages wait for the sweep", len(ids) - start)
            return False
    return True


# --- the notification centre ----------------------------------------------------------------


@transaction.atomic
def retry_message(*, message: OutboxMessage, retried_by, now) -> None:
    """Send a failed or waiting email again now, with a fresh count of attempts. Head and office only."""
    if not can_manage_outbox(retried_by):
        raise NotificationError("Only the headteacher and the office can retry emails.")
    before = OutboxMessage.objects.filter(pk=message.pk).values("state", "attempts", "last_error").first()
    updated = OutboxMessage.objects.filter(pk=message.pk, state__in=[OutboxState.FAILED, OutboxState.PENDING]).update(
        state=OutboxState.PENDING, attempts=0, next_attempt_at=now, lease_until=None
    )
    if not updated:
        raise NotificationError("This email is being sent or has been sent already.")
    # OutboxMessage is not registered with auditlog (workers update it in bulk); the retry,
    # a person's decision, is recorded explicitly.
    LogEntry.objects.log_create(
        message,
        action=LogEntry.Action.UPDATE,
        changes={"state": [before["state"], OutboxState.PENDING], "attempts": [before["attempts"], 0], "retried": ["", "yes"]},
        actor=retried_by,
        force_log=True,
    )
    _publish_after_commit([message.pk])


# --- staff messages to families (COM-5) -----------------------------------------------------


@transaction.atomic
def send_staff_message(*, author, pupil, guardian=None, cc_staff=(), subject: str, body: str, now) -> StaffMessage:
    """COM-5: a member of staff writes about `pupil` to one of its parents/carers (`guardian`) as is,
    or, with guardian None, to the pupil's personal address, only with another relevant member
    of staff copied in. The message and who was copied are kept and audited."""
    cc_staff = list(cc_staff)
    to = _staff_message_address(author=author, pupil=pupil, guardian=guardian, cc_staff=cc_staff)
    with set_actor(author):
        message = StaffMessage.objects.create(
            author=author, pupil=pupil, guardian=guardian, recipient_email=to, subject=subject, body=body, sent_at=now
        )
        message.cc_staff.set(cc_staff)
        message.outbox = notify(
            to=to,
            kind="staff-message",
            context={"message": message, "author": author, "pupil": pupil, "guardian": guardian, "school": SchoolSettings.load()},
            dedupe_key=f"staff-message:{message.pk}",
            user=guardian.user if guardian else None,
            cc=[member.email for member in cc_staff],
        )
        message.save(update_fields=["outbox"])
    return message


def _staff_message_address(*, author, pupil, guardian, cc_staff) -> str:
    """The address to write to, once the author, the recipient and the copies pass the rules."""
    if not is_staff_member(author) or not pupils_visible_to(author).filter(pk=pupil.pk).exists():
        raise NotificationError("You can only write about pupils you work with.")
    if any(not is_staff_member(member) for member in cc_staff):
        raise NotificationError("Only members of staff can be copied in.")
    to_pupil = guardian is None
    decision = policy.staff_message_decision(
        to_pupil_address=to_pupil,
        author_id=author.pk,
        copied_staff_ids=[member.pk for member in cc_staff],
        relevant_staff_ids=set(relevant_staff(pupil).values_list("pk", flat=True)),
    )
    if not decision.allowed:
        raise NotificationError(decision.reason)
    if to_pupil:
        if not pupil.personal_email:
            raise NotificationError("This pupil has no personal email address on record.")
        return pupil.personal_email
    if guardian.pk not in {g.pk for g in family_recipients(pupil)}:
        raise NotificationError("That parent or carer cannot receive messages about this pupil.")
    return guardian.email
