"""The directory kept in step with the school's MIS through Wonde, by itself (school.tasks).

A run reads everything first (students with their groups, classes, contacts and education details;
contacts with their addresses; classes with their teachers; employees; and Wonde's deletions since
the last good run), then works out what differs from the portal, then applies it in one
transaction through the same services the CSV import uses (school.imports, the leaver process in
governance.services). So:

- a run that fails half way (Wonde down, a page refused) writes nothing, and the next run does the
  whole job; a run applied twice changes nothing the second time (each step compares first);
- a run that would mark more than DIRECTORY_SYNC_MAX_REMOVAL_SHARE of the pupils on roll as left
  stops before writing and asks the office (SyncRun HELD), since that is far more often a broken
  export or the wrong Wonde school than a real exodus;
- new parents and carers get their own new account and an invitation. A Wonde address that an
  existing account already signs in with is never attached to that account: the guardian is kept
  without an email and the office is asked to resolve it (SyncChange CONFLICT);
- changes that touch safety (parental responsibility removed, a contact unlinked from a child, an
  address changed for a family with calls coming up) are applied at once and listed for the
  office's review.
"""

import datetime as dt
from dataclasses import dataclass, field

import tablib
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.audit import acting_as
from accounts.models import User

from . import events, imports, policy, wonde
from .models import Guardian, Guardianship, Pupil, SchoolClass, SyncChange, SyncLink, SyncRun

LOCK_KEY = "school:directory-sync:lock"
LOCK_SECONDS = 30 * 60  # longer than any run; a run killed half way frees the lock after this
STUDENT_INCLUDES = ("education_details", "groups", "classes", "contacts")
Kind = SyncChange.Kind


class SyncBusy(Exception):
    """Another run is going on."""


# --- Reading Wonde's records --------------------------------------------------------------


def _included(record: dict, name: str):
    """An include as Wonde nests it ({"data": ...}); a list or a dict, empty when absent."""
    value = record.get(name)
    if isinstance(value, dict) and "data" in value:
        return value["data"] or []
    return value or []


def _date(value) -> str:
    """Wonde's date object ({"date": "2018-05-17 00:00:00.000000", ...}) or a plain string, as YYYY-MM-DD."""
    if isinstance(value, dict):
        value = value.get("date")
    return str(value or "")[:10]


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def pupil_key(student: dict) -> str:
    """The UPN where Wonde has it (so pupils imported from a CSV with UPNs are the same pupils), else the MIS's id."""
    details = _included(student, "education_details")
    upn = _clean(details.get("upn")) if isinstance(details, dict) else ""
    return upn or _clean(student.get("mis_id")) or _clean(student["id"])


def guardian_key(contact: dict) -> str:
    return _clean(contact.get("mis_id")) or _clean(contact["id"])


def class_of(student: dict) -> str:
    """The registration group (a primary school's class); otherwise the only class the pupil is in."""
    for group in _included(student, "groups"):
        if str(group.get("type", "")).upper() == "REGISTRATION" and group.get("name"):
            return _clean(group["name"])
    names = sorted({_clean(c.get("name")) for c in _included(student, "classes") if c.get("name")})
    return names[0] if len(names) == 1 else ""


def _first(values: dict, *names) -> str:
    for name in names:
        if values.get(name):
            return _clean(values[name])
    return ""


def email_of(contact: dict) -> str:
    details = _included(contact, "contact_details")
    emails = details.get("emails") or {} if isinstance(details, dict) else {}
    return _first(emails, "primary", "email", "home", "work").lower()


def phone_of(contact: dict) -> str:
    details = _included(contact, "contact_details")
    phones = details.get("telephones") or {} if isinstance(details, dict) else {}
    return _first(phones, "mobile", "primary", "phone", "home", "work")


def _relationship(contact: dict) -> dict:
    found = contact.get("relationship") or {}
    return found.get("data", found) if isinstance(found, dict) else {}


@dataclass
class Snapshot:
    students: list
    contacts: list
    classes: list
    employees: list
    deletions: list


def fetch(client: wonde.WondeClient, *, since: dt.datetime | None) -> Snapshot:
    """Everything a run needs, read before anything is written."""
    deletions = []
    if since is not None:
        # Wonde's own date format for updated_after, in UTC.
        after = since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        deletions = client.get_all("deletions", type="student", updated_after=after)
    return Snapshot(
        students=client.get_all("students", include=STUDENT_INCLUDES),
        contacts=client.get_all("contacts", include=("contact_details",)),
        classes=client.get_all("classes", include=("employees",)),
        employees=client.get_all("employees", include=("contact_details",)),
        deletions=deletions,
    )


