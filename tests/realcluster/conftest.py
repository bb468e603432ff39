"""Fixtures of the ``realcluster`` tier: the console, as its own identity, on a real control plane.

The control plane (``local_cluster``, from ``localcluster.testing``) lives for the whole
session while the database is rolled back after every test, so tests isolate themselves
by names: every user gets a primary key and every namespace a name no other test in the
session uses (ServiceAccounts and RoleBindings are named after user ids).
"""

import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import kubernetes
import pytest
from django.conf import settings
from django.utils import timezone

from clusters.connections import forget_gateways
from clusters.kube.errors import TransientKubeError
from clusters.kube.gateway import GATEWAY_API, KubeGateway
from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    mutating_runtime_policy_objects,
    names,
    pod_bandwidth_defaults_objects,
)
from clusters.kube.spec import platform_settings_from_django
from clusters.kubeconfigs import kubeconfig_issue
from domains.routes import ROUTE_KINDS
from domains.services import domain_add, domain_verify
from localcluster import gatewayapi
from localcluster.testing import RunningCluster
from metering.models import UsageSample
from metering.services.collector import cluster_states_ensure, usage_collect_window
from namespaces.services import namespace_create
from tests.factories import TeamFactory, TeamMembershipFactory, UserFactory
from tests.realcluster.attacks import Scene
from tests.realcluster.objects import pod
from tests.realcluster.tenant_client import TenantClient

# Far above what the suite's own sequences reach, so explicit keys never collide with them.
# Within PostgreSQL's integer primary keys (at most 2,147,483,647).
_user_ids = itertools.count(1_500_000_000)
_names = itertools.count(1)
RUN = secrets.token_hex(2)


@pytest.fixture(scope="session")
def admin_gateway(local_cluster: RunningCluster) -> Iterator[KubeGateway]:
    """The cluster administrator (``system:masters``), for arranging and inspecting only."""
    gateway = KubeGateway.from_kubeconfig(str(local_cluster.admin_kubeconfig))
    yield gateway
    gateway.close()


@pytest.fixture(scope="session")
def policies_in_force(local_cluster: RunningCluster, admin_gateway: KubeGateway) -> dict[str, bool]:
    """Bootstrap once as the console, install the Gateway API CRDs, then wait until the
    admission policies act.

    The bootstrap comes first, on a cluster without the Gateway API, because that is where
    the route policies must install cleanly too; the answer says what the cluster served then.
    kube-apiserver loads new admission policies from its informers a moment after they are
    written; until then requests pass unchecked. A dry-run pod in a probe namespace shows
    when the mutating and validating runtime policies are enforced.
    """
    platform = platform_settings_from_django(settings)
    before = {"httproutes served": admin_gateway.has_resource(GATEWAY_API, "httproutes")}
    console_gateway = KubeGateway.from_kubeconfig(str(local_cluster.console_kubeconfig))
    objects = bootstrap_objects(platform) + mutating_runtime_policy_objects(platform)
    for obj in objects + always_pull_images_objects(platform) + pod_bandwidth_defaults_objects(platform):
        console_gateway.apply(obj)
    console_gateway.close()
    gatewayapi.install(admin_gateway)
    for _, kind, _ in ROUTE_KINDS:
        wait_until(
            lambda kind=kind: _lists(admin_gateway, kind), what=f"{kind} storage after the CRD install"
        )
    probe = unique_name("probe")
    labels = {
        platform.label(names.LABEL_TENANT): "true",
        platform.label(names.LABEL_RUNTIME_POLICY): names.RUNTIME_POLICY_ENFORCED,
        platform.label(names.LABEL_DEFAULT_RUNTIME_CLASS): "runc",
    }
    annotations = {platform.label(names.ANNOTATION_ALLOWED_RUNTIME_CLASSES): "runc"}
    with kubernetes.config.new_client_from_config(str(local_cluster.admin_kubeconfig)) as client:
        core = kubernetes.client.CoreV1Api(client)
        core.create_namespace({"metadata": {"name": probe, "labels": labels, "annotations": annotations}})

        def mutated() -> bool:
            try:
                created = core.create_namespaced_pod(probe, pod("probe", probe), dry_run="All")
            except kubernetes.client.ApiException as refused:
                # The validating policy can be in force before the mutating one that would
                # have given the pod its runtime class.
                if refused.status != 403:
                    raise
                return False
            return created.spec.runtime_class_name == "runc" and all(
                c.image_pull_policy == "Always" for c in created.spec.containers
            )

        wait_until(mutated, what="the admission policies taking effect")
        core.delete_namespace(probe)
    return before


