"""Calls: group lessons and one-to-ones, who is invited, agreements, approvals and the join gateway.

The meeting link and passcode are staff-only: they are excluded from audit history (calls/apps.py)
and never written to logs. Families reach a call only through a JoinLink checked when opened.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import LIVE_STATUSES, AgreementDecision, ApprovalDecision, CallKind, CallStatus, Platform
from .policy import MAX_DURATION


class CallQuerySet(models.QuerySet):
    def live(self):
        """Not cancelled and not yet held."""
        return self.filter(status__in=LIVE_STATUSES)

    def upcoming(self, now):
        return self.live().not_ended(now)

    def not_ended(self, now):
        """Calls still going on or still to come.

        No call is longer than MAX_DURATION (a constraint below), so the bound on starts_at says
        nothing new but lets PostgreSQL start its (starts_at, id) index scan at the right place
        instead of reading every past call before the first one that has not ended.
        """
        return self.filter(ends_at__gt=now, starts_at__gt=now - MAX_DURATION)

    def ended_since(self, moment):
        """Calls that ended at or after `moment` (and any later ones), with the same index bound."""
        return self.filter(ends_at__gte=moment, starts_at__gte=moment - MAX_DURATION)

    def overlapping(self, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at, starts_at__gt=starts_at - MAX_DURATION)

    def with_staff(self, user):
        return self.filter(Q(host=user) | Q(second_staff=user) | Q(booked_by=user))

    def for_pupils(self, pupil_ids):
        """Calls any of these pupils is invited to (active invitations). `pupil_ids`: ids, or a values()
        queryset, which stays a subquery (a semi-join: no DISTINCT over the calls, no extra query)."""
        invited = CallInvitation.objects.filter(pupil_id__in=pupil_ids, removed_at__isnull=True).values("call_id")
        return self.filter(pk__in=invited)


class Call(models.Model):
    kind = models.CharField(max_length=12, choices=CallKind.choices, default=CallKind.GROUP)
    title = models.CharField(max_length=200)
    # COM-1: what pupils will do online, told to families in every notice.
    activity = models.TextField("what pupils will do online")
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.MICROSOFT_TEAMS)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    # Stored (starts_at + duration) so overlap checks are one indexed query.
    ends_at = models.DateTimeField()
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls_hosted")
    second_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="calls_supported"
    )
    # CALL-2: why a group call has only one member of staff (flagged on the head's overview).
    single_staff_reason = models.TextField(blank=True, default="")
    record = models.BooleanField("recorded", default=False)
    status = models.CharField(max_length=20, choices=CallStatus.choices, default=CallStatus.SCHEDULED)
    school_class = models.ForeignKey("school.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls_booked")
    booked_at = models.DateTimeField()
    # Bumped whenever the time changes: agreements, approvals and notices belong to one version (CALL-5).
    version = models.PositiveIntegerField(default=1)
    # Staff-only. Never audited, never logged, never emailed to families (COM-4).
    meeting_url = models.URLField("meeting link", max_length=500, blank=True, default="")
    passcode = models.CharField(max_length=100, blank=True, default="")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True, default="")
    # Set by the beat sweep once join details for the current version went out (cheap to skip).
    join_details_sent_at = models.DateTimeField(null=True, blank=True)
    # When what a calendar shows of the call (time, status) last changed: the feed's DTSTAMP.
    # Set by every service that changes those; empty on calls booked before it existed (booked_at then).
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["host", "starts_at"]),
            models.Index(fields=["second_staff", "starts_at"]),
            # The list's order (starts_at, pk) with LIMIT, and "not yet ended" (lists, panels, calendar feeds).
            models.Index(fields=["starts_at", "id"], name="calls_call_starts_id_idx"),
            models.Index(fields=["ends_at"], name="calls_call_ends_at_idx"),
            # "Booked by me" beside the host and second-staff indexes, so "my calls" is three index ranges.
            models.Index(fields=["booked_by", "starts_at"], name="calls_call_booked_starts_idx"),
            # CALL-2's flag on the head's dashboard and the list's "one member of staff" filter.
            models.Index(
                fields=["starts_at"],
                condition=Q(kind=CallKind.GROUP, second_staff__isnull=True),
                name="calls_call_single_staffed",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="call_ends_after_start"),
            # The policy's longest call, held by the database too: CallQuerySet.not_ended relies on it.
            models.CheckConstraint(
                condition=Q(ends_at__lte=models.F("starts_at") + MAX_DURATION), name="call_at_most_max_duration"
            ),
            # CALL-3 at the database level too: host and second staff differ.
            models.CheckConstraint(
                condition=Q(second_staff__isnull=True) | ~Q(second_staff=models.F("host")), name="call_two_different_staff"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_one_to_one(self) -> bool:
        return self.kind == CallKind.ONE_TO_ONE

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.starts_at

    def staff_ids(self) -> set[int]:
        return {pk for pk in (self.host_id, self.second_staff_id) if pk}


class CallInvitation(models.Model):
    """A pupil invited to a call. Removal (e.g. consent withdrawn, CON-3) keeps the row with a reason."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="invitations")
    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="call_invitations")
    invited_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True, default="")
    # Issue 19: a parent said "No, thank you" to putting the child back after consent was given
    # again. It answers that removal only: a later removal (removed_at after this) is offered again.
    put_back_declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["call", "pupil__last_name", "pupil__first_name"]
        constraints = [models.UniqueConstraint(fields=["call", "pupil"], name="one_invitation_per_call_pupil")]
        indexes = [
            models.Index(fields=["pupil", "removed_at"]),
            # A child's calls (family pages, the parent's panel, calendar feeds): read from the index alone.
            models.Index(fields=["pupil", "call"], condition=Q(removed_at__isnull=True), name="calls_inv_active_pupil_call"),
        ]

    def __str__(self):
        return f"{self.pupil} in {self.call}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class ParentAgreement(models.Model):
    """CALL-4: a guardian's answer to a one-to-one's date and time. Voided when the time changes (CALL-5)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="agreements")
    guardian = models.ForeignKey("school.Guardian", on_delete=models.PROTECT, related_name="call_agreements")
    decision = models.CharField(max_length=10, choices=AgreementDecision.choices)
    for_starts_at = models.DateTimeField()
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(null=True, blank=True)
    # Issue 19: on declining, the days and times that would suit the family, for the host to rebook.
    suitable_times = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            # One standing answer per call: the first guardian to answer decides (race-safe).
            models.UniqueConstraint(fields=["call"], condition=Q(voided_at__isnull=True), name="one_standing_agreement_per_call"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.guardian} for {self.call}"


class CallApproval(models.Model):
    """CALL-4: the head's or deputy's decision on a one-to-one. Voided when the time changes (CALL-5)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_approvals")
    decision = models.CharField(max_length=10, choices=ApprovalDecision.choices)
    reason = models.TextField(blank=True, default="")
    for_starts_at = models.DateTimeField()
    decided_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            # 50 people pressing "approve" at once still leaves one standing decision.
            models.UniqueConstraint(fields=["call"], condition=Q(voided_at__isnull=True), name="one_standing_approval_per_call"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.approver} for {self.call}"


class JoinLinkQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class JoinLink(models.Model):
    """A guardian's personal way into one call for one child (COM-4). Only a hash of the token is stored."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="join_links")
    guardian = models.ForeignKey("school.Guardian", on_delete=models.PROTECT, related_name="join_links")
    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="join_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True, default="")
    # Issue 16: a guardian without an account is held to the first browser the link admitted
    # (a hash of that browser's join cookie); any other browser is refused and the host told.
    held_by = models.CharField(max_length=64, blank=True, default="")
    held_since = models.DateTimeField(null=True, blank=True)

    objects = JoinLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "guardian", "pupil"], condition=Q(revoked_at__isnull=True), name="one_active_join_link"
            )
        ]

    def __str__(self):
        return f"Join link for {self.guardian} ({self.pupil}) to {self.call}"


class JoinAttempt(models.Model):
    """Every opening of a join link: allowed, or why not (the session log shows who tried to join)."""

    link = models.ForeignKey(JoinLink, on_delete=models.CASCADE, related_name="attempts")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="join_attempts")
    at = models.DateTimeField()
    allowed = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["call", "at"])]

    def __str__(self):
        return f"{'Allowed' if self.allowed else 'Refused'} at {self.at:%Y-%m-%d %H:%M}"


class HostChecklistTick(models.Model):
    """CALL-6: the host confirmed one platform setting for this call (item keys: platform_settings.py)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="checklist_ticks")
    item = models.CharField(max_length=40)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticked_at = models.DateTimeField()

    class Meta:
        ordering = ["call", "item"]
        constraints = [models.UniqueConstraint(fields=["call", "item"], name="one_tick_per_call_item")]

    def __str__(self):
        return f"{self.item} ticked for {self.call}"


class CalendarFeed(models.Model):
    """A private iCalendar feed for one person (COM-2), at a secret URL. Revoking makes a new one necessary."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True), name="one_active_feed_per_user")
        ]

    def __str__(self):
        return f"Calendar feed for {self.user}"
