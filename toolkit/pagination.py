"""The page number a list is asked for (?page=), bounded (docs/trust-input.md).

Every list reads its page through `requested_page`: '²', '-1', '1e10' or a 20-digit number is not
a page anyone can reach by clicking Next, so it is page 1 (not a number) or the last page (past the
end, as Django's Paginator.get_page does), never an int() error or a LIMIT/OFFSET beyond bigint.
"""

import re

from django.core.paginator import Paginator

# No list in the portal reaches this many pages (25 per page: a quarter of a million rows), so a
# larger number is only ever typed; it is read as "the last page".
MAX_PAGE = 10_000
_PAGE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() accepts '١' but not '²', isdigit() both


def requested_page(request, name="page") -> int:
    """?page= as a number from 1 to MAX_PAGE (1 when missing or not a number)."""
    raw = (request.GET.get(name) or "").strip()
    if not _PAGE.fullmatch(raw):
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


def page_of(request, object_list, per_page, paginator=Paginator):
    """The page of `object_list` that ?page= asks for (the last one when it asks beyond the end)."""
    return paginator(object_list, per_page).get_page(requested_page(request))
