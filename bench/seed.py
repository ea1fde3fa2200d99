"""Scale seed for the benchmark and the query-count tests: N times the demo school's data.

Scale 1 is the demo school (portal.demo.seed_demo_school). Each further unit k = 2..N adds one
more school's worth of records, written with bulk_create (services, signals and auditlog are
bypassed on purpose: this is bench data, not school data), and spills a share onto the demo
accounts so the pages they see grow too: teacher1 hosts more calls with more logs, the demo
pupils get longer consent histories, concerns and welfare contacts, the head's approval queue
grows. At the default unit size N=100 gives ~6,300 pupils, ~9,400 guardians, ~100,000 calls
with logs, ~500,000 consent decisions and ~2,100 concerns.

Units are numbered and marked by their pupils' MIS ids (BENCH-U0002-...), so seeding again at
the same scale adds nothing and seeding at a larger scale adds only the missing units.
"""

import dataclasses
import datetime as dt
import random
import time
import zoneinfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import StaffRole, User
from calls.choices import AgreementDecision, CallKind, CallStatus, Platform
from calls.models import Call, CallInvitation, ParentAgreement
from consent.choices import Decision, Method, Scope
from consent.models import ConsentDecision
from consent.services import refresh_current_consent
from portal.demo import seed_demo_school
from safeguarding.choices import ConcernKind, EntryKind, Outcome
from safeguarding.models import Concern, ConcernEntry, ConcernPupil
from school.demo import CLASSES, DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, demo_email
from school.models import Guardian, Guardianship, Pupil, SchoolClass
from sessionlogs.choices import Attendance, ContactMethod, NumberUsed
from sessionlogs.models import SessionLog, SessionLogPupil, SessionLogVersion, WelfareContact

LONDON = zoneinfo.ZoneInfo("Europe/London")
DOMAIN = "bench.egps.test"
BATCH = 2000


@dataclasses.dataclass(frozen=True)
class Unit:
    """How much one unit adds. The default is one demo-sized school; tests use a small one."""

    pupils_per_class: int = 9
    calls: int = 1000
    # Each pupil/guardian/scope stream gets this many give-and-withdraw pairs, then a final answer.
    decision_rounds: int = 13
    concerns: int = 20
    welfare_contacts: int = 20
    awaiting_approval: int = 5
    # Of each unit's calls, this share is teacher1's (demo Year 3), so the demo pages grow.
    demo_share: float = 0.05
    # Older consent history added to each demo pupil's existing stream, per unit.
    demo_history_pairs: int = 1
    # Children of this unit also linked to the demo parent1 (the query-count tests' "more children").
    demo_parent_children: int = 0


DEFAULT_UNIT = Unit()


def unit_marker(k: int) -> str:
    return f"BENCH-U{k:04d}-P001"


def seeded_units() -> set[int]:
    """Unit numbers already present (1 is the demo school itself, when seeded)."""
    found = {
        int(m[7:11])
        for m in Pupil.objects.filter(mis_id__startswith="BENCH-U", mis_id__endswith="-P001").values_list("mis_id", flat=True)
    }
    if Pupil.objects.filter(mis_id="DEMO-P001").exists():
        found.add(1)
    return found


def seed(scale: int, *, now=None, unit: Unit = DEFAULT_UNIT, log=print) -> list[int]:
    """Bring the database to `scale` units. Returns the unit numbers added (empty: nothing to do)."""
    if scale < 1:
        raise ValueError("The scale must be at least 1.")
    now = now or timezone.now()
    present = seeded_units()
    if 1 not in present:
        seed_demo_school(now)
    missing = [k for k in range(2, scale + 1) if k not in present]
    if not missing:
        return []
    demo = DemoRefs.load()
    password = make_password(DEMO_PASSWORD)  # hashed once: every bench account shares it
    for k in missing:
        started = time.monotonic()
        with transaction.atomic():
            UnitSeeder(k, unit=unit, now=now, demo=demo, password=password).run()
        log(f"unit {k}/{scale} seeded in {time.monotonic() - started:.1f}s")
    if connection.vendor == "postgresql":
        # Tables loaded in bulk have no planner statistics until autovacuum reaches them, and
        # PostgreSQL then plans as for small tables (the call list ran 3x slower). A school's
        # tables grow slowly and autovacuum keeps them analysed; a seeded one is analysed here.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return missing


