"""Cluster access for users: kubeconfigs with short-lived tokens, and revoking them.

Each user has one ServiceAccount (``u<id>``) in the system namespace of every cluster where
they have namespaces, created on demand; their RoleBindings (made by the provisioner) name
it. A kubeconfig holds one bound token per cluster from the TokenRequest API. Deleting and
recreating the ServiceAccount invalidates every token issued for it.

Tokens are never stored or audited: the audit trail records which namespaces a kubeconfig
covered and when it expires.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clusters.bootstrap import cluster_bootstrap
from clusters.kube.errors import KubeError, NotFoundError
from clusters.kube.gateway import KubeGateway
from clusters.kube.manifests import user_service_account
from clusters.kube.spec import PlatformSettings, platform_settings_from_django
from clusters.models import Cluster
from clusters.selectors import ClusterNamespaces, namespaces_by_cluster
from clusters.services import cluster_gateway
from tenants.models import Namespace
from tenants.services.audit import audit_record

KUBECONFIG_FILENAME = "tenantry.kubeconfig"


class ClusterAccessError(Exception):
    """A cluster could not issue or revoke credentials; the message names the cluster."""

    def __init__(self, cluster: Cluster, error: KubeError):
        super().__init__(f"Cluster '{cluster.name}' could not issue credentials: {error.message or error}")
        self.cluster = cluster
        self.error = error


@dataclass(frozen=True)
class ClusterCredentials:
    """Everything one kubeconfig cluster entry needs: where, how to trust it, a token, which namespaces."""

    name: str
    server: str
    certificate_authority_data: str | None
    insecure_skip_tls_verify: bool
    user: str
    token: str
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class UnavailableCluster:
    """A cluster that could not issue a token: its namespaces are left out of the kubeconfig."""

    cluster: str
    reason: str
    namespaces: list[str]


@dataclass(frozen=True)
class IssuedKubeconfig:
    text: str
    expires_at: datetime
    namespaces: list[str]
    hours: int
    max_hours: int
    unavailable: list[UnavailableCluster]


@dataclass(frozen=True)
class Revocation:
    revoked: list[str]
    failed: dict[str, str]


@dataclass(frozen=True)
class KubeconfigLimit:
    """The longest token lifetime a user may ask for, and who set it.

    The smallest of the console's maximum (``TENANTRY_KUBECONFIG_MAX_TTL_HOURS``) and the
    ``max_token_hours`` of every cluster the user's namespaces are on: one kubeconfig holds
    a token per cluster, so the strictest cluster decides.
    """

    max_hours: int
    default_hours: int
    cluster: str | None  # the cluster whose maximum applies; None: the console's

    @property
    def source(self) -> str:
        if self.cluster:
            return _("cluster '%(cluster)s'") % {"cluster": self.cluster}
        return _("the console")

    @property
    def message(self) -> str:
        return _("At most %(hours)s hours: the limit set by %(source)s.") % {
            "hours": self.max_hours,
            "source": self.source,
        }


def kubeconfig_limit(clusters: Iterable[Cluster]) -> KubeconfigLimit:
    """The limit for a user whose namespaces are on ``clusters`` (no queries)."""
    maximum, limiting = settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS, None
    for cluster in clusters:
        cluster_max = cluster.max_token_hours
        if cluster_max is not None and cluster_max < maximum:
            maximum, limiting = cluster_max, cluster.name
    default = min(settings.TENANTRY_KUBECONFIG_TTL_HOURS, maximum)
    return KubeconfigLimit(max_hours=maximum, default_hours=default, cluster=limiting)


def kubeconfig_limit_for_user(*, user) -> KubeconfigLimit:
    return kubeconfig_limit(group.cluster for group in namespaces_by_cluster(user=user))


def kubeconfig_lifetime_hours(hours: int | None, *, limit: KubeconfigLimit) -> int:
    """The requested lifetime, or the default; more than the limit is refused."""
    if hours is None:
        return limit.default_hours
    if hours < 1:
        raise ValidationError({"hours": _("At least 1 hour.")})
    if hours > limit.max_hours:
        raise ValidationError({"hours": limit.message})
    return hours


def kubeconfig_document(credentials: Iterable[ClusterCredentials], *, current_namespace: str) -> dict:
    """A kubeconfig with a cluster and a user per cluster and a context per namespace (pure)."""
    clusters, users, contexts = [], [], []
    for entry in credentials:
        cluster: dict = {"server": entry.server}
        if entry.certificate_authority_data:
            cluster["certificate-authority-data"] = entry.certificate_authority_data
        elif entry.insecure_skip_tls_verify:
            cluster["insecure-skip-tls-verify"] = True
        clusters.append({"name": entry.name, "cluster": cluster})
        users.append({"name": entry.user, "user": {"token": entry.token}})
        contexts += [
            {"name": ns, "context": {"cluster": entry.name, "user": entry.user, "namespace": ns}}
            for ns in entry.namespaces
        ]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current_namespace,
    }


def user_service_account_ensure(
    *, cluster: Cluster, gateway: KubeGateway, user, platform: PlatformSettings
) -> None:
    """Create the user's ServiceAccount (and the system namespace, on a fresh cluster) if missing.

    A cluster that lost its system namespace (reset, or deleted by hand) is healed on the spot
    rather than answering "could not issue credentials" until the periodic check comes by.
    """
    cluster_bootstrap(cluster=cluster, gateway=gateway, platform=platform, check=False)
    try:
        gateway.apply(user_service_account(user.pk, platform))
    except NotFoundError:
        cluster_bootstrap(cluster=cluster, gateway=gateway, platform=platform, check=True)
        gateway.apply(user_service_account(user.pk, platform))


def _credentials(
    group: ClusterNamespaces, *, user, seconds: int, platform: PlatformSettings
) -> tuple[ClusterCredentials, datetime]:
    cluster = group.cluster
    try:
        gateway = cluster_gateway(cluster)
        user_service_account_ensure(cluster=cluster, gateway=gateway, user=user, platform=platform)
        token, expires_at = gateway.create_token(
            platform.system_namespace, platform.user_service_account(user.pk), seconds
        )
        server = cluster.api_url or gateway.server_url
        ca_data = gateway.certificate_authority_data()
    except KubeError as exc:
        raise ClusterAccessError(cluster, exc) from exc
    except OSError as exc:  # the CA file the loader wrote is gone
        raise ClusterAccessError(cluster, KubeError(str(exc))) from exc
    entry_name = f"tenantry-{cluster.name}"
    credentials = ClusterCredentials(
        name=entry_name,
        server=server,
        certificate_authority_data=ca_data,
        insecure_skip_tls_verify=gateway.insecure_skip_tls_verify,
        user=f"{platform.user_service_account(user.pk)}@{entry_name}",
        token=token,
        namespaces=tuple(ns.name for ns in group.namespaces),
    )
    return credentials, expires_at


def _audit_per_team(*, actor, action: str, namespaces: list[Namespace], data: dict) -> None:
    """One event per team whose namespaces are involved, so each team's log shows it; else one for the user."""
    by_team: dict[int, list[Namespace]] = {}
    for namespace in namespaces:
        by_team.setdefault(namespace.team_id, []).append(namespace)
    if not by_team:
        audit_record(actor=actor, action=action, target=actor, team=None, data=data)
    for team_namespaces in by_team.values():
        names = sorted(ns.name for ns in team_namespaces)
        audit_record(
            actor=actor,
            action=action,
            target=actor,
            team=team_namespaces[0].team,
            data={**data, "namespaces": names},
        )


