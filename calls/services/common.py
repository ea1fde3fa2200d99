"""What the calls services share: tokens, row locks in one order, who hears about a call, and
revoking join links. Nothing here writes on its own account; each is called inside a service's
transaction."""

import hashlib
import secrets

from consent.selectors import consenting_pupil_ids
from notifications.recipients import family_recipients_for_pupils
from school.models import Pupil

from ..models import Call


def hash_token(token: str) -> str:
    """Join links and calendar feeds keep only this hash, so a leaked table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def lock_pupils(pupil_ids) -> None:
    """Serialise join details and consent withdrawal for the same pupils (CON-3), in pk order.
    Lock order everywhere: the call first (locked_call), then its pupils."""
    list(Pupil.objects.select_for_update().filter(pk__in=list(pupil_ids)).order_by("pk").values_list("pk", flat=True))


def locked_call(call) -> Call:
    """The call's row, locked until the end of the transaction (two people may act at once)."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to second_staff.
    return Call.objects.select_for_update(of=("self",)).select_related("host", "second_staff", "booked_by").get(pk=call.pk)


def consenting_families(call) -> dict:
    """{guardian: [pupils]} for the call's invitees who may take part now (CON-1, COM-4)."""
    pupils = {p.pk: p for p in Pupil.objects.filter(call_invitations__call=call, call_invitations__removed_at__isnull=True)}
    consenting = consenting_pupil_ids(list(pupils))
    pupils = {pk: p for pk, p in pupils.items() if pk in consenting}

    found: dict = {}
    for pupil_id, guardians in family_recipients_for_pupils(list(pupils)).items():
        for guardian in guardians:
            found.setdefault(guardian, []).append(pupils[pupil_id])
    return found


def revoke_join_links(links, *, now, reason) -> list:
    """Revoke join links one by one (each change is audited); returns their guardians."""
    revoked = []
    for link in links.select_related("guardian"):
        link.revoked_at = now
        link.revoked_reason = reason
        link.save(update_fields=["revoked_at", "revoked_reason"])
        revoked.append(link.guardian)
    return revoked
