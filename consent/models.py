from django.conf import settings
from django.db import models
from django.db.models import Q

from toolkit.append_only import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet  # noqa: F401 - callers catch it from here

from .choices import Audience, Decision, Method, Scope


class AcceptableUseQuerySet(models.QuerySet):
    def current(self, audience: str):
        """The version in force for one audience: the highest version number."""
        return self.filter(audience=audience).order_by("-version").first()

    def current_by_audience(self) -> dict:
        """{audience: current document} in one query."""
        found = {}
        for document in self.order_by("audience", "-version"):
            found.setdefault(document.audience, document)
        return found


class AcceptableUseDocument(models.Model):
    """One version of the acceptable-use guidance for parents, pupils or staff (CON-7, COM-3).

    A new version is a new row; a published version's text is never edited, so every
    acknowledgement and consent decision points at exactly the words that person saw.
    """

    audience = models.CharField(max_length=10, choices=Audience.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True, default="")
    # [{"heading": "...", "items": ["...", ...]}, ...]: lists render as lists in pages and email.
    sections = models.JSONField(default=list)
    published_at = models.DateTimeField()

    objects = AcceptableUseQuerySet.as_manager()

    class Meta:
        ordering = ["audience", "-version"]
        constraints = [models.UniqueConstraint(fields=["audience", "version"], name="one_version_number_per_audience")]

    def __str__(self):
        return f"{self.title}, version {self.version}"


class ConsentDecision(AppendOnlyModel):
    """One decision by one guardian about one pupil and scope. Append-only (CON-5):
    the current state is the latest decision by any guardian with parental responsibility."""

    append_only_rule = "CON-5"

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
    # The acceptable-use and etiquette guidance for parents in force when the decision was made.
    guidance_version = models.ForeignKey(AcceptableUseDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "scope", "-decided_at"])]

    def __str__(self):
        return f"{self.get_scope_display()} {self.get_decision_display().lower()} for {self.pupil_id}"

    @property
    def entered_by_staff(self) -> bool:
        return self.method != Method.ONLINE


class CurrentConsent(models.Model):
    """The decision in force for one pupil and scope (CON-5), derived from ConsentDecision so
    every reader (the call gate, dashboards, class and family pages) reads one row per pupil
    instead of searching each pupil's history. No row: nobody with parental responsibility
    has ever answered.

    Written only by consent.services.refresh_current_consent, in the transaction that changes
    what it derives from: a decision recorded, a guardian's parental responsibility changed,
    decisions removed by the retention sweep. selectors.decisions_in_force is the definition.
    """

    pupil = models.ForeignKey("school.Pupil", on_delete=models.CASCADE, related_name="current_consents")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_at = models.DateTimeField()
    # The decision in force itself (who decided, who entered it, the versions shown).
    consent_decision = models.ForeignKey(ConsentDecision, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pupil", "scope"], name="one_current_consent_per_pupil_scope")]

    def __str__(self):
        return f"{self.get_scope_display()} {self.get_decision_display().lower()} for {self.pupil_id}"


class AcceptableUseAcknowledgement(AppendOnlyModel):
    """Someone acknowledged one version of the guidance, for themselves or (a guardian) on
    behalf of a child (CON-7). Append-only: a new version needs a new acknowledgement."""

    append_only_rule = "CON-7"

    document = models.ForeignKey(AcceptableUseDocument, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acceptable_use_acknowledgements")
    pupil = models.ForeignKey(
        "school.Pupil", on_delete=models.PROTECT, null=True, blank=True, related_name="acceptable_use_acknowledgements"
    )
    acknowledged_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "user", "pupil"], condition=Q(pupil__isnull=False), name="one_ack_per_document_user_pupil"
            ),
            models.UniqueConstraint(
                fields=["document", "user"], condition=Q(pupil__isnull=True), name="one_ack_per_document_user"
            ),
        ]

    def __str__(self):
        return f"{self.user} acknowledged {self.document}"


class ConsentRequest(models.Model):
    """The office asked every guardian of a class (or of the whole school) for their decision."""

    school_class = models.ForeignKey("school.SchoolClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"Consent request to {self.school_class or 'the whole school'} on {self.sent_at:%d/%m/%Y}"


class ConsentReminder(models.Model):
    """A reminder sent to a guardian who has never answered; the weekly limit reads these."""

    guardian = models.ForeignKey("school.Guardian", on_delete=models.CASCADE, related_name="consent_reminders")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["guardian", "-sent_at"])]

    def __str__(self):
        return f"Reminder to {self.guardian} on {self.sent_at:%d/%m/%Y}"


class FamilyQuestion(models.Model):
    """A guardian's question, thought or concern about video calls (COM-7)."""

    guardian = models.ForeignKey("school.Guardian", on_delete=models.PROTECT, related_name="video_call_questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=150)
    text = models.TextField()
    asked_at = models.DateTimeField()

    class Meta:
        ordering = ["-asked_at", "-pk"]

    def __str__(self):
        return self.subject


class FamilyQuestionReply(models.Model):
    question = models.ForeignKey(FamilyQuestion, on_delete=models.PROTECT, related_name="replies")
    text = models.TextField()
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField()

    class Meta:
        ordering = ["replied_at", "pk"]

    def __str__(self):
        return f"Reply to {self.question}"
