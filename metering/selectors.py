"""Metering reads: quota overviews, requests, usage series, near-limit warnings, capacity.

Every function costs a fixed number of queries whatever the number of namespaces or samples.
"""

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Field,
    FloatField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual, In
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_noop

from clusters.kube.spec import plan_network
from clusters.models import Cluster
from core.choices import labels_of
from core.compiled import ID_STAND_IN, CompiledPages, CompiledQuery, converted_rows
from core.html import json_script_of_text
from core.translations import per_language
from metering.amounts import (
    RESOURCES,
    Amounts,
    Resource,
    amounts_of,
    apply_amounts,
    empty_amounts,
    hard_map,
    is_zero,
    plan_defaults,
    shortfall,
    subtract,
)
from metering.models import (
    COUNTER_METRICS,
    ClusterRuntime,
    ClusterState,
    Metric,
    NamespaceQuota,
    QuotaRequest,
    QuotaRequestStatus,
    RuntimeClassProfile,
    TeamQuota,
    UsageHourly,
    UsageQuarterHour,
    UsageSample,
)
from metering.preloaded import UNREAD, preloaded
from metering.quantities import BYTES, COUNT, CPU
from metering.runtime_selection import runtime_policy_of
from metering.sqltime import QUARTER, epoch_sql, quarter_ceiling
from tenants import permissions
from tenants.models import Namespace, NamespaceStatus, Team
from tenants.selectors import ScopedQuery, namespaces_for_user, visible_namespace_ids, visible_namespaces

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# Usage metric measured against an allocated resource, for bars and warnings.
USED_VS_ALLOCATED = {
    "cpu": Metric.CPU_REQUEST,
    "memory": Metric.MEMORY_REQUEST,
    "storage": Metric.STORAGE_REQUEST,
    "gpus": Metric.GPU_REQUEST,
    "pods": Metric.PODS,
    "load_balancers": Metric.LOAD_BALANCERS,
}
METRIC_KIND: dict[str, str] = {
    Metric.CPU_REQUEST: CPU,
    Metric.CPU_LIMIT: CPU,
    Metric.CPU_USAGE: CPU,
    Metric.MEMORY_REQUEST: BYTES,
    Metric.MEMORY_LIMIT: BYTES,
    Metric.MEMORY_USAGE: BYTES,
    Metric.STORAGE_REQUEST: BYTES,
}
# (title, kind of quantity, metrics); bytes are scaled to one binary unit per chart.
CHART_GROUPS = (
    (gettext_noop("CPU"), CPU, (Metric.CPU_REQUEST, Metric.CPU_LIMIT, Metric.CPU_USAGE)),
    (gettext_noop("Memory"), BYTES, (Metric.MEMORY_REQUEST, Metric.MEMORY_LIMIT, Metric.MEMORY_USAGE)),
    (gettext_noop("Storage"), BYTES, (Metric.STORAGE_REQUEST,)),
    (
        gettext_noop("GPUs, pods and load balancers"),
        COUNT,
        (Metric.GPU_REQUEST, Metric.PODS, Metric.LOAD_BALANCERS),
    ),
    (
        gettext_noop("Network"),
        BYTES,
        (
            Metric.NET_INGRESS_INTERNAL,
            Metric.NET_INGRESS_EXTERNAL,
            Metric.NET_EGRESS_INTERNAL,
            Metric.NET_EGRESS_EXTERNAL,
        ),
    ),
)
BINARY_UNITS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def chart_unit(kind: str, largest: float) -> tuple[str, float]:
    """The unit a chart's axis is drawn in, and what to divide base values by."""
    if kind == CPU:
        # Translators: the unit on a chart's CPU axis.
        return gettext("cores"), 1
    if kind == BYTES:
        return next(((unit, size) for unit, size in BINARY_UNITS if largest >= size), ("B", 1))
    return "", 1


def _to_base(metric: str, value: Decimal) -> int:
    """Samples hold cores and bytes; allocations hold millicores and bytes."""
    return int(value * 1000) if METRIC_KIND.get(metric) == CPU else int(value)


@dataclass
class AllocationRow:
    namespace: "Namespace | AllocationNamespace"
    amounts: Amounts
    usage_url: str = ""  # the namespace's usage page, for a page that links it


@dataclass
class QuotaOverview:
    """A team's quota as one user may see it: the team's totals, and the namespaces the user
    can see (all of them for the team's owners and managers and for staff), by name with their
    allocations, read when iterated (a page at a time on the quota page)."""

    team_quota: TeamQuota
    limit: Amounts
    allocated: Amounts
    remaining: Amounts
    namespace_count: int

    # How many namespaces the user sees, when known without a query (they see them all).
    visible_count: int | None
    # What builds ``namespaces``.
    visible_namespaces: Callable[[], QuerySet[Namespace]] = field(repr=False)

    @functools.cached_property
    def namespaces(self) -> QuerySet[Namespace]:
        """The namespaces the user can see, built when first asked for: the quota page of
        someone who sees them all reads its page by a compiled query and never asks (building
        this queryset cost 0.1 ms)."""
        return self.visible_namespaces()

    @property
    def rows(self) -> list[AllocationRow]:
        """Every visible namespace's allocation."""
        return allocation_rows(self.namespaces)


# The columns of an allocation (``amounts_of`` reads these).
ALLOCATION_FIELDS = [*(r.field for r in RESOURCES), "storage_classes"]


def allocation_rows(namespaces: Iterable[Namespace]) -> list[AllocationRow]:
    """One row per namespace of ``QuotaOverview.namespaces`` (their allocations came with them)."""
    return [AllocationRow(ns, amounts_of(ns.quota if _has_quota(ns) else None)) for ns in namespaces]


@dataclass(frozen=True)
class AllocationNamespace:
    """What the quota page shows of a namespace in its allocation table and request form."""

    name: str
    display_name: str

    @property
    def label(self) -> str:  # as ``Namespace.label``
        return self.display_name or self.name


# The columns of an allocation table's row (``allocation_page``).
ALLOCATION_ROW_FIELDS = ("name", "display_name", "quota__id", *[f"quota__{f}" for f in ALLOCATION_FIELDS])

_ALLOCATION_ROWS = CompiledQuery(
    lambda team_id: (
        Namespace.objects.live().filter(team_id=team_id).order_by("name").values(*ALLOCATION_ROW_FIELDS)
    ),
    ID_STAND_IN,
    sliced=True,
)


def allocation_page(overview: "QuotaOverview", team: Team):
    """``overview.namespaces`` as ``values(*ALLOCATION_ROW_FIELDS)`` rows, for the paginator: when
    the user sees every live namespace of the team, each page's SQL is built once per process
    (``core.compiled``; 0.3 ms of Python on every quota page), else the restricted queryset."""
    if overview.visible_count is None:
        return overview.namespaces.values(*ALLOCATION_ROW_FIELDS)
    return CompiledPages(_ALLOCATION_ROWS, team.pk)


# Each resource's key in ``Amounts`` and its column in an ``allocation_page`` row.
_ALLOCATION_COLUMNS = tuple((r.key, f"quota__{r.field}") for r in RESOURCES)


