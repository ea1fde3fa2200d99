"""What the consent app does when an app below it announces a change (connected in apps.py)."""

from . import services


def ask_again_for_changed_guidance(sender, *, version, by, now, **kwargs):
    """governance.events.policy_version_published (CON-7, GOV-1): a version whose guidance changed
    asks everyone to acknowledge the acceptable-use guidance again."""
    if version.guidance_changed:
        services.reissue_acceptable_use(reason=f"Updated with version {version.version} of the policy.", now=now)


def refresh_after_guardianship_change(sender, *, pupil_ids, **kwargs):
    """school.events.guardianships_changed (CON-5): whose decisions count may have changed."""
    services.refresh_current_consent(pupil_ids)
