"""The dashboard's lists of teams and namespaces as rows: each row's link and labels worked
out in Python from the few fields it shows, not from a model (and its team and cluster) per
row and a ``{% url %}`` and an ``{% include %}`` in the template."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, Func, IntegerField, QuerySet, Subquery, Window

from core.choices import labels_of
from core.pages import TOTAL
from core.urls import row_urls
from tenants.models import NamespaceStatus
from tenants.selectors import (
    ScopedQuery,
    namespace_list,
    team_list,
    visible_namespace_ids,
    visible_namespaces,
    visible_team_ids,
    visible_teams,
)

TEAM_FIELDS = ("name", "slug", "member_count")
NAMESPACE_FIELDS = ("name", "display_name", "status", "team__name")

# A page of the user's teams and one of their namespaces, each with its total beside every row
# (``core.pages.paginate(one_query=True, read=...)``), compiled once per process for each shape
# of the user's scope: building and compiling them cost about 0.3 and 0.4 ms on every dashboard.
TEAMS_PAGE = ScopedQuery(
    visible_team_ids,
    lambda id_lists: (
        team_list(visible_teams(id_lists)).values(*TEAM_FIELDS).annotate(**{TOTAL: Window(Count("*"))})
    ),
    sliced=True,
)


def _namespace_ids_twice(user) -> tuple[list[int], ...] | None:
    """``visible_namespace_ids`` twice over: once for the page's rows, once for their count
    (each id of a compiled query is one parameter of its own)."""
    found = visible_namespace_ids(user)
    return None if found is None else (*found, *found)


def _namespaces_page(id_lists: tuple[list[int], ...]) -> QuerySet:
    """A page of the namespaces of the first three lists with the count of those of the last
    three (the same lists) beside each row: a subquery counting them costs the database half
    of what a window over the joined and sorted rows did (0.1 of 0.2 ms on SQLite for 200)."""
    rows, counted = id_lists[:3], id_lists[3:]
    count = (
        visible_namespaces(counted)
        .order_by()
        .values(n=Func("pk", function="COUNT", output_field=IntegerField()))
    )
    return (
        namespace_list(visible_namespaces(rows))
        .values(*NAMESPACE_FIELDS)
        .annotate(**{TOTAL: Subquery(count, output_field=IntegerField())})
    )


NAMESPACES_PAGE = ScopedQuery(_namespace_ids_twice, _namespaces_page, sliced=True)


def page_reader(scoped: ScopedQuery, user) -> Callable[[slice], list] | None:
    """What reads a page of ``scoped`` for ``user`` (for ``paginate``'s ``read``), or None
    when the scope reaches nothing (the view's own queryset then reads nothing)."""
    found = scoped.for_user(user)
    if found is None:
        return None
    query, ids = found
    return lambda window: query.dicts(*ids, window=window)


@dataclass(frozen=True)
class TeamRow:
    name: str
    member_count: int
    url: str


@dataclass(frozen=True)
class NamespaceRow:
    name: str
    display_name: str
    team_name: str
    status: str
    status_label: str
    url: str


def team_rows(teams: Iterable[dict]) -> list[TeamRow]:
    """Rows of ``teams`` (dicts of ``TEAM_FIELDS``)."""
    url = row_urls("team_detail")
    return [TeamRow(name=t["name"], member_count=t["member_count"], url=url(t["slug"])) for t in teams]


def namespace_rows(namespaces: Iterable[dict]) -> list[NamespaceRow]:
    """Rows of ``namespaces`` (dicts of ``NAMESPACE_FIELDS``)."""
    label = labels_of(NamespaceStatus)
    url = row_urls("namespace_detail")
    return [
        NamespaceRow(
            name=ns["name"],
            display_name=ns["display_name"],
            team_name=ns["team__name"],
            status=ns["status"],
            status_label=label(ns["status"]),
            url=url(ns["name"]),
        )
        for ns in namespaces
    ]