# --- Working out what differs ---------------------------------------------------------------


@dataclass
class Planned:
    kind: str
    summary: str
    key: tuple  # the row it depends on: ("pupil", mis_id) or ("guardian", mis_id, pupil mis_id)
    pupil_id: str = ""
    guardian_id: str = ""
    needs_review: bool = False


@dataclass
class Plan:
    pupil_rows: list = field(default_factory=list)  # canonical columns, keyed on position (see _dataset)
    guardian_rows: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    unlink: list = field(default_factory=list)  # (guardian mis_id, pupil mis_id)
    leavers: list = field(default_factory=list)  # (mis_id, left_on)
    teachers: list = field(default_factory=list)  # (class name, user)
    links: list = field(default_factory=list)  # (kind, wonde id, mis_id)


PUPIL_COLUMNS = ["mis_id", "first_name", "last_name", "date_of_birth", "class"]
GUARDIAN_COLUMNS = [
    "mis_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "pupil_mis_id",
    "relationship",
    "parental_responsibility",
]


def make_plan(snap: Snapshot, *, now) -> Plan:
    today = timezone.localdate(now)
    plan = Plan()
    existing = {p.mis_id: p for p in Pupil.objects.select_related("school_class")}
    in_wonde, by_wonde_id = set(), {}
    for student in snap.students:
        key = pupil_key(student)
        in_wonde.add(key)
        by_wonde_id[student["id"]] = key
        plan.links.append(("student", student["id"], key))
        row = [
            key,
            _clean(student.get("legal_forename") or student.get("forename")),
            _clean(student.get("legal_surname") or student.get("surname")),
            _date(student.get("date_of_birth")),
            class_of(student),
        ]
        current = existing.get(key)
        if not row[4] and current is not None and current.school_class is not None:
            row[4] = current.school_class.name  # no class in Wonde: keep the one the pupil has
        plan.pupil_rows.append(row)
        name = f"{row[1]} {row[2]}"
        if current is None:
            plan.changes.append(Planned(Kind.PUPIL_NEW, f"{name} joins {row[4] or 'no class'}.", ("pupil", key), key))
        else:
            if (current.school_class.name if current.school_class else "") != row[4] and row[4]:
                was = current.school_class.name if current.school_class else "no class"
                plan.changes.append(Planned(Kind.CLASS_MOVE, f"{name} moves from {was} to {row[4]}.", ("pupil", key), key))
            if (current.first_name, current.last_name, current.date_of_birth.isoformat()) != tuple(row[1:4]):
                plan.changes.append(Planned(Kind.PUPIL_CHANGED, f"{name}: name or date of birth updated.", ("pupil", key), key))
        details = _included(student, "education_details")
        leaving = _date(details.get("leaving_date")) if isinstance(details, dict) else ""
        if leaving and leaving <= today.isoformat():
            plan.leavers.append((key, dt.date.fromisoformat(leaving)))

    leaving_ids = {k for k, _ in plan.leavers}
    deleted = set()
    if snap.deletions:
        known = dict(SyncLink.objects.filter(kind="student").values_list("wonde_id", "mis_id"))
        deleted = {known.get(d.get("id")) for d in snap.deletions if not d.get("restored_at")} - {None}
    for pupil in Pupil.objects.on_roll().order_by("last_name", "first_name"):
        gone = pupil.mis_id not in in_wonde or pupil.mis_id in deleted
        if gone and pupil.mis_id not in leaving_ids:
            plan.leavers.append((pupil.mis_id, today))
    on_roll = {p.mis_id for p in Pupil.objects.on_roll()}
    plan.leavers = [(k, d) for k, d in plan.leavers if k in on_roll or k not in existing]
    for key, _ in plan.leavers:
        name = existing[key].full_name if key in existing else key
        plan.changes.append(Planned(Kind.LEAVER, f"{name} has left the school (leaver process).", ("leaver", key), key))

    _plan_guardians(snap, plan, in_wonde, leaving_ids | {k for k, _ in plan.leavers}, now)
    _plan_teachers(snap, plan)
    return plan


