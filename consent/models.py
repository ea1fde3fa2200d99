from django.conf import settings
from django.db import models

from .choices import Decision, Method, Scope


class ConsentDecision(models.Model):
    """One decision by one guardian about one pupil and scope. Append-only (CON-5):
    the current state is the latest decision by any guardian with parental responsibility."""

    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="consent_decisions")
    guardian = models.ForeignKey("school.Guardian", on_delete=models.PROTECT, related_name="consent_decisions")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.ONLINE)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    policy_version = models.ForeignKey(
        "governance.PolicyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "scope", "-decided_at"])]

    def __str__(self):
        return f"{self.get_scope_display()} {self.get_decision_display().lower()} for {self.pupil_id}"
