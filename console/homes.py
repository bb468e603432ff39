"""What finance and staff see first on the dashboard, instead of the tenant onboarding.

Finance: statements due and balances in debt. Staff: namespaces that failed, quota requests
beyond a team's quota (only staff decide those) and each cluster's health.
"""

from dataclasses import dataclass

from billing.selectors import FinanceAttention, finance_attention
from clusters.models import Cluster
from clusters.selectors import clusters_with_usage, namespaces_in_error
from metering.models import ClusterState, QuotaRequest
from metering.selectors import staff_quota_requests
from tenants.models import Namespace, TrustLevelRequest
from tenants.permissions import is_finance, is_staff
from tenants.selectors import pending_trust_requests

LIMIT = 10


@dataclass(frozen=True)
class ClusterHealth:
    cluster: Cluster
    discovery_error: str

    @property
    def healthy(self) -> bool:
        return self.cluster.reachable is not False and not self.discovery_error


@dataclass(frozen=True)
class StaffAttention:
    failed_namespaces: list[Namespace]
    failed_count: int
    quota_requests: list[QuotaRequest]
    quota_requests_count: int
    clusters: list[ClusterHealth]
    trust_requests: list[TrustLevelRequest]


def staff_attention() -> StaffAttention:
    """The staff home in a fixed number of queries, however many teams and clusters there are."""
    failed = namespaces_in_error()
    beyond_team_quota = staff_quota_requests().filter(needs_staff=True)
    errors = dict(
        ClusterState.objects.exclude(discovery_error="").values_list("cluster_id", "discovery_error")
    )
    clusters = [ClusterHealth(cluster, errors.get(cluster.pk, "")) for cluster in clusters_with_usage()]
    return StaffAttention(
        failed_namespaces=list(failed[:LIMIT]),
        failed_count=failed.count(),
        quota_requests=list(beyond_team_quota[:LIMIT]),
        quota_requests_count=beyond_team_quota.count(),
        clusters=clusters,
        trust_requests=list(pending_trust_requests()[:LIMIT]),
    )


def role_home(user) -> dict:
    """Context for the dashboard's role sections: ``staff_home`` and/or ``finance_home``."""
    context: dict[str, StaffAttention | FinanceAttention] = {}
    if is_staff(user):
        context["staff_home"] = staff_attention()
    if is_finance(user):
        context["finance_home"] = finance_attention(limit=LIMIT)
    return context