def _unavailable_comment(unavailable: list[UnavailableCluster]) -> str:
    """Comment lines naming what the file leaves out, so whoever opens it knows why."""
    lines = []
    for entry in unavailable:
        reason = " ".join(entry.reason.split())
        lines.append(
            "# "
            + _("Not included: cluster '%(cluster)s' could not issue credentials (%(reason)s).")
            % {"cluster": entry.cluster, "reason": reason}
        )
        lines.append(
            "#   "
            + _("Its namespaces: %(namespaces)s. Download again once it answers.")
            % {"namespaces": ", ".join(entry.namespaces)}
        )
    return "\n".join(lines) + "\n"


def kubeconfig_issue(*, user, hours: int | None = None) -> IssuedKubeconfig:
    """A kubeconfig for every namespace the user can see, with tokens valid for ``hours``.

    ``hours`` may not exceed the user's ``kubeconfig_limit``. A cluster that cannot issue a
    token does not cost the user the others: its namespaces are left out, named in the
    file's comments and in ``unavailable``. Only when no cluster can issue one is
    ``ClusterAccessError`` raised (it names the first).
    """
    groups = namespaces_by_cluster(user=user)
    limit = kubeconfig_limit(group.cluster for group in groups)
    hours = kubeconfig_lifetime_hours(hours, limit=limit)
    if not any(group.namespaces for group in groups):
        raise ValidationError(_("You have no namespaces yet, so there is nothing to connect to."))
    platform = platform_settings_from_django(settings)
    issued, unavailable, failures = [], [], []
    for group in groups:
        try:
            issued.append((group, *_credentials(group, user=user, seconds=hours * 3600, platform=platform)))
        except ClusterAccessError as exc:
            failures.append(exc)
            reason = exc.error.message or str(exc.error)
            names = sorted(ns.name for ns in group.namespaces)
            unavailable.append(
                UnavailableCluster(cluster=group.cluster.name, reason=reason, namespaces=names)
            )
    if not issued:
        raise failures[0]
    namespaces = [ns for group, _, _ in issued for ns in group.namespaces]
    expires_at = min(expiry for _, _, expiry in issued)
    current = min(ns.name for ns in namespaces)
    text = yaml.safe_dump(
        kubeconfig_document([entry for _, entry, _ in issued], current_namespace=current), sort_keys=False
    )
    if unavailable:
        text = _unavailable_comment(unavailable) + text
    with transaction.atomic():
        _audit_per_team(
            actor=user,
            action="kubeconfig.downloaded",
            namespaces=namespaces,
            data={
                "expires_at": expires_at.isoformat(),
                "hours": hours,
                "max_hours": limit.max_hours,
                "clusters": [group.cluster.name for group, _, _ in issued],
                "unavailable": {u.cluster: u.reason for u in unavailable},
            },
        )
    return IssuedKubeconfig(
        text=text,
        expires_at=expires_at,
        namespaces=sorted(ns.name for ns in namespaces),
        hours=hours,
        max_hours=limit.max_hours,
        unavailable=unavailable,
    )


