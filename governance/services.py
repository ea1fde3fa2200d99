"""Every governance write: the policy's versions, review reminders and leavers.

Each service is atomic, checks the policy, leaves its audit entries (django-auditlog, with the
acting person as actor) in the same transaction and queues email through notify().
"""

import contextlib
import logging

from auditlog.context import auditlog_value, set_actor
from django.db import transaction
from django.utils import timezone

from accounts.choices import STAFF_ROLES, Role
from accounts.models import User
from notifications.services import notify
from school.models import Guardian, Pupil
from toolkit.urls import portal_url

from . import events, policy
from .models import PolicyVersion

log = logging.getLogger(__name__)


class GovernanceError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


@contextlib.contextmanager
def acting_as(user):
    """Audit entries written inside name `user` as the actor (tasks have no request), then
    put back whatever actor the request's middleware had set."""
    try:
        outer = auditlog_value.get()
    except LookupError:
        outer = None
    if user is None:
        yield
        return
    with set_actor(user):
        yield
    if outer is not None:
        auditlog_value.set(outer)


# --- Policy versions (GOV-1, COM-6) --------------------------------------------------------

VERSION_FIELDS = ("version", "title", "text", "agreed_on", "shared_with_staff_on", "guidance_changed", "changes_summary")


@transaction.atomic
def draft_policy_version(*, by, today, next_review_on=None, **fields) -> PolicyVersion:
    """GOV-1: the head starts a new version as a draft; it is public only once published."""
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown policy version fields: {sorted(unknown)}")
    if PolicyVersion.objects.filter(version=fields.get("version")).exists():
        raise GovernanceError("A version with this name already exists.")
    with acting_as(by):
        return PolicyVersion.objects.create(
            **fields,
            created_on=today,
            created_by=by,
            next_review_on=policy.next_review_on(agreed_on=fields.get("agreed_on"), set_on=next_review_on, today=today),
        )


@transaction.atomic
def update_policy_draft(*, draft: PolicyVersion, by, today, next_review_on=None, **fields) -> PolicyVersion:
    """GOV-1: change a draft (text, dates, flags). Published versions refuse.

    The draft is `draft`, not `version`: `version` is one of the fields (its name, "2026-11"),
    and the edit page passes every field, so the two once collided in a TypeError (issue 17)."""
    version = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
    verdict = policy.may_edit_version(already_published=version.is_published)
    if not verdict.allowed:
        raise GovernanceError(verdict.reason)
    if PolicyVersion.objects.filter(version=fields.get("version", version.version)).exclude(pk=version.pk).exists():
        raise GovernanceError("A version with this name already exists.")
    for name, value in fields.items():
        if name not in VERSION_FIELDS:
            raise TypeError(f"Unknown policy version field: {name}")
        setattr(version, name, value)
    version.next_review_on = policy.next_review_on(agreed_on=version.agreed_on, set_on=next_review_on, today=today)
    with acting_as(by):
        version.save()
    return version


@transaction.atomic
def publish_policy_version(*, version: PolicyVersion, by, now) -> PolicyVersion:
    """GOV-1, COM-6: the draft becomes the version in force on the public policy page."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    verdict = policy.may_publish(
        agreed_on=version.agreed_on, already_published=version.is_published, today=timezone.localdate(now)
    )
    if not verdict.allowed:
        raise GovernanceError(verdict.reason)
    version.published_at = now
    version.published_by = by
    with acting_as(by):
        version.save(update_fields=["published_at", "published_by"])
        # Consent asks for the acceptable-use guidance again when this version changed it (CON-7).
        events.policy_version_published.send(sender=PolicyVersion, version=version, by=by, now=now)
    return version


def _heads():
    return User.objects.filter(is_active=True, staff_roles__role=Role.HEAD).exclude(email="").distinct().order_by("pk")


@transaction.atomic
def send_review_reminders(*, now) -> int:
    """GOV-1: remind every headteacher 30 and 7 days before the review falls due.

    Idempotent: the dedupe key names the version, its review date and the reminder, so a
    sweep that runs every hour sends each reminder once (and again if the date is moved).
    """
    current = PolicyVersion.objects.current()
    if current is None:
        return 0
    today = timezone.localdate(now)
    lead = policy.review_reminder_due(next_review_on=current.next_review_on, today=today)
    if lead is None:
        return 0
    context = {
        "policy": current,
        "days_before": lead,
        "overdue": policy.review_overdue(next_review_on=current.next_review_on, today=today),
        "url": portal_url("governance:versions_admin"),
    }
    sent = 0
    for head in _heads():
        key = f"policy-review:{current.pk}:{current.next_review_on:%Y-%m-%d}:{lead}:{head.pk}"
        notify(to=head.email, kind="policy-review-reminder", context={**context, "head": head}, dedupe_key=key, user=head)
        sent += 1
    return sent


# --- Leavers -------------------------------------------------------------------------------


@transaction.atomic
def mark_pupil_left(*, pupil: Pupil, left_on, by, now) -> list[User]:
    """The office marks a pupil as left: future calls and join links go at once (the calls app
    receives governance.events.pupil_left in this transaction), and each guardian with no child
    left on roll can no longer sign in. Returns the accounts closed."""
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    verdict = policy.may_mark_left(already_left_on=pupil.left_on, left_on=left_on, today=timezone.localdate(now))
    if not verdict.allowed:
        raise GovernanceError(verdict.reason)
    with acting_as(by):
        pupil.left_on = left_on
        pupil.save(update_fields=["left_on"])
        events.pupil_left.send(sender=Pupil, pupil=pupil, left_on=left_on, by=by, now=now)
        closed = _close_guardian_accounts(pupil)
    return closed


def _close_guardian_accounts(pupil) -> list[User]:
    closed = []
    guardians = Guardian.objects.filter(guardianships__pupil=pupil, user__isnull=False, user__is_active=True)
    guardians = guardians.select_related("user")
    for guardian in guardians.distinct():
        user = guardian.user
        on_roll = Pupil.objects.on_roll().filter(guardianships__guardian=guardian).count()
        holds_staff_role = user.staff_roles.filter(role__in=STAFF_ROLES).exists()
        if policy.guardian_account_closes(children_on_roll=on_roll, holds_staff_role=holds_staff_role):
            user.is_active = False
            user.save(update_fields=["is_active"])  # audited: accounts registers User
            closed.append(user)
    return closed