def allocation_rows_of_values(rows: Iterable[dict]) -> list[AllocationRow]:
    """``allocation_rows`` of ``allocation_page`` rows: a namespace without an allocation holds
    nothing, as ``amounts_of(None)``."""
    result = []
    for row in rows:
        if row["quota__id"] is None:
            amounts = empty_amounts()
        else:
            classes = row["quota__storage_classes"] or {}
            amounts = {key: int(row[column]) for key, column in _ALLOCATION_COLUMNS}
            amounts["storage_classes"] = {k: int(v) for k, v in classes.items()}
        result.append(AllocationRow(AllocationNamespace(row["name"], row["display_name"]), amounts))
    return result


def _sees_every_namespace(user, team: Team) -> bool:
    return permissions.has_team_perm(user, permissions.MANAGE_QUOTA, team)


def _visible_namespace_ids(*, user, team: Team):
    """None when the user sees all the team's namespaces, else the ids of those they may see."""
    if _sees_every_namespace(user, team):
        return None
    return namespaces_for_user(user=user).filter(team=team).values("id")


def team_quota_for(*, team: Team, stored: TeamQuota | None = UNREAD) -> TeamQuota:
    """The team's quota as stored or, before any service needed one, its plan's defaults (unsaved).
    ``stored``: the stored one (or None) when the caller read it already."""
    quota = TeamQuota.objects.filter(team=team).first() if stored is UNREAD else stored
    if quota is None:
        amounts, max_namespaces, _ = plan_defaults(team.plan)
        quota = TeamQuota(team=team, max_namespaces=max_namespaces)
        apply_amounts(quota, amounts)
    return quota


def namespace_quota_hard(namespace) -> dict[str, str]:
    """The ResourceQuota ``hard`` map the provisioner applies for ``namespace``.

    A namespace without an allocation gets zero of everything.
    """
    allocation = amounts_of(NamespaceQuota.objects.filter(namespace_id=namespace.pk).first())
    team_quota = TeamQuota.objects.filter(team_id=namespace.team_id).first()
    if team_quota is not None:
        allowed = set(team_quota.storage_classes or {})
    else:
        allowed = set(plan_defaults(namespace.team.plan)[0]["storage_classes"])
    state = ClusterState.objects.filter(cluster_id=namespace.cluster_id).first()
    known = set(state.storage_classes) if state else set()
    return hard_map(allocation=allocation, allowed_classes=allowed, known_classes=known)


def _totals_query(class_names: tuple[str, ...]) -> CompiledQuery:
    """The team's live namespaces counted, their allocations summed per resource and per storage
    class in ``class_names`` (``class_<n>``), grouped by the one team: the aggregate's row, or
    none when it has no live namespace."""

    def build(team_id: int) -> QuerySet:
        class_sums = {
            f"class_{n}": Sum(Cast(KeyTextTransform(name, "quota__storage_classes"), BigIntegerField()))
            for n, name in enumerate(class_names)
        }
        return (
            Namespace.objects.live()
            .filter(team_id=team_id)
            .order_by()
            .values("team_id")
            .annotate(count=Count("pk"), **{r.key: Sum(f"quota__{r.field}") for r in RESOURCES}, **class_sums)
            .values_list("count", *[r.key for r in RESOURCES], *class_sums)
        )

    return CompiledQuery(build, ID_STAND_IN)


# The totals' queries by the storage classes they sum: a team quota names a few of the
# clusters' classes, so there are few; kept while there are at most this many.
_TOTALS: dict[tuple[str, ...], CompiledQuery] = {}
MAX_TOTALS_QUERIES = 256


def _live_namespace_totals(team_id: int, class_names: tuple[str, ...]) -> dict:
    """The totals (``_totals_query``) of the team, None where nothing is allocated: one query,
    its SQL built once per process for each tuple of class names (``core.compiled``: building
    and compiling the dozen sums cost 0.5 ms on every quota page)."""
    query = _TOTALS.get(class_names)
    if query is None:
        if len(_TOTALS) >= MAX_TOTALS_QUERIES:
            _TOTALS.clear()
        query = _TOTALS[class_names] = _totals_query(class_names)
    names = ["count", *[r.key for r in RESOURCES], *[f"class_{n}" for n in range(len(class_names))]]
    rows = query.rows(team_id)
    return dict(zip(names, rows[0], strict=True)) if rows else {"count": 0, **dict.fromkeys(names[1:])}


def team_quota_overview(*, team: Team, user) -> QuotaOverview:
    """Two queries whatever the number of namespaces (one when the team came with its quota):
    the team quota, and the live namespaces counted with their allocations summed by the
    database, each storage class the team quota names too (a key of each allocation's JSON
    object). The visible namespaces are not read.

    Allocations hold only classes their team quota names: the services refuse a class the team
    quota does not allow, and a team quota that would drop a class still allocated.
    """
    # The page reads the team with its quota (``select_related("quota")``).
    team_quota = team_quota_for(team=team, stored=preloaded(team, "quota"))
    class_names = tuple(sorted(team_quota.storage_classes or {}))
    totals = _live_namespace_totals(team.pk, class_names)
    # A class no allocation names stays out, as it would summing the objects one by one.
    classes = {
        name: int(totals[f"class_{n}"])
        for n, name in enumerate(class_names)
        if totals[f"class_{n}"] is not None
    }
    allocated: Amounts = {**{r.key: int(totals[r.key] or 0) for r in RESOURCES}, "storage_classes": classes}
    sees_all = _sees_every_namespace(user, team)

    def visible_namespaces() -> QuerySet[Namespace]:
        live = Namespace.objects.live().filter(team=team)
        visible = live if sees_all else live.filter(pk__in=_visible_namespace_ids(user=user, team=team))
        return (
            visible.select_related("quota")
            .only("name", "display_name", "team_id", *[f"quota__{field}" for field in ALLOCATION_FIELDS])
            .order_by("name")
        )

    limit = amounts_of(team_quota)
    return QuotaOverview(
        team_quota=team_quota,
        limit=limit,
        allocated=allocated,
        remaining=subtract(limit, allocated),
        namespace_count=totals["count"],
        visible_count=totals["count"] if sees_all else None,
        visible_namespaces=visible_namespaces,
    )


def _has_quota(namespace: Namespace) -> bool:
    try:
        namespace.quota  # noqa: B018 - reverse one-to-one raises when absent
    except NamespaceQuota.DoesNotExist:
        return False
    return True


def team_quota_requests(*, team: Team, user, status: str | None = None) -> QuerySet[QuotaRequest]:
    """The team's quota requests for the namespaces ``user`` can see."""
    requests = QuotaRequest.objects.filter(team=team).select_related(
        "namespace", "requested_by", "decided_by"
    )
    visible = _visible_namespace_ids(user=user, team=team)
    if visible is not None:
        requests = requests.filter(namespace_id__in=visible)
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-created_at", "-id")


@dataclass
class PendingRequest:
    """A pending quota request with who may decide it, judged against the team's quota now."""

    request: QuotaRequest
    within_team_quota: bool
    may_approve: bool
    may_deny: bool

    @property
    def decider(self) -> str:
        return "the team's owners and managers" if self.within_team_quota else "a cluster admin"


@dataclass
class QuotaRequestsPage:
    """The quota page's requests: every pending one ``user`` can see, with who may decide
    it, and the ``RECENTLY_DECIDED`` latest decided ones."""

    pending: list[PendingRequest]
    recent: list[QuotaRequest]


RECENTLY_DECIDED = 10


# What the quota page shows of a request.
_REQUEST_FIELDS = (
    "status",
    "reason",
    "decision_note",
    "created_at",
    *ALLOCATION_FIELDS,
    "namespace__name",
    "requested_by__email",
)


