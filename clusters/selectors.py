"""Reads for the access and cluster pages, scoped to what the user may see."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.shortcuts import get_object_or_404

from clusters.connections import gateway_for_cluster
from clusters.kube.manifests import names
from clusters.kube.spec import platform_settings_from_django
from clusters.models import Cluster, NamespaceProvisioning, TeamPlacement
from core.choices import labels_of
from core.urls import row_urls
from tenants.models import Namespace, NamespaceStatus, Team
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
    """The user's namespaces grouped by the cluster each lives on."""
    groups: dict[int, ClusterNamespaces] = {}
    for namespace in access_namespaces_for_user(user=user):
        cluster = namespace.cluster
        groups.setdefault(cluster.pk, ClusterNamespaces(cluster, [])).namespaces.append(namespace)
    return sorted(groups.values(), key=lambda group: group.cluster.name)


@dataclass(frozen=True)
class AccessLine:
    """One namespace on the access page: a context of the kubeconfig, and its page's URL."""

    name: str
    display_name: str
    team: str
    cluster: str
    status: str
    status_label: str
    url: str


@dataclass(frozen=True)
class AccessOverview:
    """What the access page shows: the clusters holding the user's namespaces (by name), the
    first of those namespaces by name (the kubeconfig's current context), how many there are,
    and the namespaces themselves by cluster and name, as ``AccessLine``s read a slice at a time."""

    clusters: list[Cluster]
    first_namespace: str
    namespaces: "AccessLines"


def _namespace_condition(namespaces: QuerySet[Namespace]) -> tuple[str, list] | None:
    """The WHERE condition of ``namespaces`` (a queryset of the namespace table alone, as
    ``restrict()`` narrows it), compiled by the ORM: SQL naming the table by its own name, and
    its parameters; None when it selects nothing. The access page's statements below are
    written out around it, so they choose exactly the rows the queryset would."""
    query = namespaces.query
    if any(count for alias, count in query.alias_refcount.items() if alias != Namespace._meta.db_table):
        # Only the namespace table is in the statements' FROM: a condition through a join
        # would name a table they do not read.
        raise ValueError("the namespaces' condition joins another table")
    try:
        return query.get_compiler(using=namespaces.db).compile(query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "1 = 1", []


class AccessLines:
    """The user's namespaces by cluster and name, read a slice at a time (a paginator's page),
    and how many there are (``count``, which the paginator is handed instead of counting).

    The slice is SQL written out (standard, the same on SQLite and PostgreSQL, with the tables
    and columns the models name) around the condition the ORM compiled for the user's
    namespaces: the same query through ``values_list()`` cost 0.25 ms more to build."""

    ordered = True

    def __init__(self, condition: tuple[str, list] | None, count: int):
        self._condition = condition
        self.count = count

    def __getitem__(self, window: slice) -> list[AccessLine]:
        if self._condition is None or (window.stop is not None and window.stop <= (window.start or 0)):
            return []
        where, params = self._condition
        q = connection.ops.quote_name
        namespaces, teams, clusters = (
            q(Namespace._meta.db_table),
            q(Team._meta.db_table),
            q(Cluster._meta.db_table),
        )
        name, pk = q("name"), q("id")
        # Only the models' quoted table and column names, and the compiled condition, are spliced in.
        sql = (
            f"SELECT {namespaces}.{name}, {namespaces}.{q('display_name')}, t.{name}, c.{name},"  # noqa: S608
            f" {namespaces}.{q('status')} FROM {namespaces}"
            f" INNER JOIN {teams} t ON t.{pk} = {namespaces}.{q('team_id')}"
            f" INNER JOIN {clusters} c ON c.{pk} = {namespaces}.{q('cluster_id')}"
            f" WHERE {where} ORDER BY c.{name}, {namespaces}.{name}"
        )
        start = window.start or 0
        if window.stop is not None:
            sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, window.stop - start, start]
        elif start:
            raise ValueError("an open-ended slice of the access lines")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        label = labels_of(NamespaceStatus)
        url = row_urls("namespace_detail")
        labels: dict[str, str] = {}  # each status translated once for the page
        return [
            AccessLine(
                name,
                display_name,
                team,
                cluster,
                status,
                labels[status] if status in labels else labels.setdefault(status, label(status)),
                url(name),
            )
            for name, display_name, team, cluster, status in rows
        ]


