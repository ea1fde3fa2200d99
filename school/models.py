"""The school's directory: settings and calendar, classes, pupils and their guardians."""

import copy
import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from toolkit import versions
from toolkit.dates import day

# (setting, least, most): a week of notice at most for join emails, two weeks for log deadlines and
# corrections, a day for a concern's acknowledgement. Larger values are typing slips.
SETTING_BOUNDS = (
    ("join_window_minutes", 0, 120),
    ("join_email_lead_hours", 0, 168),
    ("min_booking_notice_hours", 0, 336),
    ("session_log_deadline_hours", 1, 336),
    ("log_correction_window_hours", 0, 336),
    ("concern_ack_minutes", 1, 1440),
)


def _bounded(name) -> list:
    least, most = next((low, high) for setting, low, high in SETTING_BOUNDS if setting == name)
    return [MinValueValidator(least), MaxValueValidator(most)]


# The settings as of the latest data version, in this process (SchoolSettings.load).
_kept = versions.PerVersion(most=1)


class SchoolSettings(models.Model):
    """The one row of school-wide settings and the deadlines other apps read (cached)."""

    name = models.CharField(max_length=200, default="Ernesford Grange Primary School")
    logo = models.ImageField(upload_to="school/", blank=True)
    # Join links open this many minutes before a call starts (calls' join gateway).
    join_window_minutes = models.PositiveIntegerField(default=15, validators=_bounded("join_window_minutes"))
    # Join details go out this many hours before the call (at once if booked later).
    join_email_lead_hours = models.PositiveIntegerField(default=24, validators=_bounded("join_email_lead_hours"))
    # A call must be booked at least this many hours ahead.
    min_booking_notice_hours = models.PositiveIntegerField(default=1, validators=_bounded("min_booking_notice_hours"))
    # A session log is due this many hours after a call ends; then the head is told (LOG-4).
    session_log_deadline_hours = models.PositiveIntegerField(default=24, validators=_bounded("session_log_deadline_hours"))
    # The author may correct a session log for this many hours after writing it.
    log_correction_window_hours = models.PositiveIntegerField(default=48, validators=_bounded("log_correction_window_hours"))
    # A concern not acknowledged within this many minutes escalates (SG-5).
    concern_ack_minutes = models.PositiveIntegerField(default=60, validators=_bounded("concern_ack_minutes"))
    # Shown on every call notice and family page (COM-8).
    reporting_routes = models.TextField(
        default=(
            "If anything online worries you, stop and tell your parent or carer, your teacher, "
            "or any adult at school. You can also call Childline free on 0800 1111 or visit "
            "childline.org.uk. Parents and carers can contact the school office or the "
            "Designated Safeguarding Lead."
        )
    )
    office_phone = models.CharField(max_length=40, blank=True, default="")
    office_email = models.EmailField(blank=True, default="")
    # CALL-6: the hosted platform (Teams, Meet, Zoom) whose meetings the portal creates with the
    # policy's settings through its API. Only a platform with credentials in the deployment may be
    # chosen (school.forms); empty: on those platforms, the host's pasted link and checklist.
    video_platform = models.CharField(
        max_length=20,
        blank=True,
        default="",
        choices=[
            ("", "None: hosts paste links and tick the checklist"),
            ("teams", "Microsoft Teams"),
            ("meet", "Google Meet"),
            ("zoom", "Zoom"),
        ],
    )

    CACHE_KEY = "school:settings:v1"

    class Meta:
        verbose_name = "school settings"
        verbose_name_plural = "school settings"
        # Bounded input (docs/trust-input.md): the database holds the same maxima as the form, so no
        # path (admin, shell, a bad import) can store a lead time like 2147483647 hours, which made
        # every booking fail (its date arithmetic overflows).
        constraints = [
            models.CheckConstraint(condition=models.Q(**{f"{name}__lte": most, f"{name}__gte": least}),
                                   name=f"school_settings_{name}_bounded")
            for name, least, most in SETTING_BOUNDS
        ]  # fmt: skip

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1  # there is only ever one row
        super().save(*args, **kwargs)
        forget_school_cache()

    @classmethod
    def load(cls) -> "SchoolSettings":
        """The settings, read on many pages: kept in the process for the data version (any write
        moves it, toolkit/versions.py), else from the shared cache; a copy each time, because a
        settings form changes the instance it is given."""
        if versions.remembered() is None:  # SQLite: no data version
            return cls._load_shared()
        # Straight from the table on a new version: the shared cache may still hold the row as it
        # was before the write that moved the version.
        found = _kept.get(cls.CACHE_KEY, lambda: cls.objects.get_or_create(pk=1)[0])
        copied = copy.copy(found)
        copied._state = copy.copy(found._state)
        return copied

    @classmethod
    def _load_shared(cls) -> "SchoolSettings":
        found = cache.get(cls.CACHE_KEY)
        if found is None:
            found, _ = cls.objects.get_or_create(pk=1)
            cache.set(cls.CACHE_KEY, found, 300)
        return found


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SchoolDay(models.Model):
    """Normal school hours on one weekday (local time). A weekday with no row is not a school day."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens_at = models.TimeField(default=dt.time(8, 45))
    closes_at = models.TimeField(default=dt.time(15, 30))

    class Meta:
        ordering = ["weekday"]
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="day_closes_after_opening")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_school_cache()


class TermDate(models.Model):
    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start")]

    def __str__(self):
        return f"{self.name} ({day(self.starts_on)} to {day(self.ends_on)})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_school_cache()


class Closure(models.Model):
    """Days inside a term when the school is closed: INSET days, bank holidays, snow days."""

    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="closure_ends_after_start")]

    def __str__(self):
        return f"{self.reason} ({day(self.starts_on)} to {day(self.ends_on)})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_school_cache()


CALENDAR_CACHE_KEY = "school:calendar:v1"


def forget_school_cache():
    cache.delete_many([SchoolSettings.CACHE_KEY, CALENDAR_CACHE_KEY])


def school_calendar() -> dict:
    """Hours per weekday, terms and closures as plain values, for calls.policy (cached).

    Returns {"hours": {weekday: (opens_at, closes_at)}, "terms": [(start, end)],
    "closures": [(start, end, reason)]}.
    """
    found = cache.get(CALENDAR_CACHE_KEY)
    if found is None:
        found = {
            "hours": {d.weekday: (d.opens_at, d.closes_at) for d in SchoolDay.objects.all()},
            "terms": [(t.starts_on, t.ends_on) for t in TermDate.objects.all()],
            "closures": [(c.starts_on, c.ends_on, c.reason) for c in Closure.objects.all()],
        }
        cache.set(CALENDAR_CACHE_KEY, found, 300)
    return found


class SchoolClass(models.Model):
    name = models.CharField(max_length=50, unique=True)
    year_group = models.PositiveSmallIntegerField(null=True, blank=True)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="classes_taught")

    class Meta:
        ordering = ["year_group", "name"]
        verbose_name = "class"
        verbose_name_plural = "classes"

    def __str__(self):
        return self.name


class PupilQuerySet(models.QuerySet):
    def on_roll(self):
        return self.filter(left_on__isnull=True)


class Pupil(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    # The school MIS's identifier: CSV imports are keyed on it, so re-importing changes nothing.
    mis_id = models.CharField("MIS id", max_length=50, unique=True)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="pupils", null=True, blank=True)
    # Optional. Never used for join details (COM-4); staff mail to it needs a colleague copied (COM-5).
    personal_email = models.EmailField(blank=True, default="")
    left_on = models.DateField(null=True, blank=True)

    objects = PupilQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["school_class", "last_name", "first_name"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Guardian(models.Model):
    """A parent or carer. Has an account when the office has invited them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="guardian"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    mis_id = models.CharField("MIS id", max_length=50, unique=True, null=True, blank=True)
    pupils = models.ManyToManyField(Pupil, through="Guardianship", related_name="guardians")

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Guardianship(models.Model):
    """A guardian's link to one pupil. Only those with parental responsibility decide consent
    and receive join details (CON-5, COM-4)."""

    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="guardianships")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardianships")
    relationship = models.CharField(max_length=50, default="Parent")
    parental_responsibility = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guardian", "pupil"], name="one_link_per_guardian_pupil")]

    def __str__(self):
        return f"{self.guardian} - {self.relationship} of {self.pupil}"


