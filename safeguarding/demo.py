"""Demo data: one open concern raised by teacher1 about a Year 3 pupil, acknowledged by the DSL."""

import datetime as dt

from django.db import transaction

from accounts.models import User
from school.demo import demo_email
from school.models import Pupil

from . import services
from .choices import ActionKind, ConcernKind
from .models import Concern


@transaction.atomic
def seed(now) -> None:
    teacher = User.objects.filter(email=demo_email("teacher1")).first()
    dsl = User.objects.filter(email=demo_email("dsl")).first()
    pupil = Pupil.objects.filter(mis_id="DEMO-P030").first()
    if not (teacher and dsl and pupil) or Concern.objects.filter(reported_by=teacher).exists():
        return  # seeded already (or no demo school): run as often as you like
    raised_at = now - dt.timedelta(hours=2)
    concern = services.raise_concern(
        reported_by=teacher,
        pupils=[pupil],
        kind=ConcernKind.SEEN_OR_HEARD,
        happened_at=raised_at - dt.timedelta(minutes=20),
        what_happened=(
            "During the morning reading call an adult's raised voice could be heard shouting in the "
            "background; the pupil went quiet and turned the camera away."
        ),
        action_taken="Carried on calmly with the call, then raised this concern straight away.",
        now=raised_at,
    )
    services.acknowledge(concern=concern, by=dsl, now=raised_at + dt.timedelta(minutes=25))
    services.record_action(
        concern=concern,
        by=dsl,
        action=ActionKind.MONITORING,
        text="Class teacher asked to note the pupil's mood each morning this week.",
        now=raised_at + dt.timedelta(minutes=40),
    )