@dataclasses.dataclass
class DemoRefs:
    """The demo school's people and the Year 3 class the spill lands on."""

    teacher1: User
    office: User
    head: User
    dsl: User
    parent1: Guardian
    year3: SchoolClass
    year3_pupils: list
    demo_streams: list  # [(pupil_id, guardian_id, scope)] that already have decisions

    @classmethod
    def load(cls) -> "DemoRefs":
        users = {u.email: u for u in User.objects.filter(email__endswith=f"@{demo_email('x').split('@')[1]}")}
        year3 = SchoolClass.objects.get(name="Year 3")
        streams = list(
            ConsentDecision.objects.filter(pupil__mis_id__startswith="DEMO-P")
            .values_list("pupil_id", "guardian_id", "scope")
            .distinct()
        )
        return cls(
            teacher1=users[demo_email("teacher1")],
            office=users[demo_email("office")],
            head=users[demo_email("head")],
            dsl=users[demo_email("dsl")],
            parent1=Guardian.objects.get(user=users[demo_email("parent1")]),
            year3=year3,
            year3_pupils=list(year3.pupils.on_roll().order_by("pk")),
            demo_streams=streams,
        )


def _bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


def _school_time(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9 + rng.randrange(6), rng.choice((0, 15, 30))), tzinfo=LONDON)


