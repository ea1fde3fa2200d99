"""Staff pages: the class consent view and its CSV, decisions entered for parents (CON-4),
reminders and requests, the parents' question queue (COM-7) and acceptable-use gaps (CON-7)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import has_any_role, role_required
from accounts.reauth import recent_authentication_required
from school.models import Guardian, Pupil
from school.permissions import get_class_for
from toolkit import summaries
from toolkit.csv import csv_response

from . import permissions, selectors, services
from .choices import Audience, ConsentState, Decision
from .forms import ConsentRequestForm, ReplyForm, StaffDecisionForm
from .models import AcceptableUseAcknowledgement, ConsentDecision, FamilyQuestion, FamilyQuestionReply


@login_required
def classes(request):
    """The classes this person may open, with how many pupils lack video-call consent."""
    visible = list(permissions.consent_classes_for(request.user))
    if not visible:
        raise PermissionDenied
    states = selectors.video_state_counts(Pupil.objects.on_roll().filter(school_class__in=visible))
    counts = {c.pk: {state: 0 for state in ConsentState.values} for c in visible}
    for (class_id, state), n in states.items():
        counts[class_id][state] += n
    rows = [{"school_class": c, **counts[c.pk]} for c in visible]
    return render(request, "consent/staff/classes.html", {"rows": rows, "may_request": _may_request(request.user)})


def _may_request(user) -> bool:
    return has_any_role(user, permissions.REQUEST_SENDERS)


def _class_rows(school_class):
    documents = selectors.current_documents()
    pupils = Pupil.objects.on_roll().filter(school_class=school_class).order_by("last_name", "first_name")
    return selectors.class_consent_rows(pupils, documents.get(Audience.PUPILS))


@login_required
def class_view(request, class_id):
    """CON-1 shown to staff: each pupil's consent, recording and acceptable use. Constant queries."""
    school_class = get_class_for(request.user, class_id)

    def context():
        rows = _class_rows(school_class)
        return {
            "school_class": school_class,
            "rows": rows,
            "summary": {state: sum(1 for r in rows if r.video_calls == state) for state in ConsentState.values},
            "states": ConsentState,
            "may_record": permissions.may_record_for_class(request.user, school_class),
        }

    return summaries.render(request, "consent/staff/class.html", context, name="class consent")


CSV_HEADER = ["Pupil", "MIS id", "Video calls", "Decided at", "Recording", "Acceptable use acknowledged"]


@login_required
@recent_authentication_required  # exports carry children's data: a recent sign-in first
def class_csv(request, class_id):
    """The class view as CSV; toolkit.csv neutralises every cell so a spreadsheet never runs a name as a formula."""
    school_class = get_class_for(request.user, class_id)
    rows = (
        [
            row.pupil.full_name,
            row.pupil.mis_id,
            ConsentState(row.video_calls).label,
            timezone.localtime(row.video_calls_decided_at).strftime("%d/%m/%Y %H:%M") if row.video_calls_decided_at else "",
            ConsentState(row.recording).label,
            "Yes" if row.acknowledged else "No",
        ]
        for row in _class_rows(school_class)
    )
    return csv_response(f"consent-class-{school_class.pk}.csv", CSV_HEADER, rows)


@require_POST
@login_required
def class_remind(request, class_id):
    """Remind the guardians who never answered (at most once a week each)."""
    school_class = get_class_for(request.user, class_id)
    sent, held = services.send_reminders(school_class=school_class, sent_by=request.user, now=timezone.now())
    text = f"Reminders sent to {sent} parent{'s' if sent != 1 else ''} or carer{'s' if sent != 1 else ''}."
    if held:
        text += f" {held} already had one in the last week and were not sent another."
    messages.success(request, text)
    return redirect("consent:class", class_id=school_class.pk)