def _shown_requests(
    visible: QuerySet[QuotaRequest], decided: QuerySet[QuotaRequest]
) -> QuerySet[QuotaRequest]:
    """Of ``visible`` (ordered latest first), the pending requests and the ``RECENTLY_DECIDED``
    latest of ``decided`` (the same requests, read again in a subquery)."""
    latest_decided = decided.exclude(status=QuotaRequestStatus.PENDING).values("pk")[:RECENTLY_DECIDED]
    return (
        visible.select_related(None)
        .select_related("namespace", "requested_by")
        .only(*_REQUEST_FIELDS)
        .filter(Q(status=QuotaRequestStatus.PENDING) | Q(pk__in=latest_decided))
    )


# For those who see every request of the team: the team's id twice (the requests and the
# subquery of the latest decided), two stand-ins (``core.compiled``; building and compiling
# the query and its subquery cost 0.5 ms on every quota page).
_TEAM_REQUESTS = CompiledQuery(
    lambda team_id, team_id_again: _shown_requests(
        QuotaRequest.objects.filter(team_id=team_id).order_by("-created_at", "-id"),
        QuotaRequest.objects.filter(team_id=team_id_again).order_by("-created_at", "-id"),
    ),
    ID_STAND_IN,
    ID_STAND_IN - 100,
)


def quota_requests_page(*, team: Team, user, remaining: Amounts) -> QuotaRequestsPage:
    """The pending requests, each saying who decides it (within the team's ``remaining``
    quota its owners and managers, beyond it only staff: approving raises the team quota),
    and the latest decided ones; one query for both (its SQL built once per process for those
    who see every request of the team)."""
    if _sees_every_namespace(user, team):  # team_quota_requests restricts nothing
        requests = _TEAM_REQUESTS.all(team.pk, team.pk)
    else:
        visible = team_quota_requests(team=team, user=user)
        requests = list(_shown_requests(visible, visible))
    may_deny = permissions.has_team_perm(user, permissions.MANAGE_QUOTA, team)
    shown = QuotaRequestsPage(pending=[], recent=[])
    for request in requests:
        if request.status != QuotaRequestStatus.PENDING:
            shown.recent.append(request)
            continue
        within = is_zero(shortfall(wanted=amounts_of(request), available=remaining))
        may_approve = permissions.may_approve_quota_request(user, team, within_team_quota=within)
        shown.pending.append(PendingRequest(request, within, may_approve, may_deny))
    return shown


def staff_quota_requests() -> QuerySet[QuotaRequest]:
    return (
        QuotaRequest.objects.filter(status=QuotaRequestStatus.PENDING)
        .select_related("namespace", "team", "requested_by")
        .order_by("-needs_staff", "created_at")
    )


def team_quota_request(*, team: Team, request_id: int) -> QuotaRequest:
    """A request of a team the caller already passed the access check for (404 otherwise)."""
    return get_object_or_404(
        QuotaRequest.objects.select_related("namespace", "team"), team=team, pk=request_id
    )


# What the dashboard shows of a quota request.
DASHBOARD_REQUEST_FIELDS = (
    "pk",
    "namespace__name",
    "team__name",
    "team__slug",
    "needs_staff",
    "requested_by__email",
    "reason",
    "created_at",
    "status",
)


# Where each of ``DASHBOARD_REQUEST_FIELDS`` is read from: (model, field), None for the user model.
_DASHBOARD_REQUEST_COLUMNS = (
    (QuotaRequest, "id"),
    (Namespace, "name"),
    (Team, "name"),
    (Team, "slug"),
    (QuotaRequest, "needs_staff"),
    (None, "email"),
    (QuotaRequest, "reason"),
    (QuotaRequest, "created_at"),
    (QuotaRequest, "status"),
)


@functools.cache
def _dashboard_request_fields() -> tuple[Field, ...]:
    """The model field each column of the dashboard's request query reads (looked up once)."""
    found = []
    for model, name in _DASHBOARD_REQUEST_COLUMNS:
        model_field = (model or get_user_model())._meta.get_field(name)
        assert isinstance(model_field, Field)
        found.append(model_field)
    return tuple(found)


@functools.cache
def _dashboard_requests_sql(vendor: str) -> tuple[str, dict[str, str]]:
    """The dashboard's request query up to its conditions, and the quoted names of the
    requests' columns its conditions and order name, for a database ``vendor`` (its quoting);
    put together once per process."""
    q = connection.ops.quote_name
    requests, namespaces = q(QuotaRequest._meta.db_table), q(Namespace._meta.db_table)
    teams, users = q(Team._meta.db_table), q(get_user_model()._meta.db_table)
    pk, name = q("id"), q("name")
    # Only the models' quoted table and column names are spliced in.
    select = (
        f"SELECT r.{pk}, n.{name}, t.{name}, t.{q('slug')}, r.{q('needs_staff')}, u.{q('email')},"  # noqa: S608
        f" r.{q('reason')}, r.{q('created_at')}, r.{q('status')}"
        f" FROM {requests} r INNER JOIN {namespaces} n ON n.{pk} = r.{q('namespace_id')}"
        f" INNER JOIN {teams} t ON t.{pk} = r.{q('team_id')}"
        f" LEFT OUTER JOIN {users} u ON u.{pk} = r.{q('requested_by_id')}"
    )
    columns = ("id", "status", "needs_staff", "team_id", "requested_by_id", "created_at")
    return select, {column: q(column) for column in columns}


def _dashboard_requests(where: str, params: list, order: str) -> list[dict]:
    """Up to 20 quota requests matching ``where`` (conditions on ``r``, the requests), as rows
    of ``DASHBOARD_REQUEST_FIELDS``: standard SQL, the same on SQLite and PostgreSQL, with the
    tables and columns the models name, read by a cursor and each value converted as the ORM
    converts it (``raw()`` cost three times the query in Python)."""
    select, c = _dashboard_requests_sql(connection.vendor)
    # The callers' own conditions are spliced in.
    sql = f"{select} WHERE {where} ORDER BY r.{c['created_at']} {order}, r.{c['id']} {order} LIMIT 20"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        dict(zip(DASHBOARD_REQUEST_FIELDS, values, strict=True))
        for values in converted_rows(rows, _dashboard_request_fields())
    ]


def quota_requests_for_dashboard(*, user) -> dict[str, list[dict]]:
    """Requests waiting for this user's decision, and the user's own requests from the last 14
    days, as rows of ``DASHBOARD_REQUEST_FIELDS`` (and ``status_label``). Two queries at most
    (none for the first when the user decides no requests).

    SQL written out: the same two querysets (three joins each) cost 0.6 ms of Python to build
    and compile on every dashboard."""
    c = _dashboard_requests_sql(connection.vendor)[1]
    admin_team_ids = permissions.role_team_ids(user, permissions.MANAGE_QUOTA)
    in_admin_teams = f"r.{c['team_id']} IN ({', '.join(['%s'] * len(admin_team_ids))})"
    pending = [QuotaRequestStatus.PENDING.value]
    to_decide: list[dict] = []
    if permissions.is_staff(user):
        where = f"r.{c['status']} = %s AND (r.{c['needs_staff']} = %s"
        where += f" OR {in_admin_teams})" if admin_team_ids else ")"
        to_decide = _dashboard_requests(where, [*pending, True, *admin_team_ids], "ASC")
    elif admin_team_ids:
        where = f"r.{c['status']} = %s AND r.{c['needs_staff']} = %s AND {in_admin_teams}"
        to_decide = _dashboard_requests(where, [*pending, False, *admin_team_ids], "ASC")
    since = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=14))
    mine = _dashboard_requests(
        f"r.{c['requested_by_id']} = %s AND r.{c['created_at']} >= %s", [user.pk, since], "DESC"
    )
    label = labels_of(QuotaRequestStatus)
    for row in mine:
        row["status_label"] = label(row["status"])
    return {"to_decide": to_decide, "mine": mine}


