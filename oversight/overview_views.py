"""The compliance overview for the head and deputy: charts, tables, CSV and the lists behind red numbers."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import role_required
from accounts.reauth import recent_authentication_required
from governance.policy import csv_safe
from toolkit import summaries
from toolkit.pagination import page_of, requested_page

from . import overview, overview_lists
from .forms import TermChoiceForm
from .permissions import OVERVIEW_ROLES


def _term(request):
    term, terms = overview.term_for(request.GET.get("term"), timezone.localdate())
    if term is None:
        raise Http404("No term dates are set up yet.")
    return term, terms


@role_required(*OVERVIEW_ROLES)
def overview_page(request):
    """The term at a glance: each section's totals, red numbers linked to their lists, and a link
    to each section's week-by-week (or class-by-class) chart and table."""
    term, terms = _term(request)
    return summaries.render(request, "governance/overview.html", lambda: _overview_context(request, term, terms), name="overview")


def _overview_context(request, term, terms) -> dict:
    form = TermChoiceForm(initial={"term": str(term.pk)}, terms=terms)
    # The directory every number stands on: a sync from the MIS that has not succeeded for a day.
    from school import sync

    context = {
        "term": term,
        "summaries": overview.build_summary(term, timezone.now()),
        "form": form,
        "sync_stale": sync.is_stale(now=timezone.now()),
    }
    if context["sync_stale"]:
        from accounts.permissions import is_directory_keeper

        context["sync_last_success"] = sync.last_success()
        context["sync_link"] = is_directory_keeper(request.user)  # the deputy sees the warning, not the office page
    return context


@role_required(*OVERVIEW_ROLES)
def overview_section(request, key):
    """One section: its chart and table, week by week for the term, or a page of classes."""
    if key not in overview.KINDS:
        raise Http404("No such section.")
    term, _ = _term(request)
    class_page = requested_page(request)
    section = overview.build_section(key, term, timezone.now(), class_page=class_page)
    return render(request, "governance/overview_section.html", {"term": term, "section": section, "page": section.page})


@role_required(*OVERVIEW_ROLES)
@recent_authentication_required  # exports carry children's data: a recent sign-in first
def overview_csv(request):
    """Every section's table, one after another; cells neutralised against spreadsheet formulas."""
    term, _ = _term(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="compliance-{term.starts_on:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    for row in overview_csv_rows(overview.build_overview(term, timezone.now())):
        writer.writerow([csv_safe(cell) for cell in row])
    return response


def overview_csv_rows(sections):
    for section in sections:
        yield [section.title]
        if not section.available:
            yield [section.note]
        else:
            yield ["", *[c.label for c in section.columns]]
            for row in section.rows:
                yield [row.label, *[row.values[c.key] for c in section.columns]]
            for reason, count in section.extra_rows:
                yield [section.extra_title, reason, count]
        yield []


@role_required(*OVERVIEW_ROLES)
def overview_list(request, metric):
    term, _ = _term(request)
    found = overview_lists.metric_list(metric, term, request.GET, timezone.now())
    if found is None:
        raise Http404("No such list.")
    title, headers, rows, row_of = found
    page = page_of(request, rows, 50)
    context = {
        "term": term,
        "title": title,
        "headers": headers,
        "page": page,
        "rows": [row_of(r) for r in page],
        "week": request.GET.get("week", ""),
        "class_id": request.GET.get("class", ""),
    }
    return render(request, "governance/overview_list.html", context)
