"""Directory pages. Office pages are for the head and office (403 for anyone else); a parent's
pages load children through school.permissions, so another family's child is a 404."""

from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy as account_policy
from accounts import services as account_services
from accounts.choices import Role
from accounts.models import StaffRole, User
from accounts.permissions import is_directory_keeper, is_staff_member, staff_required
from accounts.reauth import recent_authentication_required, recently_authenticated
from toolkit.csv import csv_response
from toolkit.pagination import page_of
from toolkit.registry import child_sections_for

from . import imports, services, sync
from .forms import (
    ClosureForm,
    DirectorySearchForm,
    GuardianAccountForm,
    HoursForm,
    ImportForm,
    RoleForm,
    SchoolSettingsForm,
    StaffAccountForm,
    TermForm,
)
from .models import Closure, Guardian, Guardianship, Pupil, SchoolClass, SchoolDay, SchoolSettings, TermDate
from .permissions import (
    children_of,
    classes_visible_to,
    get_child_for_guardian,
    get_class_for,
    get_closure_for,
    get_pupil_for,
    get_term_for,
    keeper_required,
)

PAGE_SIZE = 25
IMPORT_SESSION_KEY = "school_import"


def _page(request, queryset):
    return page_of(request, queryset, PAGE_SIZE)


def _name_search(queryset, q, *extra_fields):
    """Every word typed must match a first name, last name (or an extra field)."""
    for word in q.split():
        condition = Q(first_name__icontains=word) | Q(last_name__icontains=word)
        for name in extra_fields:
            condition |= Q(**{f"{name}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


# --- Directory (head and office) -------------------------------------------------------


def _pupils_matching(request):
    form = DirectorySearchForm(request.GET)
    q, class_id = form.search()
    pupils = _name_search(Pupil.objects.on_roll().select_related("school_class"), q, "mis_id")
    if class_id is not None:
        pupils = pupils.filter(school_class_id=class_id)
    return pupils, q, ("" if class_id is None else str(class_id)), form


@keeper_required
def pupils(request):
    found, q, class_id, form = _pupils_matching(request)
    context = {"page": _page(request, found), "q": q, "class_id": class_id, "classes": SchoolClass.objects.all()}
    return render(request, "school/pupils.html", context | {"search_form": form})


@keeper_required
@recent_authentication_required  # exports carry children's data: a recent sign-in first
def pupils_csv(request):
    """The pupils on the current search, as a CSV the MIS or a spreadsheet can open."""
    found, *_ = _pupils_matching(request)
    rows = (
        [p.mis_id, p.first_name, p.last_name, p.date_of_birth.strftime("%d/%m/%Y"), p.school_class or "", p.personal_email]
        for p in found
    )
    header = ["mis_id", "first_name", "last_name", "date_of_birth", "class", "personal_email"]
    return csv_response("pupils.csv", header, rows)


@keeper_required
def guardians(request):
    form = DirectorySearchForm(request.GET)
    q, _ = form.search()
    found = _name_search(Guardian.objects.select_related("user"), q, "email").prefetch_related(
        Prefetch("guardianships", queryset=Guardianship.objects.select_related("pupil"))
    )
    return render(request, "school/guardians.html", {"page": _page(request, found), "q": q, "search_form": form})


def _staff_queryset():
    return User.objects.filter(staff_roles__isnull=False).distinct().prefetch_related("staff_roles")


@keeper_required
def staff(request):
    form = DirectorySearchForm(request.GET)
    q, _ = form.search()
    found = _name_search(_staff_queryset(), q, "email")
    return render(request, "school/staff.html", {"page": _page(request, found), "q": q, "search_form": form})


@staff_required
def classes(request):
    on_roll = Q(pupils__left_on__isnull=True)
    found = classes_visible_to(request.user).annotate(pupil_count=Count("pupils", filter=on_roll)).prefetch_related("teachers")
    return render(request, "school/classes.html", {"classes": found, "is_keeper": is_directory_keeper(request.user)})


@staff_required
def class_detail(request, class_id):
    school_class = get_class_for(request.user, class_id)
    return render(
        request,
        "school/class_detail.html",
        {"school_class": school_class, "pupils": school_class.pupils.on_roll(), "teachers": school_class.teachers.all()},
    )


@login_required
def pupil(request, pupil_id):
    """A pupil as staff see them: class, date of birth, MIS id and who to contact.

    Anyone else gets the same 404 as for a pupil who does not exist (parents use school:child)."""
    if not is_staff_member(request.user):
        raise Http404
    found = get_pupil_for(request.user, pupil_id)
    links = found.guardianships.select_related("guardian").order_by("-parental_responsibility", "guardian__last_name")
    sections = child_sections_for(request, found, timezone.now(), audience="staff")
    context = {"pupil": found, "links": links, "sections": sections, "is_keeper": is_directory_keeper(request.user)}
    return render(request, "school/pupil.html", context)


# --- Accounts and roles (head and office) ----------------------------------------------


@keeper_required
def staff_create(request):
    form = StaffAccountForm(request.POST or None, offered_by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.create_staff_account(
                created_by=request.user,
                now=timezone.now(),
                recently_signed_in=recently_authenticated(request),
                **form.cleaned_data,
            )
        except account_services.FreshSignInNeeded:
            raise ReauthenticationRequired from None  # allauth asks for the password, then replays this POST
        except account_services.AccountError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, f"Account created for {user}. An invitation to choose a password has been emailed to {user.email}."
            )
            return redirect("school:staff")
    return render(request, "school/account_form.html", {"form": form, "title": "Add a member of staff"})


@keeper_required
def guardian_create(request):
    form = GuardianAccountForm(request.POST or None, initial={"pupil": request.GET.get("pupil")})
    if request.method == "POST" and form.is_valid():
        try:
            guardian = services.create_guardian_account(created_by=request.user, now=timezone.now(), **form.cleaned_data)
        except services.DirectoryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"Account created for {guardian}. An invitation to choose a password has been emailed to {guardian.email}.",
            )
            return redirect("school:guardians")
    return render(request, "school/account_form.html", {"form": form, "title": "Add a parent or carer"})


@require_POST
@keeper_required
def invite(request, user_id):
    """Send a fresh invitation to a member of staff or a parent who has not chosen a password."""
    person = get_object_or_404(
        User.objects.filter(Q(staff_roles__isnull=False) | Q(guardian__isnull=False)).distinct(), pk=user_id
    )
    try:
        account_services.resend_invitation(user=person, invited_by=request.user, now=timezone.now())
    except account_services.AccountError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"A new invitation has been emailed to {person.email}.")
    return redirect("school:guardians" if request.POST.get("back") == "guardians" else "school:staff")