@require_POST
@login_required
def school_remind(request):
    """Issue 19: remind every family in the school that never answered (at most once a week each)."""
    if not permissions.may_remind_school(request.user):
        raise PermissionDenied
    sent, held = services.send_reminders_to_school(sent_by=request.user, now=timezone.now())
    text = f"Reminders sent to {sent} parent{'s' if sent != 1 else ''} or carer{'s' if sent != 1 else ''}."
    if held:
        text += f" {held} already had one in the last week and were not sent another."
    messages.success(request, text)
    return redirect("home")


@login_required
def record(request, pupil_id):
    """CON-4: enter a decision a parent gave by phone, on paper or via the blog; the pupil's history."""
    pupil = permissions.get_pupil_for_recording(request.user, pupil_id)
    form = StaffDecisionForm(request.POST or None, pupil=pupil)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = services.give_consent if data["decision"] == Decision.GIVEN else services.withdraw_consent
        try:
            service(
                pupil=pupil,
                guardian=data["guardian"],
                scope=data["scope"],
                method=data["method"],
                decided_by=request.user,
                now=timezone.now(),
            )
        except services.ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Decision recorded for {pupil.full_name}.")
            return redirect("consent:record", pupil_id=pupil.pk)
    history = ConsentDecision.objects.filter(pupil=pupil).select_related("guardian", "entered_by")
    return render(request, "consent/staff/record.html", {"pupil": pupil, "form": form, "history": history})


@role_required(*permissions.REQUEST_SENDERS)
def send_request(request):
    """Ask every guardian of a class, or of the whole school, for their decision."""
    form = ConsentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sent = services.send_consent_request(
            school_class=form.cleaned_data["school_class"], sent_by=request.user, now=timezone.now()
        )
        messages.success(request, f"Consent request sent to {sent.recipient_count} parents and carers.")
        return redirect("consent:classes")
    return render(request, "consent/staff/request.html", {"form": form})


@role_required(*permissions.QUESTION_QUEUE_ROLES)
def queue(request):
    """COM-7: parents' questions, unanswered first."""
    found = FamilyQuestion.objects.select_related("guardian").annotate(
        answered=Exists(FamilyQuestionReply.objects.filter(question=OuterRef("pk")))
    )
    waiting = [q for q in found if not q.answered]
    answered = [q for q in found if q.answered]
    return render(request, "consent/staff/queue.html", {"waiting": waiting, "answered": answered})


@role_required(*permissions.QUESTION_QUEUE_ROLES)
def queue_question(request, question_id):
    """COM-7: read one question and reply in the portal."""
    found = permissions.get_queue_question(request.user, question_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.reply_to_question(question=found, replied_by=request.user, text=form.cleaned_data["text"], now=timezone.now())
        messages.success(request, "Reply saved. The parent or carer has been emailed that a reply is waiting.")
        return redirect("consent:queue")
    replies = found.replies.select_related("replied_by")
    return render(request, "consent/staff/queue_question.html", {"question": found, "replies": replies, "form": form})


@role_required(*permissions.ACKNOWLEDGEMENT_OVERSEERS)
def outstanding_acknowledgements(request):
    """CON-7: staff and parents who have not acknowledged the current version of their guidance."""
    documents = selectors.current_documents()
    staff_document, parents_document = documents.get(Audience.STAFF), documents.get(Audience.PARENTS)
    staff = User.objects.filter(staff_roles__isnull=False, is_active=True).distinct()
    parents = Guardian.objects.filter(user__isnull=False).select_related("user")
    context = {
        "staff_document": staff_document,
        "parents_document": parents_document,
        "staff": _not_acknowledged(staff, staff_document, OuterRef("pk")),
        "parents": _not_acknowledged(parents, parents_document, OuterRef("user_id")),
    }
    return render(request, "consent/staff/acknowledgements.html", context)


def _not_acknowledged(queryset, document, user_ref):
    if document is None:
        return queryset.none()
    done = AcceptableUseAcknowledgement.objects.filter(document=document, user=user_ref, pupil__isnull=True)
    return queryset.annotate(done=Exists(done)).filter(done=False).order_by("last_name", "first_name")