def _lists(gateway: KubeGateway, kind: str) -> bool:
    """Whether the API server can list ``kind`` yet: a new CRD's storage answers 429
    "storage is (re)initializing" for a moment after it is Established."""
    api_version = next(version for version, name, _ in ROUTE_KINDS if name == kind)
    try:
        gateway.list(api_version, kind)
    except TransientKubeError:
        return False
    return True


@pytest.fixture
def console(local_cluster: RunningCluster, policies_in_force, settings, db) -> Iterator[RunningCluster]:
    """The console's default cluster is the local control plane, reached as ``tenantry-console``."""
    settings.KUBECONFIG = str(local_cluster.console_kubeconfig)
    forget_gateways()
    from metering.services.discovery import clusters_discover

    clusters_discover(now=timezone.now())
    yield local_cluster
    forget_gateways()


def unique_name(prefix: str) -> str:
    """A DNS label no other test of this session (or of a session sharing the cluster) uses."""
    return f"{prefix}-{RUN}-{next(_names)}"


def new_user(prefix: str = "user"):
    pk = next(_user_ids)
    return UserFactory(pk=pk, username=f"{prefix}{pk}")


@pytest.fixture
def make_tenant(console, django_capture_on_commit_callbacks) -> Callable[..., SimpleNamespace]:
    """``make_tenant(trust_level="trusted")``: a team, its owner and one provisioned namespace."""

    def make(trust_level: str = "trusted", prefix: str = "rc") -> SimpleNamespace:
        name = unique_name(prefix)
        owner = new_user("owner")
        team = TeamFactory(name=name, slug=name, trust_level=trust_level)
        TeamMembershipFactory(team=team, user=owner, role="owner")
        with django_capture_on_commit_callbacks(execute=True):
            namespace = namespace_create(actor=owner, team=team, name=name)
        namespace.refresh_from_db()
        return SimpleNamespace(team=team, owner=owner, namespace=namespace, name=name)

    return make


@pytest.fixture
def scene(make_tenant) -> Iterator[Scene]:
    """A tenant admin with its own downloaded kubeconfig, and another tenant beside it."""
    mine, theirs = make_tenant(), make_tenant()
    client = TenantClient(kubeconfig_issue(user=mine.owner).text)
    yield Scene(client, mine.name, theirs.name, mine.owner.pk, theirs.owner.pk)
    client.close()


def wait_until(condition: Callable[[], object], *, timeout: float = 30.0, what: str = "") -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what or condition}")
        time.sleep(0.2)


def collect_usage(*names: str, seconds: int = 60) -> dict[str, dict[str, Decimal | None]]:
    """One metering window of ``seconds`` ending now over the default cluster, as the worker
    runs it; per namespace, each metric's sample (None for a gap)."""
    (state,) = cluster_states_ensure()
    end = timezone.now()  # to the microsecond: every call is a window of its own
    result = usage_collect_window(state=state, window_start=end - timedelta(seconds=seconds), window_end=end)
    assert "resourcequotas" not in " ".join(result.errors), result.errors
    samples = UsageSample.objects.filter(namespace__name__in=names, window_end=end)
    collected: dict[str, dict[str, Decimal | None]] = {name: {} for name in names}
    for sample in samples.select_related("namespace"):
        collected[sample.namespace.name][sample.metric] = sample.quantity
    return collected


@pytest.fixture
def two_teams(make_tenant, settings, django_capture_on_commit_callbacks):
    """Two tenants; the first verified ``<its name>.example.com`` and holds a kubeconfig."""
    settings.TENANTRY_TXT_RESOLVER = "tests.realcluster.conftest.fake_txt"
    mine, theirs = make_tenant(), make_tenant()
    with django_capture_on_commit_callbacks(execute=True):
        domain = domain_add(actor=mine.owner, team=mine.team, name=f"{mine.name}.example.com")
        FAKE_DNS[domain.record_name] = [domain.challenge]
        assert domain_verify(actor=mine.owner, domain=domain)
    client = TenantClient(kubeconfig_issue(user=mine.owner).text)
    yield mine, theirs, client
    client.close()


FAKE_DNS: dict[str, list[str]] = {}


def fake_txt(name: str) -> list[str]:
    return FAKE_DNS.get(name, [])


def apps_subdomain(team) -> str:
    return f"{team.slug}.{settings.TENANTRY_APPS_DOMAIN}"
