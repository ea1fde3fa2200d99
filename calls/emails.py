"""What every calls email is told: plain values, times already in UK local time (COM-1, COM-8)."""

from accounts.choices import Role
from accounts.models import User
from school.models import SchoolSettings
from toolkit import dates
from toolkit.urls import portal_url


def when(call) -> str:
    """e.g. "Mon 26 Oct, 09:00 to 09:30 (UK time)": the style of every screen (toolkit.dates),
    the year added only when it is not this year."""
    return f"{dates.when(call.starts_at)} to {dates.clock(call.ends_at)} (UK time)"


def moment(value) -> str:
    """e.g. "Mon 26 Oct, 09:02": a moment something happened, as every screen says it."""
    return dates.when(value)


def staff_names(call) -> list[str]:
    return [str(person) for person in (call.host, call.second_staff) if person]


def school_context() -> dict:
    """The school's name and contacts every email ends with (COM-8). A mass mailing reads it once."""
    row = SchoolSettings.load()
    return {
        "school_name": row.name,
        "reporting_routes": row.reporting_routes,
        "office_phone": row.office_phone,
        "office_email": row.office_email,
    }


def family_context(call, guardian, pupils) -> dict:
    """COM-1: the platform, what the child will do online, which staff; COM-8: reporting routes.
    Never the meeting link or passcode (COM-4)."""
    return {
        **school_context(),
        "guardian_name": guardian.full_name,
        "pupil_names": [p.full_name for p in pupils],
        "title": call.title,
        "kind": call.get_kind_display(),
        "activity": call.activity,
        "platform": call.get_platform_display(),
        "when": when(call),
        "staff": staff_names(call),
        "recorded": call.record,
        "status": call.get_status_display(),
        "cancel_reason": call.cancel_reason,
        "one_to_one": call.is_one_to_one,
        "family_url": portal_url("calls:family_call", call.pk),
    }


def staff_context(call, **extra) -> dict:
    return {
        **school_context(),
        "title": call.title,
        "when": when(call),
        "status": call.get_status_display(),
        "call_url": portal_url("calls:detail", call.pk),
        **extra,
    }


def timetable_rows_by_pupil(invitations) -> dict[int, list[tuple]]:
    """COM-2: {pupil_id: [(starts_at, row), ...]}, one row per child per call, in the invitations'
    order; each call's details are worked out once however many children it has."""
    calls: dict[int, dict] = {}
    found: dict[int, list[tuple]] = {}
    for invitation in invitations:
        call = invitation.call
        if call.pk not in calls:
            calls[call.pk] = {
                "when": when(call),
                "title": call.title,
                "platform": call.get_platform_display(),
                "activity": call.activity,
                "staff": staff_names(call),
                "status": call.get_status_display(),
            }
        row = {**calls[call.pk], "pupil": invitation.pupil.full_name}
        found.setdefault(invitation.pupil_id, []).append((call.starts_at, row))
    return found


def timetable_week(monday) -> dict:
    """What every family's timetable for the week starting `monday` shares: worked out once a mailing."""
    return {**school_context(), "week": dates.day(monday), "calls_url": portal_url("calls:family")}


def timetable_context(guardian, rows, *, week) -> dict:
    """COM-2: the guardian's `rows` (from timetable_rows_by_pupil), with `week` from timetable_week()."""
    return {**week, "guardian_name": guardian.full_name, "rows": rows}


def dsl_contacts() -> list[dict]:
    """CALL-7: the DSL and deputy DSLs, to contact about a concern."""
    people = (
        User.objects.filter(staff_roles__role__in=[Role.DSL, Role.DEPUTY_DSL], is_active=True)
        .prefetch_related("staff_roles")
        .distinct()
    )
    return [{"name": str(u), "email": u.email, "role": _dsl_role(u)} for u in people]


def _dsl_role(user) -> str:
    return "DSL" if any(r.role == Role.DSL for r in user.staff_roles.all()) else "Deputy DSL"
