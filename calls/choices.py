"""Choices shared by the calls models, policy and forms (no import cycles)."""

from django.db import models


class CallKind(models.TextChoices):
    GROUP = "group", "Group lesson"
    ONE_TO_ONE = "one_to_one", "One-to-one"


class CallStatus(models.TextChoices):
    """Where a call is. A one-to-one walks DRAFT/AWAITING_PARENT -> AWAITING_APPROVAL -> SCHEDULED (CALL-4).
    The labels are what parents and staff read, in the school's words (never "Draft" or "Scheduled")."""

    DRAFT = "draft", "Needs a new time"
    AWAITING_PARENT = "awaiting_parent", "Waiting for the parent or carer to agree"
    AWAITING_APPROVAL = "awaiting_approval", "Waiting for the head or deputy to approve"
    SCHEDULED = "scheduled", "Booked"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


# Calls that are still to happen (or may still happen): lists, overlaps and withdrawal use these.
LIVE_STATUSES = (CallStatus.DRAFT, CallStatus.AWAITING_PARENT, CallStatus.AWAITING_APPROVAL, CallStatus.SCHEDULED)


class Platform(models.TextChoices):
    """The site a call runs on (COM-1: families are told which). Settings per platform: platform_settings.py."""

    MICROSOFT_TEAMS = "teams", "Microsoft Teams"
    ZOOM = "zoom", "Zoom"
    GOOGLE_MEET = "meet", "Google Meet"
    BIGBLUEBUTTON = "bigbluebutton", "BigBlueButton"


class AgreementDecision(models.TextChoices):
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Declined"


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
