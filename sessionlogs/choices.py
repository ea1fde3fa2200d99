"""Choices shared by the session-log models, policy and forms (no import cycles)."""

from django.db import models


class Attendance(models.TextChoices):
    """What happened to one invited pupil at a session (LOG-1)."""

    ADMITTED = "admitted", "Admitted"
    ABSENT = "absent", "Did not join"
    REFUSED_LATE = "refused_late", "Refused: arrived after the call was locked"
    REFUSED_NO_CAMERA = "refused_no_camera", "Refused: camera off"


REFUSED = (Attendance.REFUSED_LATE, Attendance.REFUSED_NO_CAMERA)


class UnacceptableUse(models.TextChoices):
    """LOG-3: the policy's examples of unacceptable use, and its video-call guidance."""

    UPSETTING_MESSAGES = "upsetting_messages", "Messages or comments that might upset other people"
    OTHERS_LOGIN = "others_login", "Using another person's username and password"
    OTHERS_WORK = "others_work", "Looking at or changing other people's work without permission"
    WASTING_RESOURCES = "wasting_resources", "Wasting time or resources on school computers"
    UNCHECKED_SHARING = "unchecked_sharing", "Sharing pictures or making video calls without checking with a parent/carer"
    LANGUAGE = "language", "Inappropriate language or actions"
    PERSONAL_INFORMATION = "personal_information", "Personal information shared (phone number, email, social media)"
    CLOTHING = "clothing", "Unsuitable clothing (e.g. pyjamas)"
    OTHER = "other", "Something else (describe below)"


class ContactMethod(models.TextChoices):
    """LOG-5: how staff checked on a family's welfare."""

    PHONE = "phone", "Phone call"
    HOME_VISIT = "home_visit", "Home visit"


class NumberUsed(models.TextChoices):
    """LOG-5: "phone calls are made from a 'private' number ... where possible a school telephone"."""

    SCHOOL = "school", "A school telephone"
    WITHHELD = "withheld", "Another phone with the number withheld ('private')"


class PreferredMethod(models.TextChoices):
    """Which way of checking in suits this child and family ("consider which methods are most appropriate")."""

    NO_PREFERENCE = "none", "No preference noted"
    VIDEO_CALL = "video_call", "Video call"
    PHONE = "phone", "Phone call to a parent/carer"
    HOME_VISIT = "home_visit", "Home visit"
    EMAIL = "email", "Email to a parent/carer"
