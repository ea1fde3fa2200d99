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
