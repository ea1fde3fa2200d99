"""Reading the policy's versions. Other apps ask here (consent: which version a person
acknowledged, and whether they must acknowledge again)."""

from .models import PolicyVersion


def current_policy() -> PolicyVersion | None:
    """COM-6: the version in force (the latest published), or None before any is published."""
    return PolicyVersion.objects.current()


def published_versions():
    return PolicyVersion.objects.published().order_by("-published_at")


def guidance_version() -> PolicyVersion | None:
    """The published version whose guidance people must have acknowledged: the latest one
    that changed the guidance, or the first published version if none has."""
    versions = PolicyVersion.objects.published()
    return versions.filter(guidance_changed=True).order_by("-published_at").first() or versions.order_by("published_at").first()


def guidance_changed_since(version: PolicyVersion | None) -> bool:
    """CON-7 with GOV-1: True when a version published after `version` changed the guidance,
    so whoever acknowledged `version` is asked to acknowledge again. Never acknowledged
    (`version` is None or an unpublished draft) counts as changed."""
    if version is None or version.published_at is None:
        return True
    return PolicyVersion.objects.published().filter(guidance_changed=True, published_at__gt=version.published_at).exists()
