"""Family pages (give, withdraw, guidance, questions) and staff pages (class view, records,
requests, question queue). Each view: load through permissions -> form -> one service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.models import PolicyVersion
from school.models import Guardianship, SchoolSettings
from school.permissions import children_of, guardian_of
from toolkit.dates import clock, day

from . import events, permissions, selectors, services
from .choices import Audience, Decision, Scope
from .forms import AcknowledgeForm, ConfirmDecisionForm, QuestionForm
from .models import AcceptableUseDocument, ConsentDecision

ACTIONS = {"give": Decision.GIVEN, "withdraw": Decision.WITHDRAWN}


def _guardian_or_404(user):
    guardian = guardian_of(user)
    if guardian is None:
        raise Http404("No family record for this account.")
    return guardian


@login_required
def family(request):
    """CON-2, COM-3, COM-8: each child's consent, one button per scope, the guidance and where to get help."""
    guardian = _guardian_or_404(request.user)
    # CON-5: whether this guardian may decide for each child, read with the children.
    may_decide = Exists(Guardianship.objects.filter(pupil=OuterRef("pk"), guardian=guardian, parental_responsibility=True))
    children = list(
        children_of(request.user).select_related("school_class").annotate(may_decide=may_decide).order_by("first_name")
    )
    decisions = selectors.latest_decisions_for([c.pk for c in children])
    responsible = {c.pk for c in children if c.may_decide}
    documents = selectors.current_documents()
    wanted = [d.pk for a, d in documents.items() if a in (Audience.PARENTS, Audience.PUPILS)]
    acknowledged = selectors.acknowledged_document_keys(request.user, wanted)
    cards = [_child_card(child, decisions, responsible, documents.get(Audience.PUPILS), acknowledged) for child in children]
    parents_document = documents.get(Audience.PARENTS)
    context = {
        "cards": cards,
        "parents_document": parents_document,
        "parents_acknowledged": parents_document is not None and (parents_document.pk, None) in acknowledged,
        "reporting_routes": SchoolSettings.load().reporting_routes,
    }
    return render(request, "consent/family.html", context)


def _child_card(child, decisions, responsible, pupils_document, acknowledged) -> dict:
    scopes = []
    for scope in Scope:
        decision = decisions.get((child.pk, scope.value))
        given = decision is not None and decision.decision == Decision.GIVEN
        scopes.append(
            {
                "scope": scope,
                "decision": decision,
                "given": given,
                "never_answered": decision is None,
                "action": "withdraw" if given else "give",
            }
        )
    return {
        "child": child,
        "scopes": scopes,
        "may_decide": child.pk in responsible,
        "pupils_document": pupils_document,
        "acknowledged": pupils_document is not None and (pupils_document.pk, child.pk) in acknowledged,
    }


def _change_context(child, scope, action, form):
    # Issue 19: before the second click, the calls this withdrawal would change (from the calls app).
    affected = _withdrawal_preview(child, scope) if action == "withdraw" else []
    return {
        "child": child,
        "scope": Scope(scope),
        "action": action,
        "form": form,
        "explanation": f"consent/explain/{scope}-{action}.html",
        "affected": affected,
    }


@login_required
def change(request, pupil_id, scope, action):
    """CON-2: the confirmation page (GET) and the decision itself (POST): the second click."""
    child = permissions.get_child(request.user, pupil_id)
    guardian = _guardian_or_404(request.user)
    if scope not in Scope.values or action not in ACTIONS:
        raise Http404("No such choice.")
    if request.method != "POST":
        initial = {
            "policy_version": _pk(PolicyVersion.objects.current()),
            "guidance_version": _pk(AcceptableUseDocument.objects.current(Audience.PARENTS)),
        }
        return render(request, "consent/change.html", _change_context(child, scope, action, ConfirmDecisionForm(initial=initial)))
    form = ConfirmDecisionForm(request.POST)
    if form.is_valid():
        try:
            _decide(request, form, child=child, guardian=guardian, scope=scope, action=action)
        except services.ConsentError as error:
            form.add_error(None, str(error))
        else:
            # Issue 19: after consent is given again, offer to undo what the withdrawal did. The
            # decision is already committed: if the database goes away now, the family still gets
            # the answer that it was saved, not an error for a change that happened.
            try:
                offer = _regiven_offer(child, scope) if action == "give" else None
            except DatabaseError:
                offer = None
            return redirect(offer or "consent:family")
    return render(request, "consent/change.html", _change_context(child, scope, action, form))


