"""Reads of domains: a team's list, and the host suffixes its namespaces may route."""

from django.conf import settings
from django.db.models import QuerySet

from domains.models import Domain
from tenants.models import Team


def team_domains(*, team: Team) -> QuerySet[Domain]:
    return Domain.objects.filter(team=team).order_by("name")


def team_subdomain(team: Team) -> str:
    """The apps-domain subdomain a team owns by construction: ``<team>.<apps domain>``."""
    return f"{team.slug}.{settings.TENANTRY_APPS_DOMAIN}"


def team_host_suffixes(*, team_id: int, team_slug: str) -> tuple[str, ...]:
    """Every host a team's routes may name is one of these or under one: its subdomain and
    its verified custom domains (one query)."""
    verified = Domain.objects.filter(team_id=team_id, verified_at__isnull=False).values_list(
        "name", flat=True
    )
    return (f"{team_slug}.{settings.TENANTRY_APPS_DOMAIN}", *sorted(verified))