def _may_remove(request, held) -> bool:
    """Whether the Remove button is shown (the service decides again when it is pressed)."""
    refusal = account_policy.role_change_refusal(
        changed_by_id=request.user.pk,
        changed_by_roles=request.user.roles,
        person_id=held.user_id,
        role=held.role,
        recently_signed_in=True,
    )
    return refusal is None


@keeper_required
def roles(request):
    """GOV-2, SG-3: give a role. Only the head gives leadership and DSL roles (the office is not
    offered them), nobody gives themselves one, and a DSL-team change asks for the password again."""
    form = RoleForm(request.POST or None, offered_by=request.user)
    if request.method == "POST" and form.is_valid():
        person, role = form.cleaned_data["person"], form.cleaned_data["role"]
        try:
            account_services.assign_role(
                user=person,
                role=role,
                assigned_by=request.user,
                now=timezone.now(),
                recently_signed_in=recently_authenticated(request),
            )
        except account_services.FreshSignInNeeded:
            raise ReauthenticationRequired from None  # allauth asks for the password, then replays this POST
        except account_services.AccountError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{person} now holds the role {Role(role).label}.")
            return redirect("school:roles")
    holders = StaffRole.objects.select_related("user").order_by("role", "user__last_name")
    by_role = [(role, [(h, _may_remove(request, h)) for h in holders if h.role == role.value]) for role in Role]
    return render(request, "school/roles.html", {"form": form, "by_role": by_role})


@require_POST
@keeper_required
def role_remove(request, role_id):
    held = get_object_or_404(StaffRole.objects.select_related("user"), pk=role_id)
    try:
        account_services.remove_role(
            user=held.user,
            role=held.role,
            removed_by=request.user,
            now=timezone.now(),
            recently_signed_in=recently_authenticated(request),
        )
    except account_services.FreshSignInNeeded:
        raise ReauthenticationRequired from None
    except account_services.AccountError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{held.user} no longer holds the role {held.get_role_display()}.")
    return redirect("school:roles")


# --- CSV import (head and office) ------------------------------------------------------