def _plan_guardians(snap, plan, in_wonde, leaving, now):
    details = {c["id"]: c for c in snap.contacts}
    guardians = {g.mis_id: g for g in Guardian.objects.exclude(mis_id=None).select_related("user")}
    links = {
        (link.guardian.mis_id, link.pupil.mis_id): link
        for link in Guardianship.objects.exclude(guardian__mis_id=None).select_related("guardian", "pupil")
    }
    wanted, reported = set(), set()
    for student in snap.students:
        pupil_id = pupil_key(student)
        if pupil_id in leaving:
            continue
        for contact in _included(student, "contacts"):
            full = {**contact, **details.get(contact.get("id"), {})}
            gid = guardian_key(full)
            plan.links.append(("contact", full["id"], gid))
            relationship = _relationship(contact) or _relationship(full)
            responsible = bool(relationship.get("parental_responsibility"))
            first, last = (
                _clean(full.get("legal_forename") or full.get("forename")),
                _clean(full.get("legal_surname") or full.get("surname")),
            )
            email, phone = email_of(full), phone_of(full)
            current = guardians.get(gid)
            name = f"{first} {last}"
            key = ("guardian", gid, pupil_id)
            if email and (current is None or current.user_id is None):
                holder = User.objects.filter(email__iexact=email).first()
                if holder is not None and (current is None or current.user_id != holder.pk):
                    # Never attached to someone else's account by address: the office decides.
                    if gid not in reported:
                        plan.changes.append(
                            Planned(
                                Kind.CONFLICT,
                                f"{name}: the MIS gives {email}, which an existing account already signs in with. "
                                "Kept without an email (no invitation) until the office resolves it.",
                                key,
                                pupil_id,
                                gid,
                                needs_review=True,
                            )
                        )
                    email = ""
            plan.guardian_rows.append(
                [
                    gid,
                    first,
                    last,
                    email,
                    phone,
                    pupil_id,
                    _clean(relationship.get("relationship"))[:50] or "Parent",
                    "yes" if responsible else "no",
                ]
            )
            wanted.add((gid, pupil_id))
            if gid not in reported:
                reported.add(gid)
                _plan_guardian_change(plan, current, gid, name, email, phone, first, last, key, pupil_id, now)
            link = links.get((gid, pupil_id))
            if current is not None and link is None:
                plan.changes.append(Planned(Kind.LINK_NEW, f"{name} is now a contact of pupil {pupil_id}.", key, pupil_id, gid))
            elif link is not None and link.parental_responsibility and not responsible:
                plan.changes.append(
                    Planned(
                        Kind.RESPONSIBILITY_REMOVED,
                        f"{name} no longer has parental responsibility for {link.pupil.full_name}: "
                        "they stop deciding consent and receiving join details.",
                        key,
                        pupil_id,
                        gid,
                        needs_review=True,
                    )
                )
    for (gid, pupil_id), link in links.items():
        # Only links the MIS knows about: a contact the office added by hand (no MIS id) stays.
        if pupil_id in in_wonde and pupil_id not in leaving and (gid, pupil_id) not in wanted:
            plan.unlink.append((gid, pupil_id))
            plan.changes.append(
                Planned(
                    Kind.LINK_REMOVED,
                    f"{link.guardian.full_name} is no longer a contact of {link.pupil.full_name} in the MIS"
                    f"{' (they had parental responsibility)' if link.parental_responsibility else ''}.",
                    ("unlink", gid, pupil_id),
                    pupil_id,
                    gid,
                    needs_review=link.parental_responsibility,
                )
            )


def _plan_guardian_change(plan, current, gid, name, email, phone, first, last, key, pupil_id, now):
    if current is None:
        invited = f" An invitation goes to {email}." if email else " No email in the MIS, so no account yet."
        plan.changes.append(Planned(Kind.GUARDIAN_NEW, f"{name} added.{invited}", key, pupil_id, gid))
        return
    if email != current.email:
        upcoming = _has_upcoming_calls(current, now)
        note = " Their children have calls coming up: check the join details reach the right address." if upcoming else ""
        plan.changes.append(
            Planned(
                Kind.ADDRESS_CHANGED,
                f"{name}: email changed from {current.email or '(none)'} to {email or '(none)'}.{note}",
                key,
                pupil_id,
                gid,
                needs_review=upcoming,
            )
        )
    if (current.first_name, current.last_name, current.phone) != (first, last, phone):
        plan.changes.append(Planned(Kind.GUARDIAN_CHANGED, f"{name}: name or phone updated.", key, pupil_id, gid))


def _has_upcoming_calls(guardian, now) -> bool:
    children = list(Guardianship.objects.filter(guardian=guardian).values_list("pupil_id", flat=True))
    answers = events.upcoming_calls_asked.send(sender=Guardianship, pupil_ids=children, now=now)
    return any(answer for _, answer in answers)


