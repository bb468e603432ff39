"""Reads of domains: a team's list, and the host suffixes its namespaces may route."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core.compiled import ID_STAND_IN, CompiledQuery
from domains.apps_domains import apps_domains
from domains.models import Domain, RouteClaim
from tenants import permissions
from tenants.models import Namespace, NamespaceStatus, Team


def team_domains(*, team: Team) -> QuerySet[Domain]:
    return Domain.objects.filter(team=team).order_by("name")


def team_subdomains(team: Team) -> list[str]:
    """The subdomains a team owns by construction, ``<team>.<apps domain>``: one per apps
    domain (the console's, and each cluster's own)."""
    return [f"{team.slug}.{domain}" for domain in apps_domains()]


def team_host_suffixes(*, team_id: int, team_slug: str, apps_domain: str) -> tuple[str, ...]:
    """Every host a team's routes may name is one of these or under one: its subdomain and
    its verified custom domains (one query). ``apps_domain``: that of the namespace's cluster."""
    verified = Domain.objects.filter(team_id=team_id, verified_at__isnull=False).values_list(
        "name", flat=True
    )
    return (f"{team_slug}.{apps_domain}", *sorted(verified))


def _under(suffixes: Iterable[str]) -> Q:
    """Claims whose host may be one of ``suffixes`` or under one (``*.x`` included): one index
    range over the reversed host per suffix, since "ends with .x" is "reversed starts with
    x-reversed". The range also holds hosts like ``a-x``; ``_is_under`` drops them."""
    condition = Q(pk__in=[])
    for suffix in suffixes:
        reversed_suffix = suffix[::-1]
        condition |= Q(host_reversed__gte=reversed_suffix, host_reversed__lt=f"{reversed_suffix}/")
    return condition


def _is_under(host: str, suffixes: Iterable[str]) -> bool:
    return any(host == suffix or host.endswith(f".{suffix}") for suffix in suffixes)


def taken_routes(*, namespace_id: int, cluster_id: int | None, suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """``host/path`` keys other live namespaces on the cluster serve under ``suffixes``: what
    this namespace's routes may not claim. The claims are found by their host's index range
    first and their namespaces checked after (two small queries): joined in one, the database
    would start from every namespace on the cluster."""
    claims = [
        (host, path, holder)
        for host, path, holder in RouteClaim.objects.filter(_under(suffixes))
        .exclude(namespace_id=namespace_id)
        .values_list("host", "path", "namespace_id")
        .order_by()
        if _is_under(host, suffixes)
    ]
    if not claims:
        return ()
    on_cluster = Q(cluster_id=cluster_id) if cluster_id is not None else Q(cluster__isnull=True)
    live = set(
        Namespace.objects.filter(on_cluster, pk__in={holder for _, _, holder in claims})
        .exclude(status=NamespaceStatus.DELETED)
        .values_list("pk", flat=True)
    )
    return tuple(sorted({f"{host}{path}" for host, path, holder in claims if holder in live}))


# Compiled once per process (``core.compiled``): 0.1 ms of Python saved on every namespace page.
_NAMESPACE_ROUTE_ROWS = CompiledQuery(
    lambda namespace_id: (
        RouteClaim.objects.filter(namespace_id=namespace_id)
        .order_by("kind", "name", "host", "path")
        .values_list("kind", "name", "status", "host", "path")
    ),
    ID_STAND_IN,
)


def namespace_routes(*, namespace: Namespace) -> list[dict]:
    """The namespace's routes, one entry per object: kind, name, hosts+paths and status."""
    routes: dict[tuple[str, str], dict] = {}
    # rows, not claims: the namespace page reads many
    for kind, name, status, host, path in _NAMESPACE_ROUTE_ROWS.rows(namespace.pk):
        route = routes.setdefault((kind, name), {"kind": kind, "name": name, "status": status, "keys": []})
        route["keys"].append(f"{host}{path}")  # RouteClaim.key
    return list(routes.values())


def team_routes(*, team: Team) -> list[RouteClaim]:
    """Which of the team's namespaces serve which host+paths (live namespaces only)."""
    return list(
        RouteClaim.objects.filter(team=team)
        .exclude(namespace__status=NamespaceStatus.DELETED)
        .select_related("namespace")
        .order_by("host", "path", "namespace__name")
    )


@dataclass(frozen=True)
class Conflict:
    key: str
    namespace: str  # the team's namespace that serves it
    holder_namespace: str  # "" when the viewer may not know who else holds it
    holder_team: str


def team_route_conflicts(*, team: Team, claims: list[RouteClaim], viewer) -> list[Conflict]:
    """Host+paths the team serves that another namespace serves too (on the same cluster).

    Admission refuses new ones; these are older (routes made before a domain changed hands,
    or at the same moment in two namespaces). Who else holds one is named only when the
    viewer may see that team; otherwise it is "another team". One query.
    """
    if not claims:
        return []
    mine = {(c.namespace.cluster_id, c.key): c for c in claims}
    others = (
        RouteClaim.objects.filter(host__in={c.host for c in claims})
        .exclude(namespace_id__in={c.namespace_id for c in claims})
        .exclude(namespace__status=NamespaceStatus.DELETED)
        .select_related("namespace", "namespace__team")
    )
    # Two of the team's own namespaces serving the same key.
    by_key: dict[tuple, list[RouteClaim]] = {}
    for claim in claims:
        by_key.setdefault((claim.namespace.cluster_id, claim.key), []).append(claim)
    result = []
    for claim in others:
        key = (claim.namespace.cluster_id, claim.key)
        if key not in mine:
            continue
        visible = claim.namespace.team_id == team.pk or permissions.can_see_team(viewer, claim.namespace.team)
        result.append(
            Conflict(
                claim.key,
                mine[key].namespace.name,
                claim.namespace.name if visible else "",
                claim.namespace.team.name if visible else "",
            )
        )
    for key, same in by_key.items():
        names = sorted({c.namespace.name for c in same})
        if len(names) > 1:
            result += [Conflict(key[1], names[0], name, team.name) for name in names[1:]]
    return sorted(result, key=lambda c: (c.key, c.namespace, c.holder_namespace))