# What the access page reads of a cluster: the kubeconfig limit (``kubeconfig_limit``) and the
# unreachable notice. Only these are loaded (half the time of every column but the
# credentials); reading another would cost a query per cluster, which the page's query count
# test would catch.
ACCESS_CLUSTER_FIELDS = ("name", "max_token_hours", "reachable", "credentials_rejected", "last_checked_at")


def access_overview(*, user) -> AccessOverview:
    """One query whatever the number of namespaces: the clusters holding the user's namespaces,
    each with how many and the first by name; the namespaces are read a page at a time from
    ``namespaces``.

    SQL written out (as ``AccessLines``) around the condition the ORM compiled for the user's
    namespaces: an aggregate per cluster and then the clusters, through the ORM, cost two
    queries and 0.5 ms more to build."""
    condition = _namespace_condition(namespaces_for_user(user=user).select_related(None))
    if condition is None:
        return AccessOverview(clusters=[], first_namespace="", namespaces=AccessLines(None, 0))
    where, params = condition
    q = connection.ops.quote_name
    namespaces, clusters = q(Namespace._meta.db_table), q(Cluster._meta.db_table)
    fields = {f.name: f.column for f in Cluster._meta.concrete_fields}
    columns = ", ".join(f"c.{q(fields[f])}" for f in ("id", *ACCESS_CLUSTER_FIELDS))
    cluster_id = q(Namespace._meta.get_field("cluster").column)
    # Only the models' quoted table and column names, and the compiled condition, are spliced in.
    sql = (
        f"SELECT {columns}, g.namespace_count, g.first_namespace FROM {clusters} c"  # noqa: S608
        f" INNER JOIN (SELECT {namespaces}.{cluster_id} AS cluster_id, COUNT(*) AS namespace_count,"
        f" MIN({namespaces}.{q('name')}) AS first_namespace FROM {namespaces} WHERE {where}"
        f" GROUP BY {namespaces}.{cluster_id}) g ON g.cluster_id = c.{q(fields['id'])}"
        f" ORDER BY c.{q(fields['name'])}"
    )
    found = list(Cluster.objects.raw(sql, params))
    return AccessOverview(
        clusters=found,
        first_namespace=min((vars(c)["first_namespace"] for c in found), default=""),
        namespaces=AccessLines(condition, sum(vars(c)["namespace_count"] for c in found)),
    )


def _count(namespaces: QuerySet[Namespace]) -> Subquery:
    """How many ``namespaces`` there are, as a subquery: ``COUNT(*)``, not grouped, so that
    PostgreSQL too counts from the index alone (an index-only scan; ``COUNT(id)`` reads the rows)."""
    counted = namespaces.order_by().annotate(count=Func(template="COUNT(*)", output_field=IntegerField()))
    return Subquery(counted.values("count"), output_field=IntegerField())


def clusters_with_usage(*, pk: int | None = None) -> list[Cluster]:
    """Every cluster with ``live_namespaces`` (how many it holds) and ``has_stored_kubeconfig``.

    The stored credentials themselves are never loaded for a list. ``pk`` narrows it to one
    cluster (a table row).
    """
    rows = Cluster.objects.filter(pk=pk) if pk is not None else Cluster.objects.all()
    # A cluster's namespaces less its deleted ones, each counted from an index alone (the
    # cluster foreign key's; status and cluster): 0.4 ms with 20,000 namespaces on SQLite,
    # where counting the ones not deleted read every row's status (2 ms); on PostgreSQL two
    # index-only scans, 1.6 ms against 2.4 for 20,000 rows of one cluster.
    in_cluster = Namespace.objects.filter(cluster=OuterRef("pk"))
    live = _count(in_cluster) - _count(in_cluster.filter(status=NamespaceStatus.DELETED))
    clusters: list[Cluster] = list(
        rows.defer("kubeconfig_encrypted").annotate(
            live_namespaces=live,
            has_stored_kubeconfig=ExpressionWrapper(~Q(kubeconfig_encrypted=""), output_field=BooleanField()),
        )
    )
    return clusters