@dataclass
class NearLimit:
    namespace: str  # its name
    resource: str
    label: str
    used: int
    allocated: int
    kind: str = ""

    @property
    def ratio(self) -> float:
        return self.used / self.allocated if self.allocated else 1.0

    @property
    def percent(self) -> int:
        return round(100 * self.ratio)

    @property
    def state(self) -> str:
        return "full" if self.ratio >= 1 else "near"


def _latest_samples(namespace_ids, metrics, windows=None) -> dict[int, dict[str, UsageSample]]:
    """The most recent collected window's samples per namespace: one query for the clusters'
    latest windows (unless ``windows`` are given), one for the samples."""
    if windows is None:
        windows = {
            w for w in ClusterState.objects.values_list("last_window_start", flat=True) if w is not None
        }
    latest: dict[int, dict[str, UsageSample]] = defaultdict(dict)
    if not windows:
        return latest
    rows = UsageSample.objects.filter(
        namespace_id__in=namespace_ids, metric__in=metrics, window_start__in=windows
    ).order_by("window_start")
    for sample in rows:
        latest[sample.namespace_id][sample.metric] = sample
    return latest


# The resource each measured metric is held against, and the metrics counted in cores.
RESOURCE_BY_METRIC: dict[str, Resource] = {
    USED_VS_ALLOCATED[r.key]: r for r in RESOURCES if r.key in USED_VS_ALLOCATED
}
CORE_METRICS = [metric for metric, kind in METRIC_KIND.items() if kind == CPU]
# The allocation column each measured metric is held against.
_ALLOCATED_COLUMN = {metric: f"namespace__quota__{r.field}" for metric, r in RESOURCE_BY_METRIC.items()}


@functools.cache
def _latest_window_samples() -> QuerySet:
    """Every namespace's samples of the resources held against an allocation in its cluster's
    latest collected window, above zero, aliased with their used amount (whole base units
    times 1000 for cores, as allocations count millicores) and their allocation (zero when
    none). Built once: it names no user, and resolving its joins and cases cost more than a
    millisecond on each dashboard; each call narrows a copy."""
    metric = F("metric")
    used = Case(
        When(In(metric, CORE_METRICS), then=F("quantity") * 1000),
        default=F("quantity"),
        output_field=FloatField(),
    )
    allocated = Case(
        *(When(Exact(metric, name), then=F(column)) for name, column in _ALLOCATED_COLUMN.items()),
        output_field=FloatField(),
    )
    return (
        UsageSample.objects.filter(
            window_start=F("namespace__cluster__metering_state__last_window_start"),
            metric__in=list(RESOURCE_BY_METRIC),
            quantity__gt=0,
        )
        .alias(used=used, allocated=Coalesce(allocated, 0.0))
        .values_list("namespace__name", "metric", "quantity", *_ALLOCATED_COLUMN.values())
    )


def _near_limit_rows(threshold: float, namespaces: QuerySet[Namespace]) -> QuerySet:
    """The latest window's samples of ``namespaces`` within one unit of ``threshold`` of their
    allocation or above it."""
    return _latest_window_samples().filter(
        GreaterThanOrEqual(F("used"), F("allocated") * threshold - 1),
        namespace__in=namespaces.values("pk"),
    )


def _near_limits_query(threshold: float) -> ScopedQuery:
    return ScopedQuery(
        visible_namespace_ids, lambda id_lists: _near_limit_rows(threshold, visible_namespaces(id_lists))
    )


# The near-limit query of each threshold over the namespaces a user can see, compiled once per
# process for each shape of their scope (its joins, cases and subquery cost about 0.8 ms of
# Python to build and compile on every dashboard).
_NEAR_LIMITS: dict[float, ScopedQuery] = {}


def namespaces_near_limits(*, user, threshold: float | None = None) -> list[NearLimit]:
    """Namespaces the user can see whose usage in their cluster's latest collected window is at
    or above ``METERING_NEAR_LIMIT_RATIO`` of their allocation, or above zero without one (for
    the dashboard). One query, which returns only the samples near a limit, whatever the
    number of namespaces: used is truncated to whole base units in Python, so the database
    keeps everything within one unit of the line and Python draws it. A missing allocation
    counts as zero, which the database lets every used amount above zero pass."""
    threshold = settings.METERING_NEAR_LIMIT_RATIO if threshold is None else threshold
    near = _NEAR_LIMITS.get(threshold)
    if near is None:
        near = _NEAR_LIMITS.setdefault(threshold, _near_limits_query(threshold))
    scoped = near.for_user(user)
    if scoped is None:  # no namespace in reach: the queryset reads nothing
        rows = list(_near_limit_rows(threshold, namespaces_for_user(user=user)))
    else:
        query, ids = scoped
        rows = query.rows(*ids)
    warnings = []
    for name, metric, quantity, *allocations in rows:
        resource = RESOURCE_BY_METRIC[metric]
        used_now = _to_base(metric, quantity)  # above zero: filtered
        allocated_now = int(dict(zip(_ALLOCATED_COLUMN, allocations, strict=True))[metric] or 0)
        if (allocated_now and used_now / allocated_now >= threshold) or (not allocated_now and used_now):
            warnings.append(
                NearLimit(name, resource.key, gettext(resource.label), used_now, allocated_now, resource.kind)
            )
    return sorted(warnings, key=lambda w: (-w.ratio, w.namespace, w.resource))


@dataclass
class QuotaBar:
    key: str
    label: str
    kind: str
    used: int | None
    allocated: int

    @property
    def percent(self) -> int:
        if self.used is None:
            return 0
        if not self.allocated:
            return 100 if self.used else 0
        return min(100, round(100 * self.used / self.allocated))

    @property
    def state(self) -> str:
        if self.used is None:
            return "unknown"
        if self.percent >= 100:
            return "full"
        return "near" if self.percent >= 80 else "ok"


@dataclass
class NamespaceUsage:
    range_key: str
    start: datetime
    end: datetime
    bars: list[QuotaBar]
    # The charts' time axis (ISO times), shared by every chart: each series holds a value for
    # the moments (their index) measured, none for a gap, so the page sends each moment once.
    moments: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)

    never_measured: bool = False  # no sample at all yet: a new namespace

    @property
    def has_data(self) -> bool:
        return any(not chart["empty"] for chart in self.charts)

    def values(self, metric: str) -> list[float | None]:
        """A series' value or None (a gap) per moment, in its chart's unit, as the page's chart
        script reads them from ``chart_script`` (and rounds to three decimals)."""
        chart, series = next((c, s) for c in self.charts for s in c["series"] if s["metric"] == metric)
        values: list[float | None] = [None] * len(self.moments)
        for index, value in json.loads(series["points"]).items():
            values[int(index)] = value / chart["divisor"]
        return values

    @property
    def chart_script(self) -> SafeString:
        """What the page's chart script reads (``static/js/charts.js``), as ``json_script``
        would embed it: the moments, and per chart its unit, what to divide its values by and
        its series, each a label and the JSON object of step index to value the database wrote
        (``_chart_points``), spliced in as it came."""

        def series_json(series: dict) -> str:
            return f'{{"label":{json.dumps(series["label"])},"points":{series["points"]}}}'

        charts = ",".join(
            f'{{"unit":{json.dumps(chart["unit"])},"divisor":{chart["divisor"]},'
            f'"series":[{",".join(series_json(series) for series in chart["series"])}]}}'
            for chart in self.charts
        )
        return json_script_of_text(
            f'{{"moments":{json.dumps(self.moments)},"charts":[{charts}]}}', "usage-charts"
        )