@keeper_required
def import_upload(request):
    """Step 1: choose the file. It is kept in the session (never on disk) until confirmed."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            text = imports.decode_upload(form.cleaned_data["file"].read())
            dataset = imports.read_dataset(form.cleaned_data["kind"], text)
        except imports.UnreadableFile as e:
            form.add_error("file", str(e))
        else:
            # The headings decide what the file holds: a contacts file chosen as pupils is still contacts.
            kind = dataset.kind
            if kind != form.cleaned_data["kind"]:
                label = imports.KIND_LABELS[kind]
                messages.info(request, f"The headings show this file holds {label}, so it is read as {label}.")
            request.session[IMPORT_SESSION_KEY] = {"kind": kind, "text": text, "digest": imports.digest(text)}
            return redirect("school:import_preview")
    return render(request, "school/import_upload.html", {"form": form})


@keeper_required
def import_template(request, kind):
    """An empty file in the portal's own layout, for a school whose MIS export cannot be used as it is."""
    if kind not in imports.RESOURCES:
        raise Http404
    resource = imports.RESOURCES[kind]
    return csv_response(f"{kind}-template.csv", list(resource.COLUMNS + resource.OPTIONAL), [])


def _stored_import(request):
    return request.session.get(IMPORT_SESSION_KEY)


@keeper_required
def import_preview(request):
    """Step 2: what the import would do, row by row, with every problem. Writes nothing."""
    stored = _stored_import(request)
    if stored is None:
        messages.info(request, "Choose a file to import first.")
        return redirect("school:import")
    report = services.preview_import(kind=stored["kind"], text=stored["text"], imported_by=request.user, now=timezone.now())
    return _render_preview(request, report, stored)


def _render_preview(request, report, stored):
    """The preview, its title starting "Error: " when any row (or the file) has a problem, as a form's would."""
    has_errors = bool(report.error_rows or report.problems)
    context = {"report": report, "digest": stored["digest"], "kind": stored["kind"], "page_has_errors": has_errors}
    return render(request, "school/import_preview.html", context)


@require_POST
@keeper_required
def import_confirm(request):
    """Step 3: import the previewed file. A file with any bad row writes nothing."""
    stored = _stored_import(request)
    if stored is None or request.POST.get("digest") != stored["digest"]:
        messages.error(request, "That preview is out of date. Please upload the file again.")
        return redirect("school:import")
    try:
        report = services.confirm_import(
            kind=stored["kind"],
            text=stored["text"],
            imported_by=request.user,
            now=timezone.now(),
            good_rows_only=request.POST.get("rows") == "good",
        )
    except services.ImportRefused as refused:
        messages.error(request, str(refused))
        return _render_preview(request, refused.report, stored)
    del request.session[IMPORT_SESSION_KEY]
    return render(request, "school/import_done.html", {"report": report})


# --- School settings (head and office) -------------------------------------------------


def _settings_page(request, **forms):
    days = {d.weekday: (d.opens_at, d.closes_at) for d in SchoolDay.objects.all()}
    context = {
        "settings_form": SchoolSettingsForm(instance=SchoolSettings.load()),
        "hours_form": HoursForm(days=days, prefix="hours"),
        "term_form": TermForm(prefix="term"),
        "closure_form": ClosureForm(prefix="closure"),
        "terms": TermDate.objects.all(),
        "closures": Closure.objects.all(),
        **forms,
    }
    return render(request, "school/settings.html", context)


@keeper_required
def school_settings(request):
    if request.method != "POST":
        return _settings_page(request)
    # load() may come from the cache; edit the stored row.
    form = SchoolSettingsForm(request.POST, request.FILES, instance=SchoolSettings.objects.get_or_create(pk=1)[0])
    if not form.is_valid():
        return _settings_page(request, settings_form=form)
    services.update_school_settings(form=form, changed_by=request.user)
    messages.success(request, "School settings saved.")
    return redirect("school:settings")


@require_POST
@keeper_required
def school_hours(request):
    form = HoursForm(request.POST, prefix="hours")
    if not form.is_valid():
        return _settings_page(request, hours_form=form)
    services.set_school_hours(hours=form.hours(), changed_by=request.user)
    messages.success(request, "School hours saved.")
    return redirect("school:settings")


@require_POST
@keeper_required
def term_add(request):
    form = TermForm(request.POST, prefix="term")
    if not form.is_valid():
        return _settings_page(request, term_form=form)
    services.add_term(changed_by=request.user, **form.cleaned_data)
    messages.success(request, f"Term {form.cleaned_data['name']} added.")
    return redirect("school:settings")


@require_POST
@keeper_required
def term_remove(request, term_id):
    term = get_term_for(request.user, term_id)
    services.remove_term(term=term, changed_by=request.user)
    messages.success(request, f"Term {term.name} removed.")
    return redirect("school:settings")


