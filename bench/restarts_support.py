"""The Django side of bench/restarts.py, run as a child process against the bench's own cluster.

    python bench/restarts_support.py setup  OUT.json   # parents with accounts, one-to-ones awaiting approval
    python bench/restarts_support.py verify IN.json    # every 2xx has its rows; no failed request left any

Setup writes through the services (as the school would): guardian accounts, consent, bookings,
the parent's agreement. Verify reads the database only and prints one line per broken guarantee.
"""

import datetime as dt
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egps_portal.settings")

import django  # noqa: E402

django.setup()

from auditlog.models import LogEntry  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from calls.choices import CallKind, CallStatus, Platform  # noqa: E402
from calls.models import Call, CallApproval  # noqa: E402
from calls.services import CallError, booking, one_to_ones  # noqa: E402
from consent.choices import Decision, Scope  # noqa: E402
from consent.models import ConsentDecision  # noqa: E402
from consent.selectors import consenting_pupil_ids  # noqa: E402
from consent.services import give_consent  # noqa: E402
from notifications.models import OutboxMessage  # noqa: E402
from portal.demo import DEMO_PASSWORD, demo_email  # noqa: E402
from school.models import Guardianship, Pupil, school_calendar  # noqa: E402
from school.services import create_guardian_account  # noqa: E402

PAIRS = [("teacher1", "dsl"), ("teacher2", "ddsl"), ("teacher3", "office")]  # host, second member of staff
SLOT = dt.timedelta(minutes=15)
SLACK = dt.timedelta(milliseconds=5)  # client and server read the same clock; allow for rounding


# --- setup -----------------------------------------------------------------------------------


def _staff(name) -> User:
    return User.objects.get(email=demo_email(name))


def _guardian_with_responsibility(pupil):
    link = Guardianship.objects.filter(pupil=pupil, parental_responsibility=True).select_related("guardian").first()
    return link.guardian


def bench_parents(pupils, now) -> list[dict]:
    """One new parent account per pupil (their own child), with a known password."""
    office = _staff("office")
    found = []
    for n, pupil in enumerate(pupils):
        email = f"bench-parent{n:02d}@demo.egps.test"
        guardian = create_guardian_account(
            email=email,
            first_name="Bench",
            last_name=f"Parent {n}",
            phone="",
            pupil=pupil,
            relationship="Parent",
            parental_responsibility=True,
            created_by=office,
            now=now,
        )
        guardian.user.set_password(DEMO_PASSWORD)  # instead of following the invitation link
        guardian.user.save(update_fields=["password"])
        found.append({"email": email, "user_id": guardian.user_id, "pupil_id": pupil.pk})
    return found


def _slots(now, count):
    """Start times on school days from the day after tomorrow, inside opening hours."""
    calendar = school_calendar()
    day = timezone.localdate(now) + dt.timedelta(days=2)
    made = 0
    for _ in range(120):
        hours = calendar["hours"].get(day.weekday())
        if hours:
            start = timezone.make_aware(dt.datetime.combine(day, hours[0])) + dt.timedelta(minutes=15)
            end = timezone.make_aware(dt.datetime.combine(day, hours[1])) - SLOT
            while start <= end and made < count:
                yield start
                made += 1
                start += SLOT
        if made >= count:
            return
        day += dt.timedelta(days=1)


def _consented(pupil, now):
    if pupil.pk not in consenting_pupil_ids([pupil.pk], Scope.VIDEO_CALLS):
        guardian = _guardian_with_responsibility(pupil)
        give_consent(
            pupil=pupil,
            guardian=guardian,
            scope=Scope.VIDEO_CALLS,
            decided_by=guardian.user or _staff("office"),
            now=now,
            method="phone" if guardian.user is None else "online",
        )
    return pupil


def one_to_ones_awaiting_approval(pupils, now, count) -> list[int]:
    """`count` one-to-ones, booked, agreed by a parent, waiting for the head or deputy."""
    pairs = [(_staff(h), _staff(s)) for h, s in PAIRS]
    ids, slots = [], _slots(now, count * 2)
    for starts_at in slots:
        if len(ids) >= count:
            break
        for host, second in pairs:
            if len(ids) >= count:
                break
            pupil = _consented(pupils[len(ids) % len(pupils)], now)
            try:
                call = booking.book_call(
                    booked_by=host,
                    now=now,
                    kind=CallKind.ONE_TO_ONE,
                    title="Bench one-to-one",
                    activity="Reading.",
                    platform=Platform.MICROSOFT_TEAMS,
                    starts_at=starts_at,
                    duration_minutes=10,
                    host=host,
                    second_staff=second,
                    pupil_ids=[pupil.pk],
                    meeting_url="https://teams.example.test/bench",
                )
            except CallError:
                continue  # a closure, or a demo call at that time: take the next slot
            guardian = _guardian_with_responsibility(pupil)
            one_to_ones.record_parent_agreement(
                call=call, guardian=guardian, decided_by=guardian.user or host, now=now, agree=True
            )
            ids.append(call.pk)
    return ids


