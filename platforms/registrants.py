"""Per-person joins on a hosted platform that takes registrants (Zoom): each invited child gets
their own registrant, so their family is handed that child's own join address and the
platform's attendance names the child by registrant id, not by a typed name (LOG-1).

One registrant per invited child (not per family): a registrant's address admits one device at a
time and Zoom's report names the registrant, so one child per registrant keeps the session log
exact. Zoom identifies a registrant by email address within a meeting, so each child is registered
under one of their join-email recipients' addresses not already used in the meeting; siblings with
a single recipient between them share that registrant (the calls app then gives them the same
address, and attendance falls back to names for them).

The calls app says who is wanted (request); `sync` brings the platform in line, registering the
missing and cancelling those taken off the call (consent withdrawn, left the school). Each result
is stored the moment the platform answers, so a 429 half-way and its retry register each child once.
"""

import logging

from django.db import transaction

from .base import REGISTRANT_PREFIX, PlatformError, get_adapter, hosted_adapter
from .models import HostedMeeting, HostedRegistrant
from .remote import RetryLater

logger = logging.getLogger(__name__)
BEING_PREPARED = "Your child's own place in the meeting is being prepared. Please try again in a minute."


def supports_registrants(platform: str) -> bool:
    return bool(getattr(get_adapter(platform), "supports_registrants", False))


def request(meeting_id: str, wanted: list[dict]) -> bool:
    """Record who should hold a registrant ({person, email, first_name, last_name} each) and queue
    the sync after commit when the meeting exists. True when the platform has something to do."""
    with transaction.atomic():
        return _request(HostedMeeting.objects.select_for_update().get(meeting_id=meeting_id), wanted)


def _request(row: HostedMeeting, wanted: list[dict]) -> bool:
    meeting_id = row.meeting_id
    people = {item["person"]: item for item in wanted}
    changed = False
    for item in people.values():
        fields = {k: item[k] for k in ("email", "first_name", "last_name")}
        registrant, created = HostedRegistrant.objects.get_or_create(meeting=row, person=item["person"], defaults=fields)
        if created:
            changed = True
            continue
        moved = any(getattr(registrant, k) != v for k, v in fields.items())
        if moved and registrant.state == HostedRegistrant.State.REGISTERED:
            # A new address or name: cancel the old registrant and register again.
            registrant.wanted = False
            registrant.save(update_fields=["wanted", "updated_at"])
            pending_replacement(row, registrant, fields)
            changed = True
        elif moved or not registrant.wanted:
            for k, v in fields.items():
                setattr(registrant, k, v)
            registrant.wanted = True
            registrant.save()
            changed = True
    gone = row.registrants.filter(wanted=True).exclude(person__in=list(people))
    changed = gone.update(wanted=False) > 0 or changed
    if changed and row.state == HostedMeeting.State.CREATED:
        from .tasks import sync_hosted_registrants

        transaction.on_commit(lambda: sync_hosted_registrants.delay(meeting_id))
    return changed


def pending_replacement(row, old: HostedRegistrant, fields: dict) -> None:
    """Keep the old registrant to cancel under a retired name; the child's new one starts pending."""
    old.person = f"{old.person}~{old.pk}"
    old.save(update_fields=["person", "updated_at"])
    HostedRegistrant.objects.create(meeting=row, person=old.person.split("~")[0], **fields)


def sync(meeting_id: str) -> int:
    """Register every wanted child still without a registrant; cancel those no longer wanted.
    Returns how many changes reached the platform. RetryLater leaves the rest for the retry."""
    row = HostedMeeting.objects.get(meeting_id=meeting_id)
    if row.state != HostedMeeting.State.CREATED:
        return 0
    adapter = hosted_adapter(row.platform)
    done = _register_missing(adapter, row)
    return done + _cancel_unwanted(adapter, row)