class UnitSeeder:
    def __init__(self, k: int, *, unit: Unit, now, demo: DemoRefs, password: str):
        self.k, self.unit, self.now, self.demo, self.password = k, unit, now, demo, password
        self.rng = random.Random(k)  # the same unit number always gives the same data
        self.prefix = f"BENCH-U{k:04d}"

    def run(self):
        self.staff()
        self.classes_and_pupils()
        self.guardians()
        self.consent()
        self.calls()
        self.logs()
        self.approvals_queue()
        self.concerns()
        self.welfare()

    # --- directory ------------------------------------------------------------------------------

    def staff(self):
        users = [
            User(
                email=f"u{self.k}-teacher{i}@{DOMAIN}",
                first_name="Bench",
                last_name=f"Teacher {self.k}-{i}",
                password=self.password,
            )
            for i in range(1, 4)
        ]
        self.teachers = _bulk(User, users)
        _bulk(StaffRole, [StaffRole(user=u, role=Role.TEACHER) for u in self.teachers])

    def classes_and_pupils(self):
        self.classes = _bulk(SchoolClass, [SchoolClass(name=f"{name} (school {self.k})", year_group=yg) for name, yg in CLASSES])
        through = SchoolClass.teachers.through
        _bulk(through, [through(schoolclass=c, user=self.teachers[i % 3]) for i, c in enumerate(self.classes)])
        pupils, n = [], 0
        for c in self.classes:
            for seat in range(self.unit.pupils_per_class):
                n += 1
                pupils.append(
                    Pupil(
                        first_name=FIRST_NAMES[(n * 7 + self.k) % len(FIRST_NAMES)],
                        last_name=LAST_NAMES[(n * 5 + self.k) % len(LAST_NAMES)],
                        date_of_birth=dt.date(2021 - (c.year_group or 0), 1 + seat % 12, 1 + n % 27),
                        mis_id=f"{self.prefix}-P{n:03d}",
                        school_class=c,
                    )
                )
        self.pupils = _bulk(Pupil, pupils)
        self.by_class = {c.pk: [p for p in self.pupils if p.school_class_id == c.pk] for c in self.classes}

    def guardians(self):
        """One guardian per pupil, a second (separated parent) for every other pupil: ~1.5 each."""
        rows, links = [], []
        for i, pupil in enumerate(self.pupils):
            for g in range(1 if i % 2 else 2):
                rows.append(
                    Guardian(
                        first_name="Carer",
                        last_name=pupil.last_name,
                        email=f"u{self.k}-family{i:03d}-{g}@{DOMAIN}",
                        mis_id=f"{self.prefix}-G{i:03d}-{g}",
                    )
                )
                links.append(pupil)
        self.guardian_rows = _bulk(Guardian, rows)
        self.streams = [(p.pk, g.pk) for g, p in zip(self.guardian_rows, links, strict=True)]
        links_made = [Guardianship(guardian=g, pupil=p) for g, p in zip(self.guardian_rows, links, strict=True)]
        extra = self.pupils[: self.unit.demo_parent_children]
        _bulk(
            Guardianship, links_made + [Guardianship(guardian=self.demo.parent1, pupil=p, relationship="Mother") for p in extra]
        )
        self.streams += [(p.pk, self.demo.parent1.pk) for p in extra]
        self.guardian_of = {}
        for g, p in zip(self.guardian_rows, links, strict=True):
            self.guardian_of.setdefault(p.pk, g)

    # --- consent ---------------------------------------------------------------------------------

    def consent(self):
        rows = []
        for pupil_id, guardian_id in self.streams:
            for scope in (Scope.VIDEO_CALLS, Scope.RECORDING):
                rows += self._history(pupil_id, guardian_id, scope, self.unit.decision_rounds, final=True)
        # Older history on the demo pupils' streams: the current state stays as the demo set it.
        for pupil_id, guardian_id, scope in self.demo.demo_streams:
            rows += self._history(pupil_id, guardian_id, scope, self.unit.demo_history_pairs, final=False, years_back=4)
        _bulk(ConsentDecision, rows)
        refresh_current_consent({row.pupil_id for row in rows})  # the decision in force, as the services store it

    def _history(self, pupil_id, guardian_id, scope, rounds, *, final, years_back=3):
        at = self.now - dt.timedelta(days=365 * years_back + self.k)
        step = dt.timedelta(days=max(1, 300 // max(1, rounds)))
        rows = []
        decisions = [Decision.GIVEN, Decision.WITHDRAWN] * rounds
        if final:
            decisions.append(Decision.GIVEN if self.rng.random() < 0.9 else Decision.WITHDRAWN)
        for decision in decisions:
            at += step
            rows.append(
                ConsentDecision(
                    pupil_id=pupil_id,
                    guardian_id=guardian_id,
                    scope=scope,
                    decision=decision,
                    decided_at=at,
                    method=Method.PHONE,
                    entered_by=self.demo.office,
                )
            )
        return rows

    # --- calls -----------------------------------------------------------------------------------

    def calls(self):
        """Mostly group lessons held over the last three years; a tenth still to come."""
        calls, invitees = [], []
        for i in range(self.unit.calls):
            demo = self.rng.random() < self.unit.demo_share
            held = self.rng.random() < 0.9
            if demo:
                host, second, school_class = self.demo.teacher1, self.teachers[0], self.demo.year3
                pupils = self.demo.year3_pupils
            else:
                school_class = self.classes[i % len(self.classes)]
                host, second = self.teachers[i % 3], self.teachers[(i + 1) % 3]
                pupils = self.by_class[school_class.pk]
            day = (
                (self.now - dt.timedelta(days=1 + self.rng.randrange(1095)))
                if held
                else (self.now + dt.timedelta(days=2 + self.rng.randrange(60)))
            )
            starts = _school_time(self.rng, day.astimezone(LONDON).date())
            calls.append(
                Call(
                    kind=CallKind.GROUP,
                    title=f"Lesson {self.k}-{i}",
                    activity="Reading and questions together.",
                    platform=Platform.MICROSOFT_TEAMS,
                    starts_at=starts,
                    duration_minutes=30,
                    ends_at=starts + dt.timedelta(minutes=30),
                    host=host,
                    second_staff=second,
                    status=CallStatus.HELD if held else CallStatus.SCHEDULED,
                    school_class=school_class,
                    booked_by=host,
                    booked_at=starts - dt.timedelta(days=7),
                )
            )
            invitees.append(pupils)
        self.calls_made = _bulk(Call, calls)
        _bulk(
            CallInvitation,
            [
                CallInvitation(call=c, pupil=p, invited_at=c.booked_at)
                for c, ps in zip(self.calls_made, invitees, strict=True)
                for p in ps
            ],
        )
        self.invitees = {c.pk: ps for c, ps in zip(self.calls_made, invitees, strict=True)}

    def logs(self):
        held = [c for c in self.calls_made if c.status == CallStatus.HELD]
        logs = _bulk(
            SessionLog,
            [
                SessionLog(
                    call=c,
                    author=c.host,
                    written_at=c.ends_at + dt.timedelta(hours=1),
                    started_at=c.starts_at,
                    ended_at=c.ends_at,
                    second_staff_present=True,
                    checklist_items=["waiting_room"],
                    notes="All went well.",
                )
                for c in held
            ],
        )
        attendance, versions = [], []
        for log, call in zip(logs, held, strict=True):
            rows = [
                SessionLogPupil(log=log, pupil=p, outcome=Attendance.ADMITTED if (p.pk + call.pk) % 5 else Attendance.ABSENT)
                for p in self.invitees[call.pk]
            ]
            attendance += rows
            versions.append(
                SessionLogVersion(
                    log=log,
                    number=1,
                    written_by=call.host,
                    written_at=log.written_at,
                    started_at=log.started_at,
                    ended_at=log.ended_at,
                    second_staff_present=True,
                    checklist_items=log.checklist_items,
                    notes=log.notes,
                    attendance=[{"pupil_id": r.pupil_id, "outcome": r.outcome, "joined_at": None} for r in rows],
                )
            )
        _bulk(SessionLogPupil, attendance)
        _bulk(SessionLogVersion, versions)

    def approvals_queue(self):
        """One-to-ones the parent agreed to, waiting for the head (CALL-4)."""
        calls = []
        for i in range(self.unit.awaiting_approval):
            starts = _school_time(self.rng, (self.now + dt.timedelta(days=3 + i)).astimezone(LONDON).date())
            calls.append(
                Call(
                    kind=CallKind.ONE_TO_ONE,
                    title=f"One-to-one {self.k}-{i}",
                    activity="Reading support.",
                    platform=Platform.MICROSOFT_TEAMS,
                    starts_at=starts,
                    duration_minutes=20,
                    ends_at=starts + dt.timedelta(minutes=20),
                    host=self.teachers[0],
                    second_staff=self.teachers[1],
                    status=CallStatus.AWAITING_APPROVAL,
                    school_class=self.classes[0],
                    booked_by=self.teachers[0],
                    booked_at=self.now,
                )
            )
        calls = _bulk(Call, calls)
        pupils = [self.pupils[i % len(self.pupils)] for i in range(len(calls))]
        _bulk(CallInvitation, [CallInvitation(call=c, pupil=p, invited_at=self.now) for c, p in zip(calls, pupils, strict=True)])
        _bulk(
            ParentAgreement,
            [
                ParentAgreement(
                    call=c,
                    guardian=self.guardian_of[p.pk],
                    decision=AgreementDecision.AGREED,
                    for_starts_at=c.starts_at,
                    decided_at=self.now,
                    decided_by=self.demo.office,
                )
                for c, p in zip(calls, pupils, strict=True)
            ],
        )

    # --- safeguarding and welfare ----------------------------------------------------------------

    def concerns(self):
        """The unit's concerns about its own pupils, and one about a demo Year 3 pupil."""
        subjects = [(self.teachers[i % 3], self.pupils[(i * 7) % len(self.pupils)]) for i in range(self.unit.concerns)]
        subjects.append((self.demo.teacher1, self.demo.year3_pupils[self.k % len(self.demo.year3_pupils)]))
        concerns = []
        for i, (reporter, _) in enumerate(subjects):
            raised = self.now - dt.timedelta(days=1 + self.rng.randrange(1000), minutes=i)
            concerns.append(
                Concern(
                    reported_by=reporter,
                    raised_at=raised,
                    happened_at=raised - dt.timedelta(hours=1),
                    kind=ConcernKind.OTHER,
                    what_happened="Bench concern text.",
                    action_taken="Told the DSL in person.",
                )
            )
        concerns = _bulk(Concern, concerns)
        _bulk(ConcernPupil, [ConcernPupil(concern=c, pupil=p) for c, (_, p) in zip(concerns, subjects, strict=True)])
        entries = []
        for i, c in enumerate(concerns):
            entries.append(
                ConcernEntry(
                    concern=c,
                    kind=EntryKind.ACKNOWLEDGED,
                    recorded_by=self.demo.dsl,
                    recorded_at=c.raised_at + dt.timedelta(minutes=20),
                )
            )
            entries.append(
                ConcernEntry(
                    concern=c,
                    kind=EntryKind.NOTE,
                    text="Spoke to the family.",
                    recorded_by=self.demo.dsl,
                    recorded_at=c.raised_at + dt.timedelta(days=1),
                )
            )
            if i % 2:
                entries.append(
                    ConcernEntry(
                        concern=c,
                        kind=EntryKind.CLOSED,
                        outcome=Outcome.NO_FURTHER_ACTION,
                        text="Closed.",
                        recorded_by=self.demo.dsl,
                        recorded_at=c.raised_at + dt.timedelta(days=5),
                    )
                )
        _bulk(ConcernEntry, entries)

    def welfare(self):
        pupils = [self.pupils[(i * 3) % len(self.pupils)] for i in range(self.unit.welfare_contacts)]
        pupils.append(self.demo.year3_pupils[0])
        rows = []
        for p in pupils:
            at = self.now - dt.timedelta(days=1 + self.rng.randrange(700))
            rows.append(
                WelfareContact(
                    pupil=p,
                    method=ContactMethod.PHONE,
                    contacted_at=at,
                    duration_minutes=10,
                    staff=self.teachers[0],
                    number_used=NumberUsed.SCHOOL,
                    outcome="Family well.",
                    recorded_by=self.teachers[0],
                    recorded_at=at,
                )
            )
        _bulk(WelfareContact, rows)
