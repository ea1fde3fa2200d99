"""The demo school's directory: one account per role, ~60 pupils, idempotent (run it as often as
you like). The other apps' demo data is seeded after this (portal.demo.seed_demo_school).
"""

import datetime as dt

from django.db import transaction

from accounts.choices import Role
from accounts.models import StaffRole, User
from school.models import Closure, Guardian, Guardianship, Pupil, SchoolClass, SchoolDay, SchoolSettings, TermDate

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - published demo password, see README
DOMAIN = "demo.egps.test"

STAFF = [
    ("head", "Helen", "Hartley", [Role.HEAD]),
    ("deputy", "David", "Dunmore", [Role.DEPUTY]),
    ("dsl", "Sarah", "Lloyd", [Role.DSL, Role.TEACHER]),
    ("ddsl", "Daniel", "Shah", [Role.DEPUTY_DSL, Role.TEACHER]),
    ("teacher1", "Tara", "Evans", [Role.TEACHER]),
    ("teacher2", "Tom", "Okafor", [Role.TEACHER]),
    ("teacher3", "Tess", "Nowak", [Role.TEACHER]),
    ("office", "Olive", "Fisher", [Role.OFFICE]),
]
CLASSES = [("Reception", 0), ("Year 1", 1), ("Year 2", 2), ("Year 3", 3), ("Year 4", 4), ("Year 5", 5), ("Year 6", 6)]
# Which demo teacher teaches which class.
TEACHES = {"teacher1": ["Year 3", "Year 4"], "teacher2": ["Year 5", "Year 6"], "teacher3": ["Reception", "Year 1", "Year 2"]}
FIRST_NAMES = [
    "Amelia", "Noah", "Isla", "Oliver", "Ava", "George", "Mia", "Arthur", "Ivy", "Leo", "Freya", "Harry",
    "Lily", "Oscar", "Sophia", "Theo", "Grace", "Jack", "Evie", "Finley",
]  # fmt: skip
LAST_NAMES = ["Patel", "Smith", "Jones", "Khan", "Brown", "Taylor", "Wilson", "Ahmed", "Davies", "Clarke", "Murphy", "Lewis"]


def demo_email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def _account(name, first, last) -> User:
    user, created = User.objects.get_or_create(email=demo_email(name), defaults={"first_name": first, "last_name": last})
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _calendar(today: dt.date):
    for weekday in range(5):
        SchoolDay.objects.get_or_create(weekday=weekday, defaults={"opens_at": dt.time(8, 45), "closes_at": dt.time(15, 30)})
    # Terms around today, so the demo always has school days ahead.
    year = today.year if today.month >= 9 else today.year - 1
    terms = [
        ("Autumn term", dt.date(year, 9, 2), dt.date(year, 12, 18)),
        ("Spring term", dt.date(year + 1, 1, 5), dt.date(year + 1, 3, 26)),
        ("Summer term", dt.date(year + 1, 4, 12), dt.date(year + 1, 7, 21)),
    ]
    for name, start, end in terms:
        TermDate.objects.get_or_create(name=f"{name} {start.year}", defaults={"starts_on": start, "ends_on": end})
    Closure.objects.get_or_create(reason="INSET day", starts_on=dt.date(year, 11, 2), defaults={"ends_on": dt.date(year, 11, 2)})


def _pupils_and_guardians(classes):
    families = {}
    n = 0
    for index, (class_name, year_group) in enumerate(CLASSES):
        for seat in range(9):
            n += 1
            first = FIRST_NAMES[(n * 7) % len(FIRST_NAMES)]
            last = LAST_NAMES[(n * 5 + index) % len(LAST_NAMES)]
            birth_year = 2021 - year_group
            pupil, _ = Pupil.objects.get_or_create(
                mis_id=f"DEMO-P{n:03d}",
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": dt.date(birth_year, 1 + (seat % 12), 1 + (n % 27)),
                    "school_class": classes[class_name],
                },
            )
            families[n] = pupil
    for n, pupil in families.items():
        if n <= 3:
            continue  # pupils 1-3 belong to the named demo parents below
        guardian, _ = Guardian.objects.get_or_create(
            mis_id=f"DEMO-G{n:03d}",
            defaults={
                "first_name": "Carer",
                "last_name": pupil.last_name,
                "email": f"family{n:03d}@{DOMAIN}",
                "phone": "01632 960000",
            },
        )
        Guardianship.objects.get_or_create(guardian=guardian, pupil=pupil, defaults={"relationship": "Parent"})
    return families


def _named_parents(families):
    """parent1: two children in different classes; parent2 shares one of them (separated
    parents, both with parental responsibility); parent3: one child."""
    year3_child = families[28]  # Year 3
    year5_child = families[46]  # Year 5
    reception_child = families[2]
    specs = [
        ("parent1", "Priya", "Patel", [year3_child, year5_child], "Mother"),
        ("parent2", "Paul", "Patel", [year3_child], "Father"),
        ("parent3", "Pat", "Quinn", [reception_child], "Mother"),
    ]
    for name, first, last, children, relationship in specs:
        user = _account(name, first, last)
        guardian, _ = Guardian.objects.get_or_create(
            user=user, defaults={"first_name": first, "last_name": last, "email": user.email, "mis_id": f"DEMO-{name.upper()}"}
        )
        for child in children:
            Guardianship.objects.get_or_create(
                guardian=guardian, pupil=child, defaults={"relationship": relationship, "parental_responsibility": True}
            )


@transaction.atomic
def seed(now) -> None:
    settings_row = SchoolSettings.load()
    if not settings_row.office_email:
        settings_row.office_email = demo_email("office")
        settings_row.office_phone = "01632 960123"
        settings_row.save()
    _calendar(now.date())
    classes = {name: SchoolClass.objects.get_or_create(name=name, defaults={"year_group": yg})[0] for name, yg in CLASSES}
    for name, first, last, roles in STAFF:
        user = _account(name, first, last)
        for role in roles:
            StaffRole.objects.get_or_create(user=user, role=role)
    for teacher, class_names in TEACHES.items():
        user = User.objects.get(email=demo_email(teacher))
        for class_name in class_names:
            classes[class_name].teachers.add(user)
    families = _pupils_and_guardians(classes)
    _named_parents(families)