def _plan_teachers(snap, plan):
    emails = {e["id"]: email_of(e) for e in snap.employees}
    classes = {c.name.lower(): c for c in SchoolClass.objects.prefetch_related("teachers")}
    for wonde_class in snap.classes:
        school_class = classes.get(_clean(wonde_class.get("name")).lower())
        for employee in _included(wonde_class, "employees"):
            email = emails.get(employee.get("id")) or email_of(employee)
            if not email:
                continue
            # Staff accounts only (the office creates them); a parent's account is never made a teacher.
            user = User.objects.filter(email__iexact=email, is_active=True, staff_roles__isnull=False).distinct().first()
            if user is None:
                continue
            if school_class is None or user not in school_class.teachers.all():
                plan.teachers.append((_clean(wonde_class["name"]), user))
                summary = f"{user} teaches {_clean(wonde_class['name'])}."
                plan.changes.append(Planned(Kind.TEACHER, summary, ("teacher", wonde_class["name"], user.pk)))


# --- Running ---------------------------------------------------------------------------------


def run_sync(*, now, requested_by=None, client=None, confirmed_run: SyncRun | None = None) -> SyncRun:
    """One run, recorded as a SyncRun whatever happens. Raises SyncBusy if a run is going on.

    confirmed_run: a HELD run whose removals the office has checked; this run may remove those pupils."""
    if not cache.add(LOCK_KEY, "1", LOCK_SECONDS):
        raise SyncBusy("A sync is running now; its result will appear here when it finishes.")
    try:
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.FAILED, finished_at=now, error="Stopped without finishing (the worker was restarted)."
        )
        run = SyncRun.objects.create(started_at=now, requested_by=requested_by)
        try:
            client = client or wonde.WondeClient(wonde.config_from_settings())
            last_good = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).first()
            snap = fetch(client, since=last_good.started_at if last_good else None)
            plan = make_plan(snap, now=now)
            on_roll = Pupil.objects.on_roll().count()
            allowed = {r["mis_id"] for r in confirmed_run.held_removals} if confirmed_run else set()
            removals = [k for k, _ in plan.leavers if k not in allowed]
            share = settings.DIRECTORY_SYNC_MAX_REMOVAL_SHARE
            if policy.too_many_removals(removals=len(plan.leavers), on_roll=on_roll, max_share=share) and removals:
                return _hold(run, plan, on_roll, now)
            counts = _apply(run, plan, now=now, by=requested_by)
            if confirmed_run is not None:
                SyncRun.objects.filter(pk=confirmed_run.pk).update(status=SyncRun.Status.CONFIRMED)
        except wonde.WondeError as e:
            return _finish(run, SyncRun.Status.FAILED, now, error=str(e))
        except Exception as e:  # recorded for the office, then raised for the worker's log
            _finish(run, SyncRun.Status.FAILED, now, error=f"The sync stopped with an internal error ({type(e).__name__}).")
            raise
        counts["requests to Wonde"] = client.requests_made
        return _finish(run, SyncRun.Status.SUCCEEDED, now, counts=counts)
    finally:
        cache.delete(LOCK_KEY)


def _finish(run, status, now, *, error="", counts=None) -> SyncRun:
    run.status, run.finished_at, run.error = status, max(now, timezone.now()), error
    if counts is not None:
        run.counts = counts
    run.save()
    return run


def _hold(run, plan, on_roll, now) -> SyncRun:
    names = dict(Pupil.objects.filter(mis_id__in=[k for k, _ in plan.leavers]).values_list("mis_id", "first_name"))
    last = dict(Pupil.objects.filter(mis_id__in=[k for k, _ in plan.leavers]).values_list("mis_id", "last_name"))
    run.held_removals = [{"mis_id": k, "name": f"{names.get(k, '')} {last.get(k, '')}".strip()} for k, _ in plan.leavers]
    run.counts = {"pupils on roll": on_roll, "would be marked as left": len(plan.leavers)}
    share = round(100 * settings.DIRECTORY_SYNC_MAX_REMOVAL_SHARE)
    error = (
        f"Stopped before changing anything: this run would mark {len(plan.leavers)} of {on_roll} pupils as left, "
        f"more than the {share}% one run may remove without asking. Check the list; confirm if it is right."
    )
    return _finish(run, SyncRun.Status.HELD, now, error=error)


WHO = {"pupils": "pupil", "guardians": "parent or carer"}