def _register_missing(adapter, row) -> int:
    done = 0
    todo = row.registrants.filter(wanted=True).exclude(state=HostedRegistrant.State.REGISTERED).order_by("pk")
    for registrant in todo:
        try:
            registrant_id, url = adapter.add_registrant(
                row.external_id, email=registrant.email, first_name=registrant.first_name, last_name=registrant.last_name
            )
            if registrant.state == HostedRegistrant.State.CANCELLED:
                # Put back on the call: Zoom hands back the cancelled registrant, which needs approving.
                adapter.set_registrants_status(row.external_id, "approve", [(registrant_id, registrant.email)])
        except RetryLater:
            raise
        except PlatformError as error:
            _store(registrant, state=HostedRegistrant.State.FAILED, last_error=str(error)[:300])
            logger.warning("Registrant %s for %s could not be registered: %s", registrant.person, row.meeting_id, error)
            continue
        _store(registrant, state=HostedRegistrant.State.REGISTERED, registrant_id=registrant_id, join_url=url, last_error="")
        done += 1
    return done


def _cancel_unwanted(adapter, row) -> int:
    gone = list(row.registrants.filter(wanted=False, state=HostedRegistrant.State.REGISTERED))
    if not gone:
        return 0
    adapter.set_registrants_status(row.external_id, "cancel", [(r.registrant_id, r.email) for r in gone])
    HostedRegistrant.objects.filter(pk__in=[r.pk for r in gone]).update(state=HostedRegistrant.State.CANCELLED, join_url="")
    return len(gone)


def _store(registrant: HostedRegistrant, **fields) -> None:
    HostedRegistrant.objects.filter(pk=registrant.pk).update(**fields)
    for name, value in fields.items():
        setattr(registrant, name, value)


def forget(row: HostedMeeting) -> None:
    """The call was cancelled (its meeting is deleted): no child's address is kept."""
    row.registrants.update(wanted=False, state=HostedRegistrant.State.CANCELLED, join_url="")


def child_address(row: HostedMeeting, person: str) -> tuple[str | None, str | None]:
    """(address, refusal) for a child the calls app has already let through its checks.

    The child's own registrant address once registered. While it is being made, the family is
    asked to try again in a minute (the meeting's own address would show Zoom's registration form
    instead). If Zoom refused to register the child, the meeting's address, as before registrants:
    the waiting room still holds everyone until staff admit them. A child with no registrant row
    (booked before registrants, or the platform takes none) gets the meeting's address too."""
    registrant = row.registrants.filter(person=person, wanted=True).first()
    if registrant is None or registrant.state == HostedRegistrant.State.FAILED:
        return row.join_url, None
    if registrant.state == HostedRegistrant.State.REGISTERED and registrant.join_url:
        return registrant.join_url, None
    from .tasks import sync_hosted_registrants

    transaction.on_commit(lambda: sync_hosted_registrants.delay(row.meeting_id))
    return None, BEING_PREPARED


def people_by_registrant(row: HostedMeeting) -> dict[str, list[str]]:
    """{registrant id: [portal ids]}: more than one only for siblings sharing a registrant."""
    found: dict[str, list[str]] = {}
    for registrant_id, person in row.registrants.exclude(registrant_id="").values_list("registrant_id", "person"):
        found.setdefault(registrant_id, []).append(person.split("~")[0])
    return found


def match_registrants(attendees: list, by_registrant: dict[str, list[str]], names: dict[str, str]) -> list:
    """LOG-1: an attendee Zoom reports with a registrant id is the child registered under it. When
    siblings share a registrant, the name they joined under picks which one; else staff decide."""
    matched = []
    for attendee in attendees:
        if attendee.user_id.startswith(REGISTRANT_PREFIX):
            people = by_registrant.get(attendee.user_id[len(REGISTRANT_PREFIX) :], [])
            if len(people) > 1:
                people = [p for p in people if names.get(p, "").casefold() == attendee.full_name.casefold()]
            if len(people) == 1:
                attendee = attendee._replace(user_id=people[0])
        matched.append(attendee)
    return matched
