"""Small helpers every page view uses: pagination, full-page-or-partial rendering, and the
day a table row shows."""

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import localtime
from django_htmx.http import HttpResponseClientRedirect

from core.http import HtmxHttpRequest


class LinkedPage(Page):
    """A page that knows the URLs of its neighbours (keeping the other query arguments)."""

    param = "page"
    prev_url: str | None = None
    next_url: str | None = None


class LinkedPaginator(Paginator):
    def _get_page(self, *args, **kwargs) -> LinkedPage:
        return LinkedPage(*args, **kwargs)


def paginate(
    request: HttpRequest,
    items,
    *,
    param: str = "page",
    one_query: bool = False,
    count: int | None = None,
    read: Callable[[slice], list] | None = None,
) -> LinkedPage:
    """One page of ``items`` chosen by ``?<param>=``, with links that keep the other query args.

    ``count``: how many ``items`` there are, when a query gave it already; the paginator then
    only reads the page's slice. ``items`` may be anything ordered that slices (a queryset, or
    an object with ``ordered = True`` and ``__getitem__``).

    ``one_query``: a queryset's page and its total come from one query (a window count beside
    the rows) instead of a count and then the rows; a page past the end costs the two of them
    and then the last page, as it would without. It pays where the count is dear to build (a
    queryset restricted through subqueries) and the rows are narrow (``values()``): a plain
    filter's count costs less than a window over every wide row. Not for ``distinct()``
    querysets: the window counts the rows before they are made distinct.

    ``read``: with ``one_query``, what reads that slice of ``items`` with the window count as
    ``TOTAL`` on each row, in place of the queryset (a page of a ``core.compiled`` query built
    as ``items`` with the count annotated); ``items`` is then a function that builds the
    queryset, called only to find a page past the end.
    """
    page: Page | None = _one_query_page(items, request.GET.get(param), read) if one_query else None
    if page is None:
        if read is not None:
            items = items()
        paginator = LinkedPaginator(items, settings.TENANTRY_PAGE_SIZE)
        if count is not None:
            paginator.count = count  # type: ignore[misc]  # a cached_property, known already
        page = paginator.get_page(request.GET.get(param))
        if not paginator.count:
            page.object_list = []  # nothing to read: the empty slice would still be compiled
    assert isinstance(page, LinkedPage)
    query = request.GET.copy()
    page.param = param
    if page.has_previous():
        query[param] = str(page.previous_page_number())
        page.prev_url = "?" + query.urlencode()
    if page.has_next():
        query[param] = str(page.next_page_number())
        page.next_url = "?" + query.urlencode()
    return page


TOTAL = "paginator_total"
# The largest OFFSET asked of the database (both take a signed 64-bit one): a page number
# typed into the address could otherwise overflow it.
MAX_OFFSET = 2**62


def _one_query_page(
    items: QuerySet, requested: str | None, read: Callable[[slice], list] | None = None
) -> LinkedPage | None:
    """The requested page of ``items`` with its paginator's count taken from the same query, or
    None when the request names no page that exists (the paginator then finds one)."""
    try:
        number = int(requested) if requested is not None else 1
    except ValueError:
        number = 1  # as the paginator reads a page that is not a number
    # With ``read``, the rows are its own: the paginator holds none (``items`` builds a queryset).
    paginator = LinkedPaginator(items if read is None else (), settings.TENANTRY_PAGE_SIZE)
    start = (number - 1) * paginator.per_page
    if number < 1 or start > MAX_OFFSET:  # past any list; the paginator finds the last page
        return None
    window = slice(start, start + paginator.per_page)
    rows = read(window) if read is not None else list(items.annotate(**{TOTAL: Window(Count("*"))})[window])
    if not rows and number > 1:
        return None
    total = 0
    for row in rows:  # the total is the same on every row: keep it on none
        total = row.pop(TOTAL) if isinstance(row, dict) else row.__dict__.pop(TOTAL)
    paginator.count = total  # type: ignore[misc]  # a cached_property, known already
    page = paginator.page(number)
    assert isinstance(page, LinkedPage)
    page.object_list = rows
    return page


def local_day(moment: datetime, zone: tzinfo | None = None) -> str:
    """What ``{{ moment|date:"Y-m-d" }}`` shows: the day in the current time zone (``zone``,
    when a table asked for it once for all its rows: asking costs more than the conversion)."""
    return localtime(moment, zone).date().isoformat()


def render_page(
    request: HtmxHttpRequest, template: str, context: dict, *, partials: Iterable[str] = (), status: int = 200
) -> HttpResponse:
    """The full page, or only the partial named after the element htmx asked to replace."""
    target = request.htmx.target if request.htmx else None
    if target and target in partials:
        template = f"{template}#{target}"
    return render(request, template, context, status=status)


def redirect_to(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load, so the whole page shows the new state.

    htmx gets the URL without its #fragment: assigning the current URL plus a fragment to
    ``window.location`` only scrolls, and the page would keep showing the old state.
    """
    if request.htmx:
        return HttpResponseClientRedirect(url.split("#", 1)[0])
    return redirect(url)
