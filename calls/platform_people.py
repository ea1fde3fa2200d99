"""Who a hosted platform (Teams, Meet, Zoom) needs to know about for a call, in plain values:
the staff who must be present (CALL-3) and, where the platform takes registrants (Zoom), one
registrant per invited child under a join-email recipient's address (see platforms.registrants).
"""

from consent.selectors import consenting_pupil_ids
from notifications.recipients import family_recipients_for_pupils


def staff_for(call) -> list[dict]:
    """CALL-3: the host and the second member of staff, as the platform may recognise them."""
    return [
        {"person": f"staff-{member.pk}", "email": member.email, "name": member.get_full_name()}
        for member in (call.host, call.second_staff)
        if member is not None
    ]


def registrants_for(call) -> list[dict]:
    """One registrant per child still invited with consent in force (CON-1), named as the school
    names them (CALL-6), under the address of one of the child's join-email recipients (COM-4).

    Zoom knows a registrant by email within a meeting, so each child takes the first recipient
    address not already taken in this call; siblings with a single recipient between them share it
    (and so one registrant: Zoom hands back the first child's)."""
    invited = list(call.invitations.filter(removed_at__isnull=True).select_related("pupil").order_by("pupil_id"))
    consenting = consenting_pupil_ids([i.pupil_id for i in invited])
    pupils = [i.pupil for i in invited if i.pupil_id in consenting]
    recipients = family_recipients_for_pupils([p.pk for p in pupils])
    taken: set[str] = set()
    wanted = []
    for pupil in pupils:
        addresses = [g.email.strip().lower() for g in recipients.get(pupil.pk, []) if g.email]
        if not addresses:
            continue  # nobody can be sent the join details, so nobody can use a registrant
        email = next((a for a in addresses if a not in taken), addresses[0])
        taken.add(email)
        wanted.append(
            {"person": f"pupil-{pupil.pk}", "email": email, "first_name": pupil.first_name, "last_name": pupil.last_name}
        )
    return wanted
