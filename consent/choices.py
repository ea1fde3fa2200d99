from django.db import models


class Scope(models.TextChoices):
    VIDEO_CALLS = "video_calls", "Video calls with the school"
    RECORDING = "recording", "Recording of lessons"


class Decision(models.TextChoices):
    GIVEN = "given", "Given"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Method(models.TextChoices):
    """How the decision reached the school (CON-4)."""

    ONLINE = "online", "Online, by the parent/carer"
    PHONE = "phone", "By phone"
    PAPER = "paper", "On paper"
    BLOG = "blog", "Via the school blog"


class Audience(models.TextChoices):
    """Who an acceptable-use document is written for (CON-7)."""

    PARENTS = "parents", "Parents and carers"
    PUPILS = "pupils", "Pupils"
    STAFF = "staff", "Staff"


class ConsentState(models.TextChoices):
    """What the staff class view shows for one pupil and scope."""

    GIVEN = "given", "Consent given"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NEVER_ANSWERED = "never_answered", "Never answered"
