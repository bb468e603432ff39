"""Clusters the console provisions on: connect, edit, remove, and check that they answer.

Pasted kubeconfigs are stored encrypted and never shown back. Every credentials change drops
the cached gateways once the transaction commits, so the next call uses the new ones.
"""

from collections.abc import Callable

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.connections import forget_gateways, gateway_for_cluster
from clusters.crypto import encrypt
from clusters.kube.errors import KubeError, PermanentKubeError
from clusters.kube.gateway import KubeGateway
from clusters.models import Cluster, TeamPlacement
from core.email import email_on_commit
from tenants.locale import recipient_locale
from tenants.models import Namespace, Team, TrustLevel
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed

# Recorded by connectivity checks and bootstrap, never entered in a form.
STATE_FIELDS = [
    "reachable",
    "credentials_rejected",
    "server_version",
    "last_checked_at",
    "last_error",
    "bootstrap_hash",
    "bootstrap_versions",
]


def cluster_gateway(cluster: Cluster) -> KubeGateway:
    """The cluster's gateway; credentials that cannot even be loaded become a ``PermanentKubeError``."""
    try:
        return gateway_for_cluster(cluster)
    except KubeError:
        raise
    except Exception as exc:  # the official loader raises many types for a broken kubeconfig
        raise PermanentKubeError(
            f"The credentials of cluster '{cluster.name}' cannot be loaded: {exc}"
        ) from exc


def credentials_source(cluster: Cluster) -> str:
    if cluster.kubeconfig_encrypted:
        return "stored kubeconfig"
    if cluster.kubeconfig_path:
        return "kubeconfig file"
    return "environment"


def _parse_kubeconfig(content: str) -> dict:
    try:
        config = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise ValidationError(
            {"kubeconfig_content": _("This is not valid YAML: %(exc)s") % {"exc": exc}}
        ) from exc
    if not isinstance(config, dict) or not config.get("clusters") or not config.get("users"):
        raise ValidationError({"kubeconfig_content": _("A kubeconfig needs 'clusters' and 'users' entries.")})
    return config


def _check_context(config: dict, context: str) -> None:
    names = [entry.get("name") for entry in config.get("contexts") or [] if isinstance(entry, dict)]
    if context and context not in names:
        raise ValidationError(
            {"context": _("The kubeconfig has no context '%(context)s'.") % {"context": context}}
        )
    if not context and not config.get("current-context"):
        raise ValidationError({"context": _("The kubeconfig has no current context; name one.")})


def _set_credentials(cluster: Cluster, *, kubeconfig_path: str, kubeconfig_content: str, clear: bool) -> None:
    kubeconfig_path, kubeconfig_content = kubeconfig_path.strip(), kubeconfig_content.strip()
    if clear:
        cluster.kubeconfig_encrypted = ""
    if kubeconfig_content:
        _check_context(_parse_kubeconfig(kubeconfig_content), cluster.context)
        cluster.kubeconfig_encrypted = encrypt(kubeconfig_content)
    cluster.kubeconfig_path = kubeconfig_path
    if cluster.kubeconfig_path and cluster.kubeconfig_encrypted:
        raise ValidationError(
            {"kubeconfig_path": _("Give a kubeconfig file path or pasted kubeconfig content, not both.")}
        )


def _make_default(cluster: Cluster) -> None:
    """Move the default flag here. Every namespace is pinned to its own cluster, so none moves."""
    Cluster.objects.select_for_update().filter(is_default=True).exclude(pk=cluster.pk).update(
        is_default=False
    )


def _set_placement(cluster: Cluster, *, trust_levels: list[str], plans: list[str]) -> None:
    unknown_levels = set(trust_levels) - set(TrustLevel.values)
    if unknown_levels:
        raise ValidationError(
            {
                "placement_trust_levels": _("Unknown trust level(s): %(levels)s.")
                % {"levels": ", ".join(sorted(unknown_levels))}
            }
        )
    unknown_plans = set(plans) - set(settings.TENANTRY_PLANS)
    if unknown_plans:
        raise ValidationError(
            {
                "placement_plans": _("Unknown plan(s): %(plans)s.")
                % {"plans": ", ".join(sorted(unknown_plans))}
            }
        )
    cluster.placement_trust_levels = sorted(set(trust_levels))
    cluster.placement_plans = sorted(set(plans))


