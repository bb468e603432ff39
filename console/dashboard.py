"""The dashboard's lists of teams and namespaces as rows: each row's link and labels worked
out in Python from the few fields it shows, not from a model (and its team and cluster) per
row and a ``{% url %}`` and an ``{% include %}`` in the template."""

from collections.abc import Iterable
from dataclasses import dataclass

from core.choices import labels_of
from core.urls import row_urls
from tenants.models import NamespaceStatus

TEAM_FIELDS = ("name", "slug", "member_count")
NAMESPACE_FIELDS = ("name", "display_name", "status", "team__name")


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