@require_POST
@keeper_required
def closure_add(request):
    form = ClosureForm(request.POST, prefix="closure")
    if not form.is_valid():
        return _settings_page(request, closure_form=form)
    services.add_closure(changed_by=request.user, **form.cleaned_data)
    messages.success(request, f"Closure added: {form.cleaned_data['reason']}.")
    return redirect("school:settings")


@require_POST
@keeper_required
def closure_remove(request, closure_id):
    closure = get_closure_for(request.user, closure_id)
    services.remove_closure(closure=closure, changed_by=request.user)
    messages.success(request, f"Closure removed: {closure.reason}.")
    return redirect("school:settings")


# --- Families --------------------------------------------------------------------------


@login_required
def children(request):
    """A parent's own children (an empty list for anyone else)."""
    return render(request, "school/children.html", {"children": children_of(request.user).select_related("school_class")})


@login_required
def child(request, pupil_id):
    """One of the signed-in parent's children: class and guardians. Other apps add sections."""
    found = get_child_for_guardian(request.user, pupil_id)
    # Names and relationships only: separated parents do not see each other's contact details.
    links = found.guardianships.select_related("guardian").order_by("guardian__last_name", "guardian__first_name")
    sections = child_sections_for(request, found, timezone.now(), audience="family")
    return render(request, "school/child.html", {"child": found, "links": links, "sections": sections})


# --- Directory sync through Wonde (head and office) ------------------------------------

RECENT_RUNS = 10
CHANGES_SHOWN = 50


@keeper_required
def sync_status(request):
    """When the sync last ran, what it changed and what failed; "Sync now"; a held run to confirm."""
    from . import wonde
    from .models import SyncChange, SyncRun

    runs = list(SyncRun.objects.select_related("requested_by")[:RECENT_RUNS])
    latest = runs[0] if runs else None
    context = {
        "connected": wonde.is_connected(),
        "latest": latest,
        "last_success": sync.last_success(),
        "held": latest if latest and latest.status == SyncRun.Status.HELD else None,
        "runs": runs,
        # The first changes of the last run; its page lists them all (a first sync makes hundreds).
        "changes": latest.changes.select_related("pupil", "guardian")[:CHANGES_SHOWN] if latest else [],
        "change_count": latest.changes.count() if latest else 0,
        "to_review": SyncChange.objects.filter(needs_review=True, reviewed_at__isnull=True).count(),
        "stale": sync.is_stale(now=timezone.now()),
        "share": round(100 * django_settings.DIRECTORY_SYNC_MAX_REMOVAL_SHARE),
    }
    return render(request, "school/sync.html", context)


@require_POST
@keeper_required
def sync_now(request):
    from . import tasks, wonde

    if not wonde.is_connected():
        messages.error(request, "The school's Wonde account is not connected yet: see the directory guide.")
        return redirect("school:sync")
    tasks.sync_directory.delay(requested_by_id=request.user.pk)
    messages.success(request, "The sync has started. This page shows its result when it has finished.")
    return redirect("school:sync")


@require_POST
@keeper_required
def sync_confirm(request, run_id):
    """The office has checked a held run's leavers: run again, allowed to mark exactly those pupils as left."""
    from . import tasks
    from .models import SyncRun

    held = get_object_or_404(SyncRun, pk=run_id, status=SyncRun.Status.HELD)
    tasks.sync_directory.delay(requested_by_id=request.user.pk, confirmed_run_id=held.pk)
    messages.success(request, f"Confirmed: {len(held.held_removals)} pupils will be marked as left by the sync.")
    return redirect("school:sync")


@keeper_required
def sync_run_detail(request, run_id):
    from .models import SyncRun

    run = get_object_or_404(SyncRun, pk=run_id)
    changes = run.changes.select_related("pupil", "guardian", "reviewed_by")
    return render(request, "school/sync_run.html", {"run": run, "page": _page(request, changes)})


@keeper_required
def sync_review(request):
    """Changes the sync applied that touch safety, until the office has dealt with each."""
    from .models import SyncChange

    waiting = SyncChange.objects.filter(needs_review=True, reviewed_at__isnull=True).select_related("run", "pupil", "guardian")
    return render(request, "school/sync_review.html", {"page": _page(request, waiting.order_by("-run__started_at", "pk"))})


@require_POST
@keeper_required
def sync_reviewed(request, change_id):
    from .models import SyncChange

    change = get_object_or_404(SyncChange, pk=change_id, needs_review=True, reviewed_at__isnull=True)
    sync.mark_reviewed(change=change, by=request.user, now=timezone.now())
    messages.success(request, "Marked as dealt with.")
    return redirect("school:sync_review")