def _stepped_sql(
    model: type[UsageHourly] | type[UsageSample],
    moment: str,
    metric_count: int,
    *,
    after_quarters: bool = False,
) -> str:
    """Standard SQL but for ``epoch_sql``, with the table and columns the model names: a
    namespace's values of some metrics in [start, end), summed and counted per metric and step
    of whole seconds from an origin. Parameters: origin, step, namespace id, the metrics,
    start, end; columns metric, step, total and measured. With ``after_quarters`` (samples),
    only those from the end of the namespace's last quarter hour on (``_quarters_sql``), if
    later than the start: the start is then given twice and followed by the namespace id.
    (One lower bound: given two, SQLite ranges the index over the start's and filters by the
    other.)"""
    q = connection.ops.quote_name
    column = {f.name: q(f.column) for f in model._meta.concrete_fields}
    index = f"({epoch_sql(column[moment])} - %s) / %s"
    marks = ", ".join(["%s"] * metric_count)
    lower = "%s"
    if after_quarters:
        quarter = {f.name: q(f.column) for f in UsageQuarterHour._meta.concrete_fields}
        last = f"MAX({quarter['window_end']})"
        lower = (
            f"(SELECT CASE WHEN {last} > %s THEN {last} ELSE %s END"  # noqa: S608
            f" FROM {q(UsageQuarterHour._meta.db_table)} WHERE {quarter['namespace']} = %s)"
        )
    # Only the models' quoted table and column names are spliced in.
    sql = (
        f"SELECT {column['metric']} AS metric, {index} AS step, SUM({column['quantity']}) AS total,"  # noqa: S608
        f" COUNT({column['quantity']}) AS measured FROM {q(model._meta.db_table)}"
        f" WHERE {column['namespace']} = %s AND {column['metric']} IN ({marks})"
        f" AND {column[moment]} >= {lower} AND {column[moment]} < %s"
    )
    return sql + f" GROUP BY {column['metric']}, {index}"


def _quarters_where(metric_count: int) -> str:
    """FROM and WHERE of a namespace's quarter hours of some metrics in a range of quarter
    indexes (``UsageQuarterHour``: the index ``usagequarter_chart``). Parameters: namespace id,
    the metrics, the first quarter and the quarter after the last."""
    q = connection.ops.quote_name
    quarter = {f.name: q(f.column) for f in UsageQuarterHour._meta.concrete_fields}
    marks = ", ".join(["%s"] * metric_count)
    # Only the model's quoted table and column names are spliced in.
    return (
        f" FROM {q(UsageQuarterHour._meta.db_table)}"
        f" WHERE {quarter['namespace']} = %s AND {quarter['metric']} IN ({marks})"
        f" AND {quarter['quarter']} >= %s AND {quarter['quarter']} < %s"
    )


def _quarters_sql(metric_count: int) -> str:
    """``_stepped_sql``'s rows read from the quarter hours the rollup keeps: for a start on a
    quarter hour and steps of a quarter hour, one row a metric and quarter measured. With the
    samples after the namespace's last quarter (``_stepped_sql(after_quarters=True)``), 24 hours
    of a metric are 96 rows or fewer instead of 1,440: each step has one row a metric, its
    quarter's or its samples'. Parameters: the start's quarter (the first step's), then
    ``_quarters_where``'s."""
    quarter = {f.name: connection.ops.quote_name(f.column) for f in UsageQuarterHour._meta.concrete_fields}
    return (
        f"SELECT {quarter['metric']} AS metric, {quarter['quarter']} - %s AS step,"
        f" {quarter['total']} AS total, {quarter['measured']} AS measured{_quarters_where(metric_count)}"
    )


def _stepped_queries(
    *, namespace: Namespace, metrics: list, start: datetime, end: datetime, step: int, quarters: bool
) -> list[tuple[str, list]]:
    """The SQL and parameters of queries whose rows together are one per metric and step
    measured, of metric, step, total and measured (``_stepped_sql``): hourly rollups when
    ``step`` ≥ 3600, raw samples otherwise; with ``quarters``, for a start on a quarter hour and
    steps of one, the rollup's quarter hours (``_quarters_sql``) and the samples after the
    namespace's last quarter (``_stepped_source``)."""
    origin = int(start.timestamp())
    adapt = connection.ops.adapt_datetimefield_value
    source = _stepped_source(start, step, quarters=quarters)
    sqls = _stepped_sqls(connection.vendor, len(metrics), source)
    if source == "quarters":
        first, last = origin // QUARTER, int(end.timestamp()) // QUARTER
        return list(zip(sqls, [
            [first, namespace.pk, *metrics, first, last],
            [origin, step, namespace.pk, *metrics, adapt(start), adapt(start), namespace.pk, adapt(end), origin, step],
        ], strict=True))  # fmt: skip
    return [(sqls[0], [origin, step, namespace.pk, *metrics, adapt(start), adapt(end), origin, step])]


def _stepped_source(start: datetime, step: int, *, quarters: bool) -> str:
    """Where ``_stepped_queries`` reads steps of ``step`` seconds from ``start``: "quarters"
    (the rollup's quarter hours, then samples; only with ``quarters``), "hourly" (rollups, for
    steps of an hour or more) or "samples"."""
    if quarters and _reads_quarters(start, step):
        return "quarters"
    return "hourly" if step >= 3600 else "samples"


@functools.lru_cache(maxsize=32)
def _stepped_sqls(vendor: str, metric_count: int, source: str) -> tuple[str, ...]:
    """The SQL of ``_stepped_queries`` from ``source`` (``_stepped_source``) for ``metric_count``
    metrics, on the connection's database (``vendor``, its key here): written once per process
    for each shape, a cache of query text and never of rows (its quoted names and f-strings
    cost about 0.1 ms on every usage page)."""
    if source == "quarters":
        after = _stepped_sql(UsageSample, "window_start", metric_count, after_quarters=True)
        return (_quarters_sql(metric_count), after)
    model, moment = (UsageHourly, "hour") if source == "hourly" else (UsageSample, "window_start")
    return (_stepped_sql(model, moment, metric_count),)


def _reads_quarters(start: datetime, step: int) -> bool:
    """Whether steps of ``step`` seconds from ``start`` are the rollup's quarter hours."""
    return step == QUARTER and int(start.timestamp()) % QUARTER == 0


def _moments(origin: int, step: int, count: int) -> list[str]:
    """The charts' time axis: ``count`` moments ``step`` seconds apart from ``origin``, ISO
    times in the viewer's time zone."""
    return list(_axis(origin, step, count, timezone.get_current_timezone()))


@functools.lru_cache(maxsize=64)
def _axis(origin: int, step: int, count: int, zone) -> tuple[str, ...]:
    """``_moments`` in ``zone``, written once per process for each axis (the 96 moments of a
    day cost about 0.1 ms; an axis is the same for every page in a quarter hour)."""
    at = datetime.fromtimestamp
    return tuple(at(moment, zone).isoformat() for moment in range(origin, origin + count * step, step))