def kubeconfig_tokens_revoke(*, user, cluster_names: list[str] | None = None) -> Revocation:
    """Invalidate every token issued to the user, on every cluster the console knows (or on
    those named in ``cluster_names``: a retry of the ones that failed).

    The ServiceAccount is deleted everywhere and recreated where the user has namespaces (its
    RoleBindings name it, so they keep working for new tokens). Clusters that cannot be
    reached are reported in ``failed``: tokens issued there stay valid until they expire.
    """
    platform = platform_settings_from_django(settings)
    account = platform.user_service_account(user.pk)
    groups = {group.cluster.pk: group for group in namespaces_by_cluster(user=user)}
    revoked, failed = [], {}
    clusters = Cluster.objects.order_by("name")
    if cluster_names is not None:
        clusters = clusters.filter(name__in=cluster_names)
    for cluster in clusters:
        try:
            gateway = cluster_gateway(cluster)
            gateway.delete("v1", "ServiceAccount", account, platform.system_namespace)
            if cluster.pk in groups:
                user_service_account_ensure(cluster=cluster, gateway=gateway, user=user, platform=platform)
        except KubeError as exc:
            failed[cluster.name] = exc.message or str(exc)
        else:
            revoked.append(cluster.name)
    namespaces = [ns for group in groups.values() for ns in group.namespaces]
    with transaction.atomic():
        _audit_per_team(
            actor=user,
            action="kubeconfig.tokens_revoked",
            namespaces=namespaces,
            data={"clusters": revoked, "failed": failed},
        )
    return Revocation(revoked=revoked, failed=failed)
