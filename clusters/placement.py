"""Placement: which clusters a team's new namespaces may go to, and where they go by default.

The rule, in order:

1. Staff set a placement for the team (``TeamPlacement``): its clusters, and its default.
2. Otherwise the clusters that list the team's trust level or plan (``Cluster.placement_*``).
3. Otherwise the default cluster.

Disabled clusters take no new namespaces, so they are never offered. Reads only: the
default cluster row is made by ``clusters.connections.default_cluster`` where a
namespace is created.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clusters.models import Cluster, TeamPlacement


@dataclass(frozen=True)
class Placement:
    allowed: list[Cluster]
    default: Cluster | None
    source: str  # why these clusters, for staff: "team placement", "trust level public", …


def _matching(clusters: Sequence[Cluster], team) -> tuple[list[Cluster], str]:
    by_trust = [c for c in clusters if team.trust_level in (c.placement_trust_levels or [])]
    by_plan = [c for c in clusters if team.plan in (c.placement_plans or [])]
    matched = [c for c in clusters if c in by_trust or c in by_plan]
    if not matched:
        return [], ""
    trust = _("trust level %(level)s") % {"level": team.get_trust_level_display()}
    plan = _("plan %(plan)s") % {"plan": team.plan}
    if by_trust and by_plan:
        return matched, _("%(trust)s and %(plan)s") % {"trust": trust, "plan": plan}
    return matched, trust if by_trust else plan


def team_placement(
    *, team, clusters: Sequence[Cluster] | None = None, placement: TeamPlacement | None = None
) -> Placement:
    """The team's placement. ``clusters`` (every cluster, by name) and ``placement`` may be
    passed in when placing many teams at once, so the cost stays flat."""
    if clusters is None:
        clusters = list(Cluster.objects.order_by("name"))
    if placement is None:
        placement = TeamPlacement.objects.filter(team=team).prefetch_related("clusters").first()
    enabled = [c for c in clusters if c.enabled]
    global_default = next((c for c in clusters if c.is_default), None)
    if placement is not None:
        chosen = {c.pk for c in placement.clusters.all()}
        allowed = [c for c in enabled if c.pk in chosen]
        default = next((c for c in allowed if c.pk == placement.default_id), None)
        return Placement(allowed, default or (allowed[0] if allowed else None), _("team placement"))
    allowed, reason = _matching(enabled, team)
    if allowed:
        default = global_default if global_default in allowed else allowed[0]
        return Placement(allowed, default, reason)
    allowed = [global_default] if global_default is not None else []
    return Placement(allowed, global_default, _("default cluster"))


def placement_cluster(*, team, cluster: Cluster | None) -> Cluster | None:
    """The cluster a new namespace of ``team`` goes to: ``cluster`` if the team may use it,
    else its placement's default. None when no cluster exists yet (the default is made then)."""
    placement = team_placement(team=team)
    if cluster is None:
        if placement.default is None and Cluster.objects.exists():
            raise ValidationError(
                {"cluster": _("No cluster takes new namespaces for this team; ask a cluster admin.")}
            )
        return placement.default
    if cluster.pk not in {c.pk for c in placement.allowed}:
        raise ValidationError(
            {"cluster": _("This team may not use cluster '%(cluster)s'.") % {"cluster": cluster.name}}
        )
    return cluster


def cluster_by_name(*, team, name: str) -> Cluster:
    """A cluster the team may use, by name (the API); a field error otherwise, the same for
    a cluster that does not exist and one the team may not use."""
    placement = team_placement(team=team)
    for cluster in placement.allowed:
        if cluster.name == name:
            return cluster
    raise ValidationError(
        {"cluster": _("This team may not use a cluster called '%(cluster)s'.") % {"cluster": name}}
    )