def _stepped_usage(
    *,
    namespace: Namespace,
    metrics,
    start: datetime,
    end: datetime,
    step: int,
    ever: list[bool] | None = None,
    quarters: bool = False,
) -> tuple[list[str], dict[str, list[float | None]]]:
    """The moments of the steps from ``start`` (``_moments``) and, per metric, one value or
    None per step: hourly rollups when ``step`` ≥ 3600, raw samples otherwise, averaged
    (gauges) or summed (counters) per step. One query, which sums and counts each step's
    values in the database: a month of hourly rows is 30 rows a metric. SQL written out: the
    same values() queryset cost about 0.5 ms of Python to build and compile on every usage
    page. Given ``ever``, a list, appends to it whether the namespace has any rollup or sample
    at all, read in the same query. With ``quarters``, raw samples are read from the rollup's
    quarter hours where it computed them (``_quarters_sql``), when the start is on a quarter
    hour and the step is one; a sample that arrives for a quarter the rollup computed already counts
    from its next run (as in the hourly rollups). The usage page reads the same steps drawn
    as JSON by the database (``_chart_points``)."""
    origin = int(start.timestamp())
    metrics = list(metrics)
    queries = _stepped_queries(
        namespace=namespace, metrics=metrics, start=start, end=end, step=step, quarters=quarters
    )
    sql = " UNION ALL ".join(query for query, _ in queries)
    params = [param for _, query_params in queries for param in query_params]
    if ever is not None:
        sql += f" UNION ALL {_ever_row_sql(4)}"
        params += [namespace.pk, namespace.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        steps = cursor.fetchall()
    # Per metric and step: the sum of the values measured and how many there were (a gap has none).
    buckets: dict[str, dict[int, tuple[float, int]]] = {m: {} for m in metrics}
    for metric, index, total, measured in steps:
        if metric is None:  # the row of ``ever``
            assert ever is not None
            ever.append(bool(measured))
        elif measured:
            buckets[metric][index] = (float(total), measured)
    count = max(1, (int(end.timestamp()) - origin) // step)
    values: dict[str, list[float | None]] = {}
    for metric in metrics:
        got = buckets[metric]
        if not got:
            values[metric] = [None] * count
        elif metric in COUNTER_METRICS:
            values[metric] = [got[i][0] if i in got else None for i in range(count)]
        else:
            values[metric] = [got[i][0] / got[i][1] if i in got else None for i in range(count)]
    return _moments(origin, step, count), values


# A JSON object of keys and values aggregated over rows, in each database's words, as text
# (the PostgreSQL driver would parse a json value into Python objects).
_JSON_OBJECT_AGG = {
    "sqlite": "json_group_object({}, {})",
    "postgresql": "CAST(json_object_agg({}, {}) AS TEXT)",
}


def _steps_chart_sql(stepped: str, counter_count: int) -> str:
    """Per metric measured in ``stepped``'s rows (one per metric and step measured:
    ``_stepped_queries``), its steps' values as one JSON object of the step's index to its
    value in base units (gauges averaged over the step's measured values, counters summed; a
    step with none has no key), and the largest value. Parameters: the counter metrics, then
    ``stepped``'s."""
    marks = ", ".join(["%s"] * counter_count) or "NULL"  # no counter: IN (NULL) holds for none
    total = "CAST(total AS DOUBLE PRECISION)"
    points = _JSON_OBJECT_AGG[connection.vendor].format("step", "value")
    # Only ``stepped`` (quoted model names) and the database's JSON aggregate are spliced in.
    return (
        f"SELECT metric, {points}, MAX(value) FROM ("  # noqa: S608
        f"SELECT metric, step, CASE WHEN metric IN ({marks}) THEN {total} ELSE {total} / measured END"
        f" AS value FROM ({stepped}) steps WHERE measured > 0) chart GROUP BY metric"
    )


def _quarters_chart_sql(metric_count: int) -> str:
    """``_steps_chart_sql`` of the rollup's quarter hours (``_quarters_sql``'s steps) from the
    values it wrote, read from the index alone (``usagequarter_chart``): a third cheaper than
    from their sums and counts. Parameters: the start's quarter (the first step's), then
    ``_quarters_where``'s."""
    quarter = {f.name: connection.ops.quote_name(f.column) for f in UsageQuarterHour._meta.concrete_fields}
    points = _JSON_OBJECT_AGG[connection.vendor].format(f"{quarter['quarter']} - %s", quarter["value"])
    # Only the model's quoted column names and the JSON aggregate are spliced in.
    return (
        f"SELECT {quarter['metric']}, {points}, MAX({quarter['value']})"
        f"{_quarters_where(metric_count)} GROUP BY {quarter['metric']}"
    )


@functools.lru_cache(maxsize=32)
def _chart_sql(vendor: str, metric_count: int, counter_count: int, source: str) -> str:
    """``_chart_points``' query for ``metric_count`` metrics (``counter_count`` of them
    counters) from ``source`` (``_stepped_source``), on the connection's database (``vendor``,
    its key here): each of ``_stepped_sqls`` aggregated on its own, the quarter hours from the
    rollup's values, and the row of ``_ever_row_sql``. Written once per process for each shape
    (a cache of query text, never of rows). Parameters: each query's (a chart's are preceded by
    the counter metrics; the quarters' are not), then the namespace id twice."""
    charts = [_steps_chart_sql(sql, counter_count) for sql in _stepped_sqls(vendor, metric_count, source)]
    if source == "quarters":
        charts[0] = _quarters_chart_sql(metric_count)
    return " UNION ALL ".join([*charts, _ever_row_sql(3)])


def _chart_points(
    *, namespace: Namespace, metrics: list, start: datetime, end: datetime, step: int
) -> tuple[dict[str, tuple[str, float]], bool]:
    """Per metric measured in [start, end): its steps as the database wrote them in JSON
    (``_steps_chart_sql``: what ``_stepped_usage`` gives, its gaps left out) and its largest
    value; and whether the namespace was ever measured. One query; the values are never read
    into Python objects one by one (1,344 of them in 24 hours of the usage page's charts). Each
    of ``_stepped_queries`` is aggregated on its own (the union of their rows, then aggregated,
    cost SQLite a quarter more): the quarter hours from the rollup's values."""
    queries = _stepped_queries(
        namespace=namespace, metrics=metrics, start=start, end=end, step=step, quarters=True
    )
    counters = [metric for metric in metrics if metric in COUNTER_METRICS]
    source = _stepped_source(start, step, quarters=True)
    params = [
        *(
            param
            for n, (_, query_params) in enumerate(queries)
            # the quarters' query reads the values the rollup wrote: no counters to tell apart
            for param in (query_params if source == "quarters" and n == 0 else [*counters, *query_params])
        ),
        namespace.pk,
        namespace.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_chart_sql(connection.vendor, len(metrics), len(counters), source), params)
        rows = cursor.fetchall()
    ever = False
    points: dict[str, tuple[str, float]] = {}
    for metric, steps, largest in rows:
        if metric is None:
            ever = bool(largest)
        elif metric in points:  # its quarters' steps and its samples': two objects of other keys
            before, top = points[metric]
            points[metric] = (f"{before.rstrip()[:-1]},{steps.lstrip()[1:]}", max(top, float(largest)))
        else:
            points[metric] = (steps, float(largest))
    return points, ever


def usage_series(
    *, namespace: Namespace, metrics, start: datetime, end: datetime, step: int
) -> dict[str, list]:
    """``{metric: [[iso time, value or None], ...]}``, one pair per ``step`` seconds from
    ``start`` (see ``_stepped_usage``). One query."""
    moments, values = _stepped_usage(
        namespace=namespace, metrics=metrics, start=start, end=end, step=max(60, int(step))
    )
    return {metric: [list(pair) for pair in zip(moments, values[metric], strict=True)] for metric in metrics}


def namespace_lacks_gpu_quota(*, namespace: Namespace, needs_gpu: bool | None = None) -> bool:
    """A namespace that asks for GPUs but whose allocation holds none: its GPU pods would be refused."""
    if not (runtime_policy_of(namespace).needs_gpu if needs_gpu is None else needs_gpu):
        return False
    quota = preloaded(namespace, "quota")
    if quota is not UNREAD:
        return not (quota and quota.gpus)
    gpus = NamespaceQuota.objects.filter(namespace=namespace).values_list("gpus", flat=True).first()
    return not gpus


@per_language
def _resource_labels() -> dict[str, str]:
    """Each resource's label by its key."""
    return {resource.key: gettext(resource.label) for resource in RESOURCES}


def namespace_quota_bars(*, namespace: Namespace) -> list[QuotaBar]:
    """Latest measured usage against the allocation, per allocated resource: one query for a
    namespace loaded with its quota and its cluster's state (``namespace_for_user(related=...)``),
    up to three otherwise."""
    quota = preloaded(namespace, "quota")
    if quota is UNREAD:
        quota = NamespaceQuota.objects.filter(namespace=namespace).first()
    allocation = amounts_of(quota)
    metrics = list(USED_VS_ALLOCATED.values())
    state = preloaded(namespace.cluster, "metering_state")
    if state is UNREAD:
        samples = _latest_samples([namespace.pk], metrics).get(namespace.pk, {})
        latest = {metric: sample.quantity for metric, sample in samples.items()}
    elif state is None or state.last_window_start is None:
        latest = {}
    else:  # the latest collected window of the namespace's cluster, as its state (loaded) says
        latest = dict(_WINDOW_QUANTITIES.rows(namespace.pk, state.pk))
    labels = _resource_labels()
    bars = []
    for resource in RESOURCES:
        metric = USED_VS_ALLOCATED.get(resource.key)
        if metric is None:
            continue
        quantity = latest.get(metric)
        used = None if quantity is None else _to_base(metric, quantity)
        bars.append(
            QuotaBar(resource.key, labels[resource.key], resource.kind, used, allocation[resource.key])
        )
    return bars


# A namespace's (metric, quantity) of the resources held against its allocation in the latest
# window its cluster's state (the id) records, the last of a metric winning as in
# ``_latest_samples``; compiled once (``core.compiled``): building it cost about 0.2 ms on every
# namespace page.
_WINDOW_QUANTITIES = CompiledQuery(
    lambda namespace_id, state_id: (
        UsageSample.objects.filter(
            namespace_id=namespace_id,
            metric__in=list(USED_VS_ALLOCATED.values()),
            window_start=Subquery(ClusterState.objects.filter(pk=state_id).values("last_window_start")),
        )
        .order_by("window_start")
        .values_list("metric", "quantity")
    ),
    ID_STAND_IN,
    ID_STAND_IN - 100,
)


@per_language
def _chart_words() -> dict[str, str]:
    """The charts' titles (keyed by their source text) and the words of a step."""
    return {
        **{title: gettext(title) for title, _, _ in CHART_GROUPS},
        "per hours": gettext(" per %(hours)s h"),
        "per minutes": gettext(" per %(minutes)s min"),
    }


@functools.lru_cache(maxsize=256)
def _series_label(metric: str, language: str | None) -> str:
    """A chart series' label: the metric's without its unit, in ``language``, the active one
    (translated once per process and language: 14 labels cost 40 µs on every usage page)."""
    return str(Metric(metric).label).split(" (")[0].split("\uff08")[0]


def namespace_usage(*, namespace: Namespace, range_key: str, now: datetime) -> NamespaceUsage:
    """Quota bars (latest usage vs allocation) and chart series for one of ``RANGES``."""
    span = RANGES.get(range_key, RANGES["24h"])
    range_key = range_key if range_key in RANGES else "24h"
    step = {"24h": 900, "7d": 3600, "30d": 6 * 3600}[range_key]
    end = now.replace(second=0, microsecond=0)
    if step == QUARTER:  # steps on the quarter hours, the last one the quarter now is in
        end = quarter_ceiling(now)
    start = end - span
    bars = namespace_quota_bars(namespace=namespace)
    all_metrics = [m for _, _, group in CHART_GROUPS for m in group]
    # Whether the namespace was ever measured, asked in the same query whether or not the range
    # has data, so the page's queries are the same either way.
    points, ever = _chart_points(namespace=namespace, metrics=all_metrics, start=start, end=end, step=step)
    language = get_language()
    words = _chart_words()
    per_step = (
        words["per hours"] % {"hours": step // 3600}
        if step >= 3600
        else words["per minutes"] % {"minutes": step // 60}
    )
    charts = []
    for title, kind, group in CHART_GROUPS:
        measured = [metric for metric in group if metric in points]
        unit, divisor = chart_unit(kind, max((points[metric][1] for metric in measured), default=0))
        if unit and title == CHART_GROUPS[-1][0]:
            unit += per_step
        charts.append(
            {
                "title": f"{words[title]} ({unit})" if unit and measured else words[title],
                "unit": unit,
                "divisor": divisor,
                "empty": not measured,
                "series": [
                    {
                        "metric": metric,
                        "label": _series_label(metric, language),
                        "points": points[metric][0] if metric in points else "{}",
                    }
                    for metric in group
                ],
            }
        )
    origin = int(start.timestamp())
    moments = _moments(origin, step, max(1, (int(end.timestamp()) - origin) // step))
    usage = NamespaceUsage(
        range_key=range_key, start=start, end=end, bars=bars, moments=moments, charts=charts
    )
    usage.never_measured = not ever
    return usage


def _ever_row_sql(columns: int) -> str:
    """A row of ``columns`` columns to add to a namespace's steps: NULL in all but the last,
    which counts 1 if the namespace (the parameter, twice) has any hourly rollup or sample at
    all (``_ever_measured_sql``), else 0; the metric column NULL tells it from the steps."""
    # Only the models' quoted table and column names are spliced in.
    return f"SELECT {'NULL, ' * (columns - 1)}(SELECT COUNT(*) FROM ({_ever_measured_sql()}) ever)"  # noqa: S608


def _ever_measured_sql() -> str:
    """Standard SQL with the tables and columns the models name: a row if the namespace (the
    parameter, twice) has any hourly rollup or sample, none otherwise; a union of the two
    tables that stops at the first row either holds (the same union of two querysets cost 0.2
    ms of Python to build and compile)."""
    q = connection.ops.quote_name

    def rows_of(model: type[UsageHourly] | type[UsageSample]) -> str:
        column = q(model._meta.get_field("namespace").column)
        # Only the model's quoted table and column names are spliced in.
        return f"SELECT 1 FROM {q(model._meta.db_table)} WHERE {column} = %s"  # noqa: S608

    return f"{rows_of(UsageHourly)} UNION ALL {rows_of(UsageSample)} LIMIT 1"


def _ever_measured(namespace_id: int) -> bool:
    """Whether the namespace has any hourly rollup or sample (``_ever_measured_sql``)."""
    with connection.cursor() as cursor:
        cursor.execute(_ever_measured_sql(), [namespace_id] * 2)
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class EgressShare:
    namespace: str
    team: str
    bytes: int
    share: float  # of the cluster's external egress over the same day, 0..1

    @property
    def percent(self) -> float:
        return round(self.share * 100, 1)


@dataclass
class CapacityRow:
    state: ClusterState
    namespaces: int
    allocated_cpu: int
    allocated_memory: int
    allocated_gpus: int
    used_cpu: int | None
    used_memory: int | None
    runtimes: list[str]
    # External egress over the last day: the cluster's total bytes and the largest senders.
    egress_total: int = 0
    top_egress: list["EgressShare"] = field(default_factory=list)

    @staticmethod
    def _ratio(part, whole):
        return round(part / whole, 2) if whole else None

    @property
    def cpu_overcommit(self):
        return self._ratio(self.allocated_cpu, self.state.allocatable_cpu_millicores)

    @property
    def memory_overcommit(self):
        return self._ratio(self.allocated_memory, self.state.allocatable_memory_bytes)


def cluster_states() -> list[ClusterState]:
    """One state per cluster, as stored; a cluster the workers have not looked at yet gets a
    blank unsaved one (everything unknown) until the next discovery."""
    stored = {state.cluster_id: state for state in ClusterState.objects.select_related("cluster")}
    return [
        stored.get(cluster.pk) or ClusterState(cluster=cluster)
        for cluster in Cluster.objects.order_by("name")
    ]


def capacity_by_cluster() -> list[CapacityRow]:
    """Per cluster: node allocatable vs the sum of namespace allocations vs measured usage."""
    states = cluster_states()
    live = NamespaceQuota.objects.exclude(namespace__status=NamespaceStatus.DELETED)
    allocated: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for row in live.values("namespace__cluster_id").annotate(
        cpu=Sum("cpu_millicores"), memory=Sum("memory_bytes"), gpus=Sum("gpus"), n=Count("id")
    ):
        bucket = allocated[row["namespace__cluster_id"]]
        for name in ("cpu", "memory", "gpus", "n"):
            bucket[name] += row[name] or 0
    used: dict[int, dict] = defaultdict(dict)
    state_windows = {s.cluster_id: s.last_window_start for s in states if s.last_window_start}
    usage = (
        UsageSample.objects.filter(
            window_start__in=set(state_windows.values()),
            metric__in=[Metric.CPU_USAGE, Metric.MEMORY_USAGE],
            is_gap=False,
        )
        .values("namespace__cluster_id", "metric", "window_start")
        .annotate(total=Sum("quantity"))
    )
    for row in usage:
        cluster_id = row["namespace__cluster_id"]
        if row["window_start"] == state_windows.get(cluster_id):
            totals = used[cluster_id]
            totals[row["metric"]] = totals.get(row["metric"], 0) + _to_base(row["metric"], row["total"])
    runtimes: dict[int, list[str]] = defaultdict(list)
    for cluster_id, name in ClusterRuntime.objects.values_list("state__cluster_id", "name"):
        runtimes[cluster_id].append(name)
    egress_total, top_egress = _external_egress_last_day(now=timezone.now())
    return [
        CapacityRow(
            state=s,
            namespaces=allocated[s.cluster_id]["n"],
            allocated_cpu=allocated[s.cluster_id]["cpu"],
            allocated_memory=allocated[s.cluster_id]["memory"],
            allocated_gpus=allocated[s.cluster_id]["gpus"],
            used_cpu=used[s.cluster_id].get(Metric.CPU_USAGE),
            used_memory=used[s.cluster_id].get(Metric.MEMORY_USAGE),
            runtimes=sorted(runtimes[s.cluster_id]),
            egress_total=egress_total.get(s.cluster_id, 0),
            top_egress=top_egress.get(s.cluster_id, []),
        )
        for s in states
    ]


EGRESS_TOP = 10


def _external_egress_last_day(*, now: datetime) -> tuple[dict[int, int], dict[int, list[EgressShare]]]:
    """Per cluster id: external egress bytes over the 24 hours before ``now`` (hourly
    rollups), and the ``EGRESS_TOP`` namespaces sending most with their share: who saturates
    the link. One query, grouped by namespace."""
    rows = (
        UsageHourly.objects.filter(metric=Metric.NET_EGRESS_EXTERNAL, hour__gte=now - timedelta(hours=24))
        .values("namespace__cluster_id", "namespace__name", "namespace__team__name")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    totals: dict[int, int] = defaultdict(int)
    senders: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows:
        k, sent = row["namespace__cluster_id"], int(row["total"] or 0)
        totals[k] += sent
        senders[k].append((sent, row["namespace__name"], row["namespace__team__name"]))
    top = {
        k: [
            EgressShare(namespace=name, team=team, bytes=sent, share=sent / totals[k] if totals[k] else 0.0)
            for sent, name, team in sorted(entries, key=lambda e: (-e[0], e[1]))[:EGRESS_TOP]
        ]
        for k, entries in senders.items()
    }
    return dict(totals), top


def runtime_catalog() -> QuerySet[RuntimeClassProfile]:
    return RuntimeClassProfile.objects.all()


def hourly_usage_for_billing(
    *, namespace_ids: Sequence[int], start: datetime, end: datetime, metrics: Sequence[str]
) -> QuerySet:
    """The hourly rollup rows billing rates: ``metrics`` of ``namespace_ids`` in [start, end).

    Billing compiles this queryset into its rating SQL, so it never names metering's table.
    """
    return (
        UsageHourly.objects.filter(
            namespace_id__in=namespace_ids, hour__gte=start, hour__lt=end, metric__in=metrics
        )
        .values("namespace_id", "hour", "metric", "storage_class", "quantity", "coverage", "runtime_class")
        .order_by()
    )


def runtime_profile(*, pk) -> RuntimeClassProfile:
    """One catalog entry for the staff runtime page (404 for an unknown or malformed id)."""
    try:
        return get_object_or_404(RuntimeClassProfile, pk=int(pk))
    except (TypeError, ValueError) as exc:
        raise Http404("No such runtime.") from exc


_BITS = {"": "bit/s", "k": "kbit/s", "M": "Mbit/s", "G": "Gbit/s", "T": "Tbit/s", "P": "Pbit/s"}


def bandwidth_label(quantity: str | None) -> str:
    """``20M`` (a bandwidth annotation's quantity, bits per second) as ``20 Mbit/s``."""
    if not quantity:
        return ""
    number = quantity.rstrip("kMGTP")
    unit = _BITS.get(quantity[len(number) :])
    return f"{number} {unit}" if unit and number else quantity


@dataclass(frozen=True)
class PlanNetwork:
    egress: str
    ingress: str
    gateways: tuple[str, ...]


def plan_network_figures(*, team: Team) -> PlanNetwork:
    """What the team's plan gives each pod and which shared Gateways its routes may use."""
    gateways, bandwidth = plan_network(team.plan, settings)
    unlimited = gettext("unlimited")
    return PlanNetwork(
        bandwidth_label(bandwidth.get("egress")) or unlimited,
        bandwidth_label(bandwidth.get("ingress")) or unlimited,
        gateways,
    )