def _dataset(kind, columns, rows):
    data = tablib.Dataset(*[[*row, i] for i, row in enumerate(rows, 1)], headers=[*columns, "_row"])
    data.kind = kind
    return data


@transaction.atomic
def _apply(run, plan, *, now, by) -> dict:
    """Every write of a run, all or nothing, through the import's own services."""
    failed = set()
    with acting_as(by):
        for kind, columns, rows in (
            ("pupils", PUPIL_COLUMNS, plan.pupil_rows),
            ("guardians", GUARDIAN_COLUMNS, plan.guardian_rows),
        ):
            if not rows:
                continue
            report = imports.run_dataset(
                _dataset(kind, columns, rows), dry_run=False, imported_by=by, now=now, all_or_nothing=False
            )
            for bad in report.error_rows:
                row = rows[bad.number - 1]
                key = ("pupil", row[0]) if kind == "pupils" else ("guardian", row[0], row[5])
                failed.add(key)
                SyncChange.objects.create(
                    run=run,
                    kind=Kind.FAILED,
                    summary=f"{bad.name or row[0]} ({WHO[kind]} {row[0]}): {' '.join(bad.errors)}",
                    needs_review=True,
                )
        _unlink(plan.unlink)
        _leavers(plan.leavers, now=now, by=by, failed=failed)
        _teachers(plan.teachers)
        for kind, wonde_id, mis_id in plan.links:
            SyncLink.objects.update_or_create(kind=kind, wonde_id=wonde_id, defaults={"mis_id": mis_id})
        pupils = {p.mis_id: p for p in Pupil.objects.filter(mis_id__in={c.pupil_id for c in plan.changes if c.pupil_id})}
        guardians = {
            g.mis_id: g for g in Guardian.objects.filter(mis_id__in={c.guardian_id for c in plan.changes if c.guardian_id})
        }
        counts = {}
        for change in plan.changes:
            if change.key in failed:
                continue
            SyncChange.objects.create(
                run=run,
                kind=change.kind,
                summary=change.summary,
                pupil=pupils.get(change.pupil_id),
                guardian=guardians.get(change.guardian_id),
                needs_review=change.needs_review,
            )
            label = Kind(change.kind).label
            counts[label] = counts.get(label, 0) + 1
    if failed:
        counts[Kind.FAILED.label] = len(failed)
    counts["pupils in the MIS"] = len(plan.pupil_rows)
    return counts


def _unlink(pairs):
    """A contact the MIS no longer lists for a child: the link goes (audited), and consent follows (CON-5)."""
    touched = set()
    for gid, pupil_id in pairs:
        for link in Guardianship.objects.filter(guardian__mis_id=gid, pupil__mis_id=pupil_id):
            touched.add(link.pupil_id)
            link.delete()
    if touched:
        events.guardianships_changed.send(sender=Guardianship, pupil_ids=sorted(touched))


def _leavers(leavers, *, now, by, failed):
    """The existing leaver process: calls and join links go, guardians with no child left lose sign-in."""
    today = timezone.localdate(now)
    for mis_id, left_on in leavers:
        pupil = Pupil.objects.filter(mis_id=mis_id, left_on__isnull=True).first()
        if pupil is None:
            continue
        try:
            events.pupil_left_in_mis.send(sender=Pupil, pupil=pupil, left_on=min(left_on, today), by=by, now=now)
        except events.LeaverRefused:
            failed.add(("leaver", mis_id))


def _teachers(pairs):
    for class_name, user in pairs:
        school_class = SchoolClass.objects.filter(name__iexact=class_name).first()
        if school_class is not None:
            school_class.teachers.add(user)


# --- What the office and the head see ------------------------------------------------------


def last_success():
    return SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).first()


def is_stale(*, now) -> bool:
    """Connected, and no run has succeeded for DIRECTORY_SYNC_STALE_HOURS (or ever, after the first try)."""
    if not wonde.is_connected():
        return False
    good = last_success()
    first = SyncRun.objects.order_by("started_at").first() if good is None else None
    return policy.sync_is_stale(
        last_success_at=good.started_at if good else None,
        first_run_at=first.started_at if first else None,
        now=now,
        stale_after=dt.timedelta(hours=settings.DIRECTORY_SYNC_STALE_HOURS),
    )


@transaction.atomic
def mark_reviewed(*, change: SyncChange, by, now) -> None:
    with acting_as(by):
        change.reviewed_at, change.reviewed_by = now, by
        change.save(update_fields=["reviewed_at", "reviewed_by"])