def namespaces_in_error() -> QuerySet[Namespace]:
    return (
        Namespace.objects.filter(status=NamespaceStatus.ERROR)
        .select_related("team", "provisioning")
        .order_by("name")
    )


def namespaces_owned_on_cluster() -> QuerySet[Namespace]:
    """Live namespaces the provisioner created on their cluster and proved its own (UID
    recorded): the only ones any worker may write into."""
    return Namespace.objects.live().filter(provisioning__cluster_uid__gt="")


def namespace_cluster_uid(namespace: Namespace) -> str:
    """The UID the console recorded when it created the namespace on its cluster; "" if none."""
    try:
        return namespace.provisioning.cluster_uid
    except NamespaceProvisioning.DoesNotExist:
        return ""


def cluster_for_staff(*, pk: int) -> Cluster:
    return get_object_or_404(Cluster, pk=pk)


def namespace_for_staff(*, pk: int) -> Namespace:
    return get_object_or_404(
        Namespace.objects.live().select_related("team", "cluster", "provisioning"), pk=pk
    )


@dataclass(frozen=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""
    # The console user behind a u<id> identity, when it is one of this console's.
    email: str = ""


@dataclass(frozen=True)
class LiveRoleBinding:
    name: str
    role: str  # "ClusterRole tenant-admin" or "Role pod-reader"
    subjects: tuple[Subject, ...]
    managed: bool  # made by the console (from the namespace's members)


def namespace_role_bindings(*, namespace: Namespace) -> list[LiveRoleBinding]:
    """Every RoleBinding in the namespace as the cluster has it: who can reach it.

    Read with the console's identity, and only from a namespace the console proved its own
    (its UID recorded). Raises ``KubeError`` when the cluster cannot be read.
    """
    if not namespace_cluster_uid(namespace):
        return []
    platform = platform_settings_from_django(settings)
    gateway = gateway_for_cluster(namespace.cluster)
    items = gateway.list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace.name)
    prefix = f"system:serviceaccount:{platform.system_namespace}:"

    def console_account(subject: dict) -> str:
        """The u<id> name when the subject is one of the console's per-user identities."""
        if subject.get("kind") == "ServiceAccount" and subject.get("namespace") == platform.system_namespace:
            return subject.get("name", "")
        if subject.get("kind") == "User" and subject.get("name", "").startswith(prefix):
            return subject["name"][len(prefix) :]
        return ""

    ids = {
        int(account[1:])
        for item in items
        for subject in item.get("subjects") or []
        if (account := console_account(subject)).startswith("u") and account[1:].isdigit()
    }
    emails = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "email")) if ids else {}
    rows = []
    for item in items:
        meta, ref = item["metadata"], item.get("roleRef") or {}
        subjects = []
        for subject in item.get("subjects") or []:
            account = console_account(subject)
            user_id = int(account[1:]) if account.startswith("u") and account[1:].isdigit() else None
            subjects.append(
                Subject(
                    kind=subject.get("kind", ""),
                    name=subject.get("name", ""),
                    namespace=subject.get("namespace", ""),
                    email=emails.get(user_id, "") if user_id is not None else "",
                )
            )
        labels = meta.get("labels") or {}
        rows.append(
            LiveRoleBinding(
                name=meta["name"],
                role=f"{ref.get('kind', '')} {ref.get('name', '')}",
                subjects=tuple(subjects),
                managed=labels.get(names.MANAGED_BY_LABEL) == platform.managed_by,
            )
        )
    return sorted(rows, key=lambda row: (not row.managed, row.name))


def team_for_staff(*, slug: str) -> Team:
    return get_object_or_404(Team, slug=slug)


def team_placement_for_staff(*, team: Team) -> TeamPlacement | None:
    return (
        TeamPlacement.objects.filter(team=team).select_related("default").prefetch_related("clusters").first()
    )


def clusters_for_placement() -> QuerySet[Cluster]:
    return Cluster.objects.defer("kubeconfig_encrypted").order_by("name")
