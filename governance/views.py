"""Governance pages: the public policy, the annual review, and leavers.

The audit viewer, retention, the compliance overview and a family's data are in the oversight app.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import role_required

from . import permissions, policy, services
from .formatting import render_policy_text
from .forms import LeaverForm, PolicyVersionForm
from .models import PolicyVersion
from .selectors import current_policy, published_versions

# --- The public policy (COM-6) -------------------------------------------------------------


def _policy_page(request, shown: PolicyVersion, current: PolicyVersion):
    context = {
        "policy": shown,
        "current": current,
        "is_current": shown.pk == current.pk,
        "policy_html": render_policy_text(shown.text),
        "versions": published_versions(),
        "review_overdue": policy.review_overdue(next_review_on=shown.next_review_on, today=timezone.localdate()),
    }
    return render(request, "governance/policy.html", context)


def policy_page(request):
    """COM-6: the policy, its version and its next review date, public to anyone."""
    current = current_policy()
    if current is None:
        raise Http404("No policy has been published yet.")
    return _policy_page(request, current, current)


def policy_version(request, version):
    """COM-6: an earlier published version stays readable; drafts are not public."""
    shown = get_object_or_404(PolicyVersion.objects.published(), version=version)
    return _policy_page(request, shown, current_policy())


# --- The annual review (GOV-1) -------------------------------------------------------------


@role_required(*permissions.POLICY_EDITOR_ROLES)
def versions_admin(request):
    """GOV-1: the head's view of the review: the version in force, drafts and history."""
    current = current_policy()
    today = timezone.localdate()
    context = {
        "current": current,
        "drafts": PolicyVersion.objects.drafts().order_by("-created_on", "-pk"),
        "versions": published_versions(),
        "overdue": current is not None and policy.review_overdue(next_review_on=current.next_review_on, today=today),
    }
    return render(request, "governance/versions_admin.html", context)


@role_required(*permissions.POLICY_EDITOR_ROLES)
def draft_version(request):
    """GOV-1: a new draft, starting from the text in force."""
    current = current_policy()
    initial = {"text": current.text, "title": current.title} if current else {}
    form = PolicyVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.draft_policy_version(
                by=request.user,
                today=timezone.localdate(),
                next_review_on=form.cleaned_data["next_review_on"],
                **form.version_fields(),
            )
        except services.GovernanceError as error:
            form.add_error("version", str(error))
        else:
            messages.success(request, f"Draft version {draft.version} saved. It is not public until you publish it.")
            return redirect("governance:version_detail", pk=draft.pk)
    return render(request, "governance/version_form.html", {"form": form, "draft": None})


@role_required(*permissions.POLICY_EDITOR_ROLES)
def edit_version(request, pk):
    draft = get_object_or_404(PolicyVersion.objects.drafts(), pk=pk)
    form = PolicyVersionForm(request.POST or None, instance=draft)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_policy_draft(
                draft=draft,
                by=request.user,
                today=timezone.localdate(),
                next_review_on=form.cleaned_data["next_review_on"],
                **form.version_fields(),
            )
        except services.GovernanceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Draft saved.")
            return redirect("governance:version_detail", pk=draft.pk)
    return render(request, "governance/version_form.html", {"form": form, "draft": draft})


@role_required(*permissions.POLICY_EDITOR_ROLES)
def version_detail(request, pk):
    """A draft (or published version) as it will read, with the publish button for drafts."""
    version = get_object_or_404(PolicyVersion, pk=pk)
    verdict = policy.may_publish(agreed_on=version.agreed_on, already_published=version.is_published, today=timezone.localdate())
    context = {"version": version, "policy_html": render_policy_text(version.text), "publish": verdict}
    return render(request, "governance/version_detail.html", context)


@require_POST
@role_required(*permissions.POLICY_EDITOR_ROLES)
def publish_version(request, pk):
    version = get_object_or_404(PolicyVersion, pk=pk)
    try:
        services.publish_policy_version(version=version, by=request.user, now=timezone.now())
    except services.GovernanceError as error:
        messages.error(request, str(error))
        return redirect("governance:version_detail", pk=version.pk)
    messages.success(request, f"Version {version.version} is published and now shown on the public policy page.")
    return redirect("governance:policy")


# --- Leavers -------------------------------------------------------------------------------


@role_required(*permissions.LEAVER_ROLES)
def mark_leaver(request):
    """The office marks a pupil as left: future calls go, and guardian accounts close when no
    child remains on roll."""
    form = LeaverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pupil = form.cleaned_data["pupil"]
        try:
            closed = services.mark_pupil_left(
                pupil=pupil, left_on=form.cleaned_data["left_on"], by=request.user, now=timezone.now()
            )
        except services.GovernanceError as error:
            form.add_error("left_on", str(error))
        else:
            note = f" {len(closed)} guardian account(s) closed: no child remains on roll." if closed else ""
            messages.success(request, f"{pupil.full_name} is marked as left; their future calls are cancelled.{note}")
            return redirect("governance:leavers")
    return render(request, "governance/leavers.html", {"form": form})