def _save(cluster: Cluster, *, is_default: bool) -> None:
    if is_default:
        _make_default(cluster)
        cluster.enabled = True
    cluster.is_default = is_default
    cluster.full_clean(exclude=STATE_FIELDS)
    cluster.save()
    transaction.on_commit(forget_gateways)


@transaction.atomic
def cluster_create(
    *,
    actor,
    name: str,
    api_url: str = "",
    kubeconfig_path: str = "",
    kubeconfig_content: str = "",
    context: str = "",
    is_default: bool = False,
    max_token_hours: int | None = None,
    placement_trust_levels: list[str] | None = None,
    placement_plans: list[str] | None = None,
    apps_domain: str = "",
) -> Cluster:
    """Connect a cluster; with neither a path nor content it uses the environment's credentials.

    ``max_token_hours`` caps kubeconfig token lifetimes there (``None``: the console's maximum).
    """
    cluster = Cluster(
        name=name.strip(),
        api_url=api_url.strip(),
        context=context.strip(),
        max_token_hours=max_token_hours,
        apps_domain=apps_domain.strip().lower().rstrip("."),
    )
    _set_credentials(
        cluster, kubeconfig_path=kubeconfig_path, kubeconfig_content=kubeconfig_content, clear=False
    )
    _set_placement(cluster, trust_levels=placement_trust_levels or [], plans=placement_plans or [])
    _save(cluster, is_default=is_default)
    audit_record(
        actor=actor,
        action="cluster.created",
        target=cluster,
        data={
            "name": cluster.name,
            "credentials": credentials_source(cluster),
            "default": is_default,
            "max_token_hours": max_token_hours,
            "placement": {"trust_levels": cluster.placement_trust_levels, "plans": cluster.placement_plans},
            "apps_domain": cluster.apps_domain,
        },
    )
    return cluster


@transaction.atomic
def cluster_update(
    *,
    actor,
    cluster: Cluster,
    name: str,
    api_url: str = "",
    kubeconfig_path: str = "",
    kubeconfig_content: str = "",
    clear_stored_kubeconfig: bool = False,
    context: str = "",
    is_default: bool = False,
    max_token_hours: int | None = None,
    placement_trust_levels: list[str] | None = None,
    placement_plans: list[str] | None = None,
    apps_domain: str = "",
) -> Cluster:
    """Edit a cluster. Empty ``kubeconfig_content`` keeps the stored kubeconfig unless cleared.

    A lower ``max_token_hours`` applies to kubeconfigs issued from now on; tokens already
    issued keep their expiry (revoking them is the user's or the cluster admin's call). A new
    ``apps_domain`` re-applies the cluster's namespaces: their routes may use the new subdomain
    only, and routes naming the old one are refused from then on.
    """
    if cluster.is_default and not is_default:
        raise ValidationError({"is_default": _("Make another cluster the default instead.")})
    before = credentials_source(cluster)
    max_token_hours_before = cluster.max_token_hours
    apps_domain_before, apps_domain = cluster.apps_domain, apps_domain.strip().lower().rstrip(".")
    cluster.apps_domain = apps_domain
    cluster.name, cluster.api_url, cluster.context = name.strip(), api_url.strip(), context.strip()
    cluster.max_token_hours = max_token_hours
    _set_credentials(
        cluster,
        kubeconfig_path=kubeconfig_path,
        kubeconfig_content=kubeconfig_content,
        clear=clear_stored_kubeconfig,
    )
    _set_placement(cluster, trust_levels=placement_trust_levels or [], plans=placement_plans or [])
    _save(cluster, is_default=is_default)
    audit_record(
        actor=actor,
        action="cluster.updated",
        target=cluster,
        data={
            "name": cluster.name,
            "credentials": credentials_source(cluster),
            "credentials_before": before,
            "kubeconfig_replaced": bool(kubeconfig_content.strip()),
            "default": is_default,
            "max_token_hours": {"from": max_token_hours_before, "to": max_token_hours},
            "placement": {"trust_levels": cluster.placement_trust_levels, "plans": cluster.placement_plans},
            "apps_domain": {"from": apps_domain_before, "to": apps_domain},
        },
    )
    if apps_domain != apps_domain_before:
        for namespace in Namespace.objects.live().filter(cluster=cluster):
            namespace_changed(namespace)
    return cluster


