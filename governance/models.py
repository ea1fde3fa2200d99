from django.db import models


class PolicyVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def current(self):
        """The version in force: the latest published one."""
        return self.published().order_by("-published_at").first()


class PolicyVersion(models.Model):
    """One version of the Video Conferencing Policy, as agreed by governors (GOV-1, COM-6)."""

    version = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=200, default="Video Conferencing Policy")
    text = models.TextField()
    created_on = models.DateField(null=True, blank=True)
    agreed_on = models.DateField("agreed by governors on", null=True, blank=True)
    shared_with_staff_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField()
    published_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_on"]

    def __str__(self):
        return f"{self.title}, version {self.version}"