def setup(out: Path, consent_clients: int, calls_wanted: int) -> None:
    now = timezone.now()
    taken = set(Guardianship.objects.filter(guardian__user__isnull=False).values_list("pupil_id", flat=True))
    free = list(Pupil.objects.on_roll().exclude(pk__in=taken).order_by("pk"))
    parents = bench_parents(free[:consent_clients], now)
    call_ids = one_to_ones_awaiting_approval(free[consent_clients:], now, calls_wanted)
    if len(call_ids) < calls_wanted:
        raise SystemExit(f"setup: only {len(call_ids)} of {calls_wanted} one-to-ones could be booked")
    head, deputy = _staff("head"), _staff("deputy")
    out.write_text(
        json.dumps(
            {
                "parents": parents,
                "calls": call_ids,
                "approvers": {"head": head.pk, "deputy": deputy.pk},
            }
        )
    )
    print(f"setup: {len(parents)} parent accounts, {len(call_ids)} one-to-ones awaiting approval")


# --- verify ----------------------------------------------------------------------------------


def _window(record):
    return (dt.datetime.fromtimestamp(record["t0"], dt.UTC) - SLACK, dt.datetime.fromtimestamp(record["t1"], dt.UTC) + SLACK)


class Findings:
    """Broken guarantees, and failed requests whose whole change committed anyway (see verify())."""

    def __init__(self):
        self.problems, self.unconfirmed, self.matched = [], [], set()


def _check_consent(record, found: Findings) -> None:
    start, end = _window(record)
    rows = list(
        ConsentDecision.objects.filter(
            pupil_id=record["pupil_id"],
            entered_by_id=record["user_id"],
            scope=Scope.VIDEO_CALLS,
            decision=Decision.GIVEN if record["action"] == "give" else Decision.WITHDRAWN,
            decided_at__range=(start, end),
        )
    )
    said = f"consent {record['id']}: {record['outcome']} ({record['status']})"
    expected = {"done": 1, "refused": 0}.get(record["outcome"], len(rows[:1]))  # failed: nothing, or all of it
    if len(rows) != expected:
        found.problems.append(f"{said} but left {len(rows)} decision rows")
        return
    if rows:
        found.matched.add(rows[0].pk)
        missing = _missing_side_rows(rows[0])
        if missing:
            found.problems.append(f"{said}: decision {rows[0].pk} committed without {missing}")
        elif record["outcome"] == "failed":
            found.unconfirmed.append(said)


def _missing_side_rows(row) -> str:
    """What should have committed with the decision and did not: its audit entry, a withdrawal's email."""
    audited = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ConsentDecision), object_pk=str(row.pk), action=LogEntry.Action.CREATE
    ).exists()
    if not audited:
        return "its audit entry"
    if row.decision == Decision.WITHDRAWN and not OutboxMessage.objects.filter(dedupe_key=f"consent-withdrawn:{row.pk}").exists():
        return "its confirmation email in the outbox"
    return ""


def _check_approval(record, found: Findings) -> None:
    call = Call.objects.get(pk=record["call_id"])
    approvals = list(CallApproval.objects.filter(call=call))
    said = f"approve {record['id']}: {record['outcome']} ({record['status']})"
    start, end = _window(record)
    whole = (
        len(approvals) == 1
        and approvals[0].approver_id == record["user_id"]
        and start <= approvals[0].decided_at <= end
        and call.status == CallStatus.SCHEDULED
    )
    if record["outcome"] == "done" and not whole:
        found.problems.append(f"{said} but approvals={len(approvals)}, status={call.status}")
    elif record["outcome"] == "refused" and approvals:
        found.problems.append(f"{said} yet the call has {len(approvals)} approvals")
    elif record["outcome"] == "failed" and whole:
        found.unconfirmed.append(said)
    elif record["outcome"] == "failed" and (approvals or call.status != CallStatus.AWAITING_APPROVAL):
        found.problems.append(f"{said} and left a partial change: approvals={len(approvals)}, status={call.status}")


def verify(path: Path) -> None:
    """Every 2xx/3xx success has all its rows; no refused request left any; no failed request left a part.

    One case cannot be told apart by any client of any database: PostgreSQL commits, then dies before
    its "COMMIT" reply arrives, so the request fails though everything it wrote is there. Those are
    allowed only as many as the server log shows failures inside COMMIT, and only if complete.
    """
    data = json.loads(path.read_text())
    found = Findings()
    for record in data["records"]:
        (_check_consent if record["kind"] == "consent" else _check_approval)(record, found)
    started = dt.datetime.fromtimestamp(data["load_started"], dt.UTC)
    bench_users = [p["user_id"] for p in data["parents"]]
    stray = ConsentDecision.objects.filter(entered_by_id__in=bench_users, decided_at__gte=started).exclude(pk__in=found.matched)
    if stray.exists():
        found.problems.append(f"{stray.count()} consent decisions match no request")
    if len(found.unconfirmed) > data["commit_failures"]:
        found.problems.append(
            f"{len(found.unconfirmed)} failed requests committed, but only {data['commit_failures']} failed inside COMMIT"
        )
    for line in found.unconfirmed:
        print("UNCONFIRMED (committed whole; COMMIT's reply was lost)", line)
    for problem in found.problems:
        print("VIOLATION", problem)
    print(
        f"verify: {len(data['records'])} requests checked, {len(found.unconfirmed)} unconfirmed commits, "
        f"{len(found.problems)} violations"
    )
    raise SystemExit(1 if found.problems else 0)


if __name__ == "__main__":
    command, target = sys.argv[1], Path(sys.argv[2])
    if command == "setup":
        setup(target, consent_clients=int(sys.argv[3]), calls_wanted=int(sys.argv[4]))
    else:
        verify(target)
