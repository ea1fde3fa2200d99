"""Choices shared by the safeguarding models, policy and forms (no import cycles)."""

from django.db import models


class ConcernKind(models.TextChoices):
    SEEN_OR_HEARD = "seen_or_heard", "Something seen or heard during a call or other communication"
    DISCLOSURE = "disclosure", "A disclosure by the pupil"
    OTHER = "other", "Other"


class EntryKind(models.TextChoices):
    """What one chronology entry records (SG-4). Entries are never edited or deleted."""

    FURTHER_INFORMATION = "further_information", "Further information from the reporter"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    NOTE = "note", "Note"
    ACTION = "action", "Action"
    ESCALATED = "escalated", "Escalated (not acknowledged in time)"
    CLOSED = "closed", "Closed"
    CORRECTION = "correction", "Correction"


class ActionKind(models.TextChoices):
    PHONE_CALL = "phone_call", "Phone call to the family"
    HOME_VISIT = "home_visit", "Home visit"
    SOCIAL_CARE = "social_care", "Referral to children's social care"
    POLICE = "police", "Referral to the police"
    EARLY_HELP = "early_help", "Early help"
    MONITORING = "monitoring", "Monitoring in school"


class Outcome(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    MONITORING = "monitoring", "Monitoring in school"
    EARLY_HELP = "early_help", "Early help"
    SOCIAL_CARE = "social_care", "Referred to children's social care"
    POLICE = "police", "Referred to the police"
    OTHER = "other", "Other (see notes)"


class AccessPurpose(models.TextChoices):
    """Why a concern's content was shown to someone (SG-3: every read is recorded)."""

    OPENED = "opened", "Opened the concern"
    CHRONOLOGY = "chronology", "Read the pupil's chronology"
    EXPORTED = "exported", "Exported in the pupil's safeguarding file"


class AlertReason(models.TextChoices):
    NEW = "new", "New concern"
    DSL_UNAVAILABLE = "dsl_unavailable", "New concern; the DSL is unavailable"
    NOBODY_AVAILABLE = "nobody_available", "New concern; every DSL is marked unavailable"
    FURTHER_INFORMATION = "further_information", "Further information added"
    ESCALATION = "escalation", "Not acknowledged in time"
