"""Dashboard panels and navigation offered by the consent app. Each panel costs a fixed number
of queries whatever the size of the school."""

from django.urls import reverse

from accounts.choices import Role
from accounts.permissions import has_any_role, is_parent
from school.models import Pupil
from school.permissions import children_of, classes_visible_to
from toolkit import registry
from toolkit.registry import NavItem, Panel, Task

from . import permissions, selectors
from .choices import Audience, ConsentState, Scope
from .models import FamilyQuestion


def panels(request, now):
    user = request.user
    found = []
    if is_parent(user):
        found.append(_family_panel(user))
    if has_any_role(user, {Role.TEACHER}) and not has_any_role(user, permissions.COUNTS_ROLES):
        panel = _teacher_panel(user)
        if panel is not None:
            found.append(panel)
    if has_any_role(user, permissions.COUNTS_ROLES):
        found.append(_school_panel(user))
    return found


def _family_panel(user) -> Panel:
    children = list(children_of(user).order_by("first_name"))
    decisions = selectors.latest_decisions_for([c.pk for c in children])
    rows = [
        {
            "child": child,
            "video_calls": decisions.get((child.pk, Scope.VIDEO_CALLS)),
            "recording": decisions.get((child.pk, Scope.RECORDING)),
        }
        for child in children
    ]
    return Panel(
        title="Consent for video calls",
        template="consent/panels/family.html",
        context={"rows": rows, "family_url": reverse("consent:family"), "guidance_url": reverse("consent:guidance")},
        order=10,
        attention=any(r["video_calls"] is None for r in rows),
    )


def _teacher_panel(user) -> Panel | None:
    classes = list(classes_visible_to(user))
    if not classes:
        return None
    counts = selectors.video_state_counts(Pupil.objects.on_roll().filter(school_class__in=classes))
    lacking = {c.pk: 0 for c in classes}
    for (class_id, state), n in counts.items():
        if state != ConsentState.GIVEN:
            lacking[class_id] += n
    rows = [{"school_class": c, "lacking": lacking[c.pk], "url": reverse("consent:class", args=[c.pk])} for c in classes]
    return Panel(
        title="Consent in your classes",
        template="consent/panels/teacher.html",
        context={"rows": rows, "guidance_url": reverse("consent:guidance")},
        order=20,
        attention=any(r["lacking"] for r in rows),
    )


def _school_panel(user) -> Panel:
    counts = {state: 0 for state in ConsentState.values}
    for (_class_id, state), n in selectors.video_state_counts(Pupil.objects.on_roll()).items():
        counts[state] += n
    waiting = FamilyQuestion.objects.filter(replies__isnull=True).count()
    context = {
        "given": counts[ConsentState.GIVEN],
        "withdrawn": counts[ConsentState.WITHDRAWN],
        "never_answered": counts[ConsentState.NEVER_ANSWERED],
        "questions_waiting": waiting if has_any_role(user, permissions.QUESTION_QUEUE_ROLES) else None,
        "classes_url": reverse("consent:classes"),
        "queue_url": reverse("consent:queue"),
        "outstanding_url": reverse("consent:outstanding") if has_any_role(user, permissions.ACKNOWLEDGEMENT_OVERSEERS) else None,
        "guidance_url": reverse("consent:guidance"),
    }
    return Panel(title="Consent across the school", template="consent/panels/school.html", context=context, order=20)


def needs_you(request, now) -> list[Task]:
    """Issue 19: a parent's unanswered consent and guidance to acknowledge; for the head and
    office, the families that never answered, with a one-press reminder."""
    user = request.user
    found = []
    if is_parent(user):
        found += _family_tasks(user)
    if permissions.may_remind_school(user):
        never = sum(
            n
            for (_class_id, state), n in selectors.video_state_counts(Pupil.objects.on_roll()).items()
            if state == ConsentState.NEVER_ANSWERED
        )
        found.append(
            Task(
                "consent-never-answered",
                "Pupils whose families never answered about video calls",
                never,
                reverse("consent:classes"),
                order=40,
                hint="A reminder goes to each family at most once a week.",
                action=(reverse("consent:school_remind"), "Remind these families"),
            )
        )
    return found


def _family_tasks(user) -> list[Task]:
    responsible = list(
        Pupil.objects.filter(guardianships__guardian__user=user, guardianships__parental_responsibility=True).distinct()
    )
    decisions = selectors.latest_decisions_for([c.pk for c in responsible])
    unanswered = sum(1 for c in responsible if (c.pk, Scope.VIDEO_CALLS) not in decisions)
    children = list(children_of(user))
    documents = selectors.current_documents()
    wanted = {a: d for a, d in documents.items() if a in (Audience.PARENTS, Audience.PUPILS)}
    acknowledged = selectors.acknowledged_document_keys(user, [d.pk for d in wanted.values()])
    owed = 0
    if Audience.PARENTS in wanted and (wanted[Audience.PARENTS].pk, None) not in acknowledged:
        owed += 1
    if Audience.PUPILS in wanted:
        owed += sum(1 for c in children if (wanted[Audience.PUPILS].pk, c.pk) not in acknowledged)
    return [
        Task(
            "consent-unanswered",
            "Answer about video calls for your child",
            unanswered,
            reverse("consent:family"),
            order=10,
            hint="Nobody with parental responsibility has said yes or no yet.",
        ),
        Task("acceptable-use", "Read and acknowledge the acceptable use guidance", owed, reverse("consent:guidance"), order=30),
    ]


def nav_items(user):
    items = []
    if is_parent(user):
        items.append(NavItem("Consent", reverse("consent:family"), order=10))
        items.append(NavItem("Questions", reverse("consent:questions"), order=60))
    if has_any_role(user, {Role.TEACHER} | permissions.COUNTS_ROLES):
        items.append(NavItem("Class consent", reverse("consent:classes"), order=20, group=registry.PUPILS))
    if has_any_role(user, permissions.QUESTION_QUEUE_ROLES):
        items.append(NavItem("Parents' questions", reverse("consent:queue"), order=60, group=registry.PUPILS))
    return items
