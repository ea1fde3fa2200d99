"""Oversight pages: the audit viewer and the retention report.

The compliance overview is in oversight.overview_views; a family's data in oversight.family_views.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import role_required
from governance.models import RetentionRun
from toolkit.pagination import page_of

from . import audit, permissions
from .forms import AuditSearchForm

# --- The audit viewer (GOV-3) --------------------------------------------------------------


@role_required(*permissions.AUDIT_ROLES)
def audit_search(request):
    """GOV-3: search the audit history by person, record and date; safeguarding history only
    for the DSL team."""
    form = AuditSearchForm(request.GET or None, record_types=audit.record_types_for(request.user))
    page = None
    if form.is_valid():
        entries = audit.search_audit(request.user, **form.cleaned_data)
        page = page_of(request, entries, audit.PAGE_SIZE)
    elif not request.GET:
        page = Paginator(audit.search_audit(request.user), audit.PAGE_SIZE).get_page(1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "governance/audit.html", {"form": form, "page": page, "query": query.urlencode()})


# --- Retention (GOV-4) ---------------------------------------------------------------------


@role_required(*permissions.RETENTION_ROLES)
def retention_runs(request):
    from .retention import schedule_rows

    page = page_of(request, RetentionRun.objects.all(), 20)
    return render(request, "governance/retention.html", {"page": page, "schedule": schedule_rows()})
