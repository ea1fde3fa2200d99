"""Who may receive family email (COM-4). Every app asks here before writing to a family."""

from school.models import Guardian, Guardianship


def family_recipients(pupil) -> list[Guardian]:
    """Guardians of `pupil` entitled to its join details and notices: parental responsibility
    and an email address. Never the pupil's own address (COM-4)."""
    return list(
        Guardian.objects.filter(guardianships__pupil=pupil, guardianships__parental_responsibility=True)
        .exclude(email="")
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def family_recipients_for_pupils(pupil_ids) -> dict[int, list[Guardian]]:
    """The same for many pupils in one query: {pupil_id: [guardian, ...]}."""
    found: dict[int, list[Guardian]] = {pk: [] for pk in pupil_ids}
    links = (
        Guardianship.objects.filter(pupil_id__in=list(found), parental_responsibility=True)
        .exclude(guardian__email="")
        .select_related("guardian__user")
        .order_by("guardian_id")
    )
    for link in links:
        found[link.pupil_id].append(link.guardian)
    return found