@transaction.atomic
def cluster_delete(*, actor, cluster: Cluster) -> None:
    """Remove a cluster no live namespace uses. The default cluster cannot be removed."""
    if cluster.is_default:
        raise ValidationError(
            _("The default cluster cannot be removed; make another cluster the default first.")
        )
    live = Namespace.objects.live().filter(cluster=cluster).count()
    if live:
        raise ValidationError(
            _("%(live)s live namespace(s) still use cluster '%(cluster)s'.")
            % {"live": live, "cluster": cluster.name}
        )
    audit_record(actor=actor, action="cluster.deleted", target=cluster, data={"name": cluster.name})
    try:
        with transaction.atomic():
            cluster.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _(
                "Deleted namespaces on cluster '%(cluster)s' keep their usage history there; the cluster record has to stay."
            )
            % {"cluster": cluster.name}
        ) from exc
    transaction.on_commit(forget_gateways)


@transaction.atomic
def cluster_set_enabled(*, actor, cluster: Cluster, enabled: bool) -> Cluster:
    """Disable a cluster (it takes no new namespaces; those on it stay, reconciled, metered and
    reachable) or enable it again. The default cluster cannot be disabled."""
    if not enabled and cluster.is_default:
        raise ValidationError(
            _("The default cluster cannot be disabled; make another cluster the default first.")
        )
    if cluster.enabled != enabled:
        Cluster.objects.filter(pk=cluster.pk).update(enabled=enabled)
        cluster.enabled = enabled
        audit_record(
            actor=actor,
            action="cluster.enabled" if enabled else "cluster.disabled",
            target=cluster,
            data={"name": cluster.name},
        )
    return cluster


@transaction.atomic
def team_placement_set(*, actor, team: Team, clusters: list[Cluster], default: Cluster | None) -> None:
    """Staff choose the clusters a team may use (and its default among them); an empty list
    removes the team's placement, so the defaults per trust level and plan apply again.
    Namespaces already created stay on their cluster."""
    if default is not None and default not in clusters:
        raise ValidationError({"default": _("The default must be one of the team's clusters.")})
    if not clusters:
        TeamPlacement.objects.filter(team=team).delete()
    else:
        placement, _created = TeamPlacement.objects.update_or_create(team=team, defaults={"default": default})
        placement.clusters.set(clusters)
    audit_record(
        actor=actor,
        action="team.placement_set",
        target=team,
        data={"clusters": sorted(c.name for c in clusters), "default": default.name if default else None},
    )


def cluster_check_connectivity(*, cluster: Cluster) -> Cluster:
    """Ask the cluster for its version and record the answer; cluster failures are recorded, not raised."""
    now = timezone.now()
    try:
        version = cluster_gateway(cluster).version()
    except KubeError as exc:
        fields = {
            "reachable": False,
            "credentials_rejected": exc.code == 401,
            "last_error": str(exc) or exc.__class__.__name__,
            "last_checked_at": now,
        }
    else:
        fields = {
            "reachable": True,
            "credentials_rejected": False,
            "server_version": version,
            "last_error": "",
            "last_checked_at": now,
        }
    Cluster.objects.filter(pk=cluster.pk).update(**fields)
    for field, value in fields.items():
        setattr(cluster, field, value)
    return cluster


def clusters_check_connectivity() -> list[Cluster]:
    """Check every cluster (the beat's periodic check) and email staff about each cluster whose
    reachability changed since the last check. Returns the clusters that changed."""
    changed = []
    for cluster in Cluster.objects.defer("kubeconfig_encrypted").order_by("name"):
        before = cluster.reachable
        cluster = cluster_check_connectivity(cluster=Cluster.objects.get(pk=cluster.pk))
        if before is not None and before != cluster.reachable:
            changed.append(cluster)
    if changed:
        _notify_staff(changed)
    return changed


def email_staff(*, subject: Callable[[], str], lines: Callable[[], list[str]]) -> None:
    """One email per active staff member, written in their own language: ``subject`` and
    ``lines`` are called inside each member's locale."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="").order_by("email")
    for member in staff:
        with recipient_locale(member):
            email_on_commit(
                subject=subject(),
                body="\n".join(lines()) + "\n\n" + _("See the Clusters page for details.") + "\n",
                to=[member.email],
            )


def _notify_staff(changed: list[Cluster]) -> None:
    email_staff(
        subject=lambda: _("Tenantry: cluster reachability changed"),
        lines=lambda: [
            _("%(cluster)s answers again (Kubernetes %(version)s).")
            % {"cluster": cluster.name, "version": cluster.server_version}
            if cluster.reachable
            else _("%(cluster)s is unreachable: %(error)s")
            % {"cluster": cluster.name, "error": cluster.last_error}
            for cluster in changed
        ],
    )