def _pk(obj):
    return obj.pk if obj is not None else None


def _decide(request, form, *, child, guardian, scope, action):
    now = timezone.now()
    service = services.give_consent if action == "give" else services.withdraw_consent
    service(
        pupil=child,
        guardian=guardian,
        scope=scope,
        decided_by=request.user,
        now=now,
        policy_version=PolicyVersion.objects.filter(pk=form.cleaned_data["policy_version"]).first(),
        guidance_version=AcceptableUseDocument.objects.filter(pk=form.cleaned_data["guidance_version"]).first(),
    )
    verb = "given" if action == "give" else "withdrawn"
    messages.success(request, f"{Scope(scope).label}: consent {verb} for {child.first_name} on {day(now)} at {clock(now)}.")


@login_required
def guidance(request):
    """COM-3, CON-7: the acceptable-use and etiquette guidance, always available, with the
    acknowledgements this person still owes."""
    documents = selectors.current_documents()
    is_parent = guardian_of(request.user) is not None
    is_staff = request.user.is_school_staff
    shown = [d for a, d in documents.items() if (a == Audience.STAFF and is_staff) or (a != Audience.STAFF and is_parent)]
    if not shown:
        shown = [documents[Audience.PARENTS]] if Audience.PARENTS in documents else []
    acknowledged = selectors.acknowledged_document_keys(request.user, [d.pk for d in shown])
    children = list(children_of(request.user).order_by("first_name")) if is_parent else []
    entries = [_document_entry(d, acknowledged, children, is_parent, is_staff) for d in shown]
    return render(
        request, "consent/guidance.html", {"entries": entries, "reporting_routes": SchoolSettings.load().reporting_routes}
    )


def _document_entry(document, acknowledged, children, is_parent, is_staff) -> dict:
    if document.audience == Audience.PUPILS:
        targets = [{"pupil": c, "done": (document.pk, c.pk) in acknowledged} for c in children]
    elif (document.audience == Audience.PARENTS and is_parent) or (document.audience == Audience.STAFF and is_staff):
        targets = [{"pupil": None, "done": (document.pk, None) in acknowledged}]
    else:
        targets = []
    return {"document": document, "targets": targets}


@require_POST
@login_required
def acknowledge(request):
    """CON-7: acknowledge one document, for yourself or for one of your own children."""
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        raise Http404("No such document.")
    document = AcceptableUseDocument.objects.filter(pk=form.cleaned_data["document"]).first()
    pupil_id = form.cleaned_data["pupil"]
    # A child that is not the signed-in parent's own answers 404, like any other guess.
    pupil = permissions.get_child(request.user, pupil_id) if pupil_id else None
    if document is None:
        raise Http404("No such document.")
    try:
        services.acknowledge_acceptable_use(user=request.user, document=document, pupil=pupil, now=timezone.now())
    except services.ConsentError as error:
        messages.error(request, str(error))
    else:
        whom = f" on behalf of {pupil.first_name}" if pupil else ""
        messages.success(request, f"Thank you: you have acknowledged {document.title}{whom}.")
    return redirect("consent:guidance")


@login_required
def questions(request):
    """COM-7: a guardian's own questions and replies, and the form to ask a new one."""
    guardian = _guardian_or_404(request.user)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.ask_question(guardian=guardian, asked_by=request.user, now=timezone.now(), **form.cleaned_data)
        except services.ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you. Your message has gone to the school office and the headteacher.")
            return redirect("consent:question", question_id=question.pk)
    asked = permissions.own_questions(request.user).prefetch_related("replies")
    return render(request, "consent/questions.html", {"form": form, "questions": asked})


@login_required
def question(request, question_id):
    """COM-7: one of the guardian's own questions and the school's replies."""
    found = permissions.get_own_question(request.user, question_id)
    replies = found.replies.select_related("replied_by")
    return render(request, "consent/question.html", {"question": found, "replies": replies})


def _withdrawal_preview(child, scope) -> list[str]:
    """What the apps above say withdrawing would change, as sentences (consent.events)."""
    answers = events.withdrawal_previewed.send(sender=ConsentDecision, pupil=child, scope=scope, now=timezone.now())
    return [line for _, lines in answers for line in (lines or [])]


def _regiven_offer(child, scope) -> str | None:
    """The first page an app above offers after consent is given again, or None (consent.events)."""
    answers = events.consent_regiven.send(sender=ConsentDecision, pupil=child, scope=scope, now=timezone.now())
    return next((url for _, url in answers if url), None)
