"""Reads for the access and cluster pages, scoped to what the user may see."""

from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.shortcuts import get_object_or_404

from clusters.connections import default_cluster
from clusters.models import Cluster
from tenants.models import Namespace, NamespaceStatus
from tenants.selectors import namespaces_for_user

# A namespace in one of these is being worked on: its status page keeps polling.
IN_PROGRESS_STATUSES = frozenset(
    {NamespaceStatus.PENDING, NamespaceStatus.PROVISIONING, NamespaceStatus.TERMINATING}
)


@dataclass(frozen=True)
class ClusterNamespaces:
    """The namespaces a user can see on one cluster: one kubeconfig cluster entry and its contexts."""

    cluster: Cluster
    namespaces: list[Namespace]


def access_namespaces_for_user(*, user) -> QuerySet[Namespace]:
    """Live namespaces the user can see (any status but deleted), with their cluster, by name."""
    return namespaces_for_user(user=user).select_related("cluster")


def namespaces_by_cluster(*, user) -> list[ClusterNamespaces]:
    """The user's namespaces grouped by cluster; namespaces without one live on the default cluster."""
    groups: dict[int, ClusterNamespaces] = {}
    fallback = None
    for namespace in access_namespaces_for_user(user=user):
        cluster = namespace.cluster
        if cluster is None:
            fallback = fallback or default_cluster()
            cluster = fallback
        groups.setdefault(cluster.pk, ClusterNamespaces(cluster, [])).namespaces.append(namespace)
    return sorted(groups.values(), key=lambda group: group.cluster.name)


def clusters_with_usage(*, pk: int | None = None) -> list[Cluster]:
    """Every cluster with ``live_namespaces`` (how many it holds) and ``has_stored_kubeconfig``.

    Namespaces without a cluster count towards the default one. The stored credentials
    themselves are never loaded for a list. ``pk`` narrows it to one cluster (a table row).
    """
    default_cluster()
    rows = Cluster.objects.filter(pk=pk) if pk is not None else Cluster.objects.all()
    clusters: list[Cluster] = list(
        rows.defer("kubeconfig_encrypted").annotate(
            live_namespaces=Count("namespace", filter=~Q(namespace__status=NamespaceStatus.DELETED)),
            has_stored_kubeconfig=ExpressionWrapper(~Q(kubeconfig_encrypted=""), output_field=BooleanField()),
        )
    )
    unassigned = Namespace.objects.live().filter(cluster__isnull=True).count()
    for cluster in clusters:
        if cluster.is_default:
            cluster.live_namespaces += unassigned  # type: ignore[attr-defined]  # annotated above
    return clusters


def cluster_for_staff(*, pk: int) -> Cluster:
    return get_object_or_404(Cluster, pk=pk)


def namespace_for_staff(*, pk: int) -> Namespace:
    return get_object_or_404(Namespace.objects.live().select_related("team", "cluster"), pk=pk)
