"""Page numbers for lists that grow every year, without counting every row on every request."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from toolkit.pagination import requested_page


class CappedPaginator(Paginator):
    """Counts at most LOOKAHEAD pages past the one asked for.

    "All calls, past included" runs to thousands of rows; an exact COUNT scans them all on each
    request (and grows with every year kept) while nobody needs more than the next few page numbers.
    When the count stops short the label reads "Page 1 of more than 5" and Next still works.
    """

    LOOKAHEAD = 5

    def __init__(self, object_list, per_page, wanted=1):
        super().__init__(object_list, per_page)
        self.limit = (max(wanted, 1) + self.LOOKAHEAD) * per_page + 1

    @cached_property
    def count(self) -> int:
        # values("pk"): the count reads ids only, never a row's annotations.
        return self.object_list.order_by().values("pk")[: self.limit].count()

    @property
    def capped(self) -> bool:
        return self.count >= self.limit

    @property
    def pages_known(self) -> int:
        """With `capped`: there are more pages than this."""
        return (self.limit - 1) // self.per_page

    @property
    def pages_label(self) -> str:
        """How many pages, as templates/includes/pagination.html says it: "7", or "more than 5"."""
        return f"more than {self.pages_known}" if self.capped else str(self.num_pages)


def page_of(request, queryset, per_page):
    """The page named by ?page= (1 if missing or not a number; the last counted page if beyond it).
    The number is bounded first (toolkit.pagination): the lookahead's LIMIT is computed from it."""
    wanted = requested_page(request)
    return CappedPaginator(queryset, per_page, wanted).get_page(wanted)
