from django.conf import settings
from django.db import models


class PolicyVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def drafts(self):
        return self.filter(published_at__isnull=True)

    def current(self):
        """The version in force: the latest published one."""
        return self.published().order_by("-published_at").first()


class PolicyVersion(models.Model):
    """One version of the Video Conferencing Policy, as agreed by governors (GOV-1, COM-6).

    A version with no `published_at` is a draft the head is still working on; once published
    it is the public record and is not edited again.
    """

    version = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=200, default="Video Conferencing Policy")
    # Plain text with simple formatting: blank lines between paragraphs, "- " for bullets.
    text = models.TextField()
    created_on = models.DateField(null=True, blank=True)
    agreed_on = models.DateField("agreed by governors on", null=True, blank=True)
    shared_with_staff_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField()
    published_at = models.DateTimeField(null=True, blank=True)
    # CON-7 with GOV-1: guardians and staff acknowledge the guidance again after this version.
    guidance_changed = models.BooleanField(
        "the acceptable-use guidance changed", default=False, help_text="Guardians and staff are asked to acknowledge again."
    )
    changes_summary = models.TextField("what changed", blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_on"]

    def __str__(self):
        return f"{self.title}, version {self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class RetentionRun(models.Model):
    """What one retention sweep removed or anonymised (GOV-4): the school's evidence that
    records past their period go on schedule."""

    ran_at = models.DateTimeField()
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # [{"record_type": ..., "label": ..., "action": "deleted" | "anonymised" | "skipped", "count": n, "note": ...}]
    report = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"Retention run at {self.ran_at:%Y-%m-%d %H:%M}: {self.total} records"