# --- Directory sync through Wonde (school.sync) ------------------------------------------


class SyncRun(models.Model):
    """One run of the directory sync: when, how it ended, and what it counted."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Would have marked more pupils as left than DIRECTORY_SYNC_MAX_REMOVAL_SHARE allows: nothing
        # was written; the office confirms (or fixes the MIS) on the sync page.
        HELD = "held", "Stopped: waiting for the office"
        CONFIRMED = "confirmed", "Removals confirmed by the office"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)
    # A held run: the pupils it would have marked as left, [{"mis_id", "name"}], for the office to check.
    held_removals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self):
        return f"Directory sync {self.started_at:%d/%m/%Y %H:%M} ({self.get_status_display()})"


class SyncChange(models.Model):
    """One change a sync made (or could not make). Safety-relevant ones wait for the office's review."""

    class Kind(models.TextChoices):
        PUPIL_NEW = "pupil_new", "New pupil"
        PUPIL_CHANGED = "pupil_changed", "Pupil details changed"
        CLASS_MOVE = "class_move", "Class move"
        LEAVER = "leaver", "Left the school"
        GUARDIAN_NEW = "guardian_new", "New parent or carer (invited)"
        GUARDIAN_CHANGED = "guardian_changed", "Parent or carer details changed"
        LINK_NEW = "link_new", "New parent/child link"
        ADDRESS_CHANGED = "address_changed", "Email address changed"
        RESPONSIBILITY_REMOVED = "responsibility_removed", "Parental responsibility removed"
        LINK_REMOVED = "link_removed", "No longer a contact of the child"
        TEACHER = "teacher", "Class teacher"
        CONFLICT = "conflict", "Needs the office: address already in use"
        FAILED = "failed", "Not applied"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    summary = models.TextField()
    pupil = models.ForeignKey(Pupil, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    guardian = models.ForeignKey(Guardian, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    needs_review = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["needs_review", "reviewed_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.summary}"


class SyncLink(models.Model):
    """Which Wonde record is which portal pupil or guardian, so Wonde's deletions can be matched."""

    kind = models.CharField(max_length=20)  # "student" or "contact", as Wonde's deletions name them
    wonde_id = models.CharField(max_length=50)
    mis_id = models.CharField(max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "wonde_id"], name="one_link_per_wonde_record")]

    def __str__(self):
        return f"{self.kind} {self.wonde_id} -> {self.mis_id}"
