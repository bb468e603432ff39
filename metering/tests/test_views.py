from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from clusters.connections import default_cluster
from metering.amounts import parse_amounts, plan_defaults
from metering.models import (
    ClusterState,
    Metric,
    NamespaceQuota,
    NamespaceRuntimePolicy,
    QuotaRequest,
    TeamQuota,
    UsageSample,
)
from metering.services.quotas import namespace_quota_set, quota_request_create, team_quota_ensure
from tenants.models import AuditEvent, Namespace, Team
from tests.factories import NamespaceFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def quota(world):
    team_quota = team_quota_ensure(team=world.team)
    namespace_quota_set(
        actor=world.owner,
        namespace=world.namespace,
        amounts=parse_amounts({"cpu": "1", "memory": "2Gi", "pods": 10}),
    )
    return team_quota


@pytest.fixture
def pending(world, quota):
    return quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"cpu": "1"}),
        reason="more",
    )


PAGES = [
    ("metering:namespace_usage", {"name": "acme-dev"}),
    ("metering:team_quota", {"slug": "acme"}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_outsiders_get_404_on_pages(client, world, quota, name, kwargs):
    assert login(client, world.outsider).get(reverse(name, kwargs=kwargs)).status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_members_see_pages(client, world, quota, name, kwargs):
    user = world.viewer if "name" in kwargs else world.member
    response = login(client, user).get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


def test_usage_page_shows_bars_runtime_and_exclusions(client, world, quota):
    state = ClusterState.objects.create(
        cluster=default_cluster(), last_window_start=datetime(2026, 1, 1, tzinfo=UTC)
    )
    UsageSample.objects.create(
        namespace=world.namespace,
        metric=Metric.CPU_REQUEST,
        window_start=state.last_window_start,
        window_end=state.last_window_start + timedelta(minutes=1),
        quantity=0.9,
        source="t",
    )
    body = (
        login(client, world.viewer)
        .get(reverse("metering:namespace_usage", args=["acme-dev"]))
        .content.decode()
    )
    assert 'class="bar-near" data-resource="cpu"' in body
    assert "<strong>runc</strong>" in body
    assert "Nothing was measured in the last 24h." in body  # the one sample is months old
    assert "Save runtime policy" not in body  # viewers cannot change it


def test_new_namespace_says_no_data_yet_instead_of_empty_axes(client, world, quota):
    body = login(client, world.viewer).get(reverse("metering:namespace_usage", args=["acme-dev"])).content
    assert b"No data yet: the first samples arrive within a minute" in body
    assert b"<canvas" not in body and b"chart.umd.min.js" not in body


def test_charts_are_drawn_in_cores_and_binary_units(client, world, quota):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for metric, quantity in ((Metric.MEMORY_USAGE, 2_500_000_000), (Metric.CPU_USAGE, 0.5)):
        UsageSample.objects.create(
            namespace=world.namespace,
            metric=metric,
            window_start=now - timedelta(minutes=5),
            window_end=now - timedelta(minutes=4),
            quantity=quantity,
            source="t",
        )
    response = login(client, world.viewer).get(reverse("metering:namespace_usage", args=["acme-dev"]))
    charts = {chart["title"]: chart for chart in response.context["usage"].charts}
    memory = charts["Memory (GiB)"]
    usage = response.context["usage"]
    values = [usage.values(s["metric"]) for s in memory["series"]]
    assert max(v or 0 for series in values for v in series) == 2_500_000_000 / 2**30
    assert all(len(series) == len(usage.moments) for series in values)
    assert "CPU (cores)" in charts
    assert charts["Network"]["empty"]  # no Prometheus: not measured, not zero
    body = response.content.decode()
    assert "js/charts.js" in body and "Not measured in this range." in body
    assert "<script>" not in body  # no inline script (CSP)


def test_runtime_policy_form_changes_the_namespace(
    client, world, quota, provisioned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, world.ns_admin).post(
            reverse("metering:namespace_runtime_policy", args=["acme-dev"]), {"min_isolation": "microvm"}
        )
    assert response.status_code == 302
    assert NamespaceRuntimePolicy.objects.get(namespace=world.namespace).min_isolation == "microvm"
    assert provisioned == [world.namespace.pk]


def test_a_policy_the_form_does_not_offer_is_refused_with_a_message(client, world, quota, provisioned):
    url = reverse("metering:namespace_runtime_policy", args=["acme-dev"])
    response = login(client, world.ns_admin).post(url, {"min_isolation": "bare-metal"}, follow=True)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NamespaceRuntimePolicy.objects.filter(
        namespace=world.namespace, min_isolation="bare-metal"
    ).exists()
    assert provisioned == []


def test_needing_gpus_without_gpu_quota_warns(client, world, quota, provisioned):
    url = reverse("metering:namespace_runtime_policy", args=["acme-dev"])
    response = login(client, world.ns_admin).post(url, {"needs_gpu": "on"}, follow=True)
    body = response.content.decode()
    assert "quota holds no GPUs" in body
    assert 'class="msg msg-warning"' in body
    NamespaceQuota.objects.filter(namespace=world.namespace).update(gpus=1)
    response = client.post(url, {"needs_gpu": "on"}, follow=True)
    assert "quota holds no GPUs" not in response.content.decode()


def test_runtime_policy_needs_namespace_admin(client, world, quota):
    url = reverse("metering:namespace_runtime_policy", args=["acme-dev"])
    assert login(client, world.developer).post(url, {"min_isolation": "microvm"}).status_code == 403
    assert login(client, world.outsider).post(url, {"min_isolation": "microvm"}).status_code == 404


def test_allocation_edit_needs_manager(client, world, quota):
    url = reverse("metering:namespace_allocation", args=["acme", "acme-dev"])
    assert login(client, world.member).post(url, {"acme-dev-cpu": "2"}).status_code == 403
    assert login(client, world.outsider).post(url, {"acme-dev-cpu": "2"}).status_code == 404
    login(client, world.manager).post(url, {"acme-dev-cpu": "2", "acme-dev-memory": "1Gi"})
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 2000


def test_allocation_form_reports_nonsense_quantities(client, world, quota):
    url = reverse("metering:namespace_allocation", args=["acme", "acme-dev"])
    response = login(client, world.manager).post(url, {"acme-dev-cpu": "lots"}, follow=True)
    assert "not a Kubernetes quantity" in response.content.decode()


def test_namespace_member_requests_and_manager_decides_through_pages(client, world, quota):
    login(client, world.developer).post(
        reverse("metering:quota_request_new", args=["acme"]),
        {"namespace": "acme-dev", "cpu": "1", "reason": "ci"},
    )
    request = QuotaRequest.objects.get()
    decide = reverse("metering:quota_request_decide", args=["acme", request.pk, "approve"])
    assert client.post(decide).status_code == 403
    assert login(client, world.outsider).post(decide).status_code == 404
    login(client, world.manager).post(decide)
    request.refresh_from_db()
    assert request.status == "approved"


def test_a_quota_request_for_a_namespace_name_with_a_nul_is_a_field_error(client, world, quota):
    """PostgreSQL refused to compare the name, a 500; now it is no namespace of the team's."""
    response = login(client, world.developer).post(
        reverse("metering:quota_request_new", args=["acme"]),
        {"namespace": "acme-dev\x00", "cpu": "1", "reason": "ci"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not QuotaRequest.objects.exists()


def test_staff_pages_are_for_staff(client, world, pending):
    for name in ("metering:staff_capacity", "metering:staff_runtimes"):
        assert login(client, world.owner).get(reverse(name)).status_code == 404
        assert login(client, world.admin).get(reverse(name)).status_code == 200


def test_capacity_shows_cores_and_binary_units_never_raw_numbers(client, world, quota):
    from metering.services.collector import cluster_states_ensure

    state = cluster_states_ensure()[0]
    state.allocatable_cpu_millicores, state.allocatable_memory_bytes = 24000, 4339267554
    state.save()
    html = login(client, world.admin).get(reverse("metering:staff_capacity")).content.decode()
    assert "24 cores / 1 core /" in html
    assert "4.04 GiB / 2 GiB /" in html
    assert "4339267554" not in html


def test_staff_edit_the_catalog(client, world):
    from metering.models import RuntimeClassProfile

    gvisor = RuntimeClassProfile.objects.get(name="gvisor")
    data = {
        f"gvisor-{k}": v
        for k, v in {"handler": "runsc", "isolation": "sandbox", "price_multiplier": "1.15"}.items()
    }
    login(client, world.admin).post(reverse("metering:staff_runtimes"), {"profile": gvisor.pk, **data})
    gvisor.refresh_from_db()
    assert str(gvisor.price_multiplier) == "1.1500"
    assert not gvisor.enabled  # unchecked box


def test_team_quota_page_queries_do_not_grow_with_namespaces(client, world, quota, django_assert_num_queries):
    login(client, world.owner)
    url = reverse("metering:team_quota", args=["acme"])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(15):
        ns = NamespaceFactory(team=world.team, name=f"acme-{i}")
        NamespaceQuota.objects.create(namespace=ns)
        QuotaRequest.objects.create(
            team=world.team, namespace=ns, reason="x", cpu_millicores=1, requested_by=world.member
        )
    with django_assert_num_queries(len(small)):
        client.get(url)


@pytest.mark.parametrize("stored", [True, False])
def test_team_quota_page_reads_a_fixed_number_of_queries(client, world, django_assert_num_queries, stored):
    """Session, user, team with its quota, roles, the totals, the page of allocations, the
    requests and the navigation's finance lookup; a team whose quota was never stored shows
    its plan's defaults at the same cost."""
    if stored:
        team_quota_ensure(team=world.team)
        TeamQuota.objects.filter(team=world.team).update(max_namespaces=7)
    login(client, world.owner)
    with django_assert_num_queries(8):
        response = client.get(reverse("metering:team_quota", args=["acme"]))
    assert response.status_code == 200
    assert response.context["overview"].team_quota.max_namespaces == (
        7 if stored else plan_defaults(world.team.plan)[1]
    )
    assert TeamQuota.objects.filter(team=world.team).exists() is stored


def test_team_quota_overview_sums_each_storage_class_in_the_database(world, quota, django_assert_num_queries):
    from metering.selectors import team_quota_overview

    quota.storage_classes = {"standard": 50 * 1024**3, "fast.ssd": 20 * 1024**3, "unused": 1024**3}
    quota.storage = 100 * 1024**3
    quota.save()
    for name, classes in (
        ("acme-a", {"standard": "5Gi", "fast.ssd": "1Gi"}),
        ("acme-b", {"standard": "3Gi"}),
        ("acme-c", {}),
    ):
        namespace_quota_set(
            actor=world.owner,
            namespace=NamespaceFactory(team=world.team, name=name),
            amounts=parse_amounts({"storage": "10Gi", "storage_classes": classes}),
        )
    gone = NamespaceFactory(team=world.team, name="acme-gone")
    namespace_quota_set(
        actor=world.owner, namespace=gone, amounts=parse_amounts({"storage_classes": {"standard": "7Gi"}})
    )
    gone.status = "deleted"
    gone.save()
    world.owner.__dict__.pop("_tenantry_roles", None)
    team = Team.objects.get(pk=world.team.pk)
    with django_assert_num_queries(3):  # the roles, the team quota, the totals
        overview = team_quota_overview(team=team, user=world.owner)
    assert overview.allocated["storage_classes"] == {"standard": 8 * 1024**3, "fast.ssd": 1024**3}
    assert overview.allocated["storage"] == 30 * 1024**3
    assert overview.remaining["storage_classes"]["standard"] == 42 * 1024**3


def test_team_quota_totals_built_once_are_each_teams_own(world):
    """The totals' SQL is built once per process for a set of storage classes
    (``core.compiled``) and run for each team with its own id: each team gets its sums, a team
    without live namespaces zeros, whichever team's page came first."""
    from metering.selectors import team_quota_overview

    other = world.other_team
    for team in (world.team, other):
        team_quota_ensure(team=team)
        TeamQuota.objects.filter(team=team).update(
            cpu_millicores=8000, storage_bytes=100 * 1024**3, storage_classes={"standard": 50 * 1024**3}
        )
    for team, name, cpu, standard in (
        (world.team, "acme-a", "2", "5Gi"),
        (world.team, "acme-b", "1", "3Gi"),
        (other, "globex-a", "500m", "1Gi"),
    ):
        namespace_quota_set(
            actor=world.admin,
            namespace=NamespaceFactory(team=team, name=name),
            amounts=parse_amounts({"cpu": cpu, "storage": "10Gi", "storage_classes": {"standard": standard}}),
        )
    empty = Team.objects.create(name="Empty", slug="empty")
    TeamQuota.objects.create(team=empty, storage_classes={"standard": 1024**3})
    for _ in range(2):  # the second round runs the SQL kept from the first
        acme = team_quota_overview(team=Team.objects.get(pk=world.team.pk), user=world.admin)
        globex = team_quota_overview(team=Team.objects.get(pk=other.pk), user=world.admin)
        nothing = team_quota_overview(team=Team.objects.get(pk=empty.pk), user=world.admin)
        assert (acme.allocated["cpu"], acme.allocated["storage_classes"]) == (3000, {"standard": 8 * 1024**3})
        assert (globex.allocated["cpu"], globex.allocated["storage_classes"]) == (500, {"standard": 1024**3})
        assert acme.namespace_count == 3 and globex.namespace_count == 2  # acme-dev, globex-prod too
        assert nothing.namespace_count == 0
        assert nothing.allocated["cpu"] == 0 and nothing.allocated["storage_classes"] == {}


def test_team_quota_page_shows_allocations_a_page_at_a_time(client, world, quota, settings):
    settings.TENANTRY_PAGE_SIZE = 5
    for i in range(7):
        NamespaceQuota.objects.create(namespace=NamespaceFactory(team=world.team, name=f"acme-p{i}"))
    login(client, world.owner)
    url = reverse("metering:team_quota", args=["acme"])
    first = client.get(url).content.decode()
    assert first.count('class="allocation"') == 5 and "?allocations=2" in first
    second = client.get(url, {"allocations": 2}).content.decode()
    assert 0 < second.count('class="allocation"') <= 5 and 'rel="prev"' in second
    assert client.get(url, {"allocations": "junk"}).status_code == 200  # a bad page number is page 1


def test_team_quota_page_edits_one_allocation_at_a_time(client, world, quota, settings):
    """Each namespace is a line with an edit link; the one chosen is a form with its amounts,
    on the same page of allocations. A namespace on another page, or a viewer, gets no form."""
    settings.TENANTRY_PAGE_SIZE = 5
    for i in range(7):
        NamespaceQuota.objects.create(namespace=NamespaceFactory(team=world.team, name=f"acme-p{i}"))
    login(client, world.owner)
    url = reverse("metering:team_quota", args=["acme"])
    listing = client.get(url).content.decode()
    assert "<form" not in listing.split('id="alloc-h"')[1].split("</section>")[0]
    assert '?allocations=1&amp;edit=acme-dev#allocation-acme-dev"' in listing
    editing = client.get(url, {"allocations": 1, "edit": "acme-dev"}).content.decode()
    allocations = editing.split('id="alloc-h"')[1].split("</section>")[0]
    action = reverse("metering:namespace_allocation", args=["acme", "acme-dev"])
    assert allocations.count("<form") == 1 and f'action="{action}"' in allocations
    assert 'name="acme-dev-cpu" value="1"' in allocations
    assert allocations.count('class="allocation"') == 5
    elsewhere = client.get(url, {"allocations": 2, "edit": "acme-dev"}).content.decode()
    assert "<form" not in elsewhere.split('id="alloc-h"')[1].split("</section>")[0]
    login(client, world.viewer)
    viewing = client.get(url, {"edit": "acme-dev"}).content.decode()
    assert "<form" not in viewing.split('id="alloc-h"')[1].split("</section>")[0]


def test_quota_request_form_offers_the_namespaces_of_the_page_shown(client, world, quota, settings):
    """A team with many namespaces gets a select of one page of them, not of all; a namespace
    on another page is asked for from that page, and the request is accepted."""
    settings.TENANTRY_PAGE_SIZE = 5
    for i in range(7):
        NamespaceQuota.objects.create(namespace=NamespaceFactory(team=world.team, name=f"acme-p{i}"))
    login(client, world.owner)
    url = reverse("metering:team_quota", args=["acme"])

    def offered(html: str) -> list[str]:
        select = html.split('id="quota-request-form"')[1].split("</select>")[0]
        return [part.split('"')[0] for part in select.split('<option value="')[1:]]

    first = offered(client.get(url).content.decode())
    second = offered(client.get(url, {"allocations": 2}).content.decode())
    assert first == ["acme-dev", "acme-p0", "acme-p1", "acme-p2", "acme-p3"]
    assert second and not set(first) & set(second)
    before = QuotaRequest.objects.count()
    client.post(
        reverse("metering:quota_request_new", args=["acme"]),
        {"namespace": second[-1], "cpu": "1", "reason": "on page two"},
    )
    assert QuotaRequest.objects.get(reason="on page two").namespace.name == second[-1]
    assert QuotaRequest.objects.count() == before + 1


def test_quota_page_lists_every_pending_request_and_the_ten_latest_decided(client, world, quota):
    for n in range(12):
        QuotaRequest.objects.create(
            team=world.team, namespace=world.namespace, reason=f"old {n}", cpu_millicores=1,
            requested_by=world.developer, status="denied", decision_note=f"note {n}",
        )  # fmt: skip
    for n in range(3):
        QuotaRequest.objects.create(
            team=world.team, namespace=world.namespace, reason=f"waiting {n}", cpu_millicores=1,
            requested_by=world.developer,
        )  # fmt: skip
    html = login(client, world.owner).get(reverse("metering:team_quota", args=["acme"])).content.decode()
    pending, decided = html.split('id="pending-h"')[1].split("Recently decided")
    assert all(f"waiting {n}" in pending for n in range(3)) and "old " not in pending
    notes = [part.split("<")[0] for part in decided.split("— note ")[1:]]
    assert notes == [str(n) for n in range(11, 1, -1)]  # the ten latest, latest first


def test_team_quota_page_edits_no_namespace_of_another_team(client, world, quota):
    """``?edit=`` names a namespace among the team's own lines: another team's namespace gives no
    form, and that team's owner is still refused the page."""
    url = reverse("metering:team_quota", args=["acme"])
    html = login(client, world.owner).get(url, {"edit": world.other_namespace.name}).content.decode()
    assert "<form" not in html.split('id="alloc-h"')[1].split("</section>")[0]
    assert world.other_namespace.name not in html
    assert login(client, world.outsider).get(url, {"edit": "acme-dev"}).status_code in (403, 404)


def test_team_quota_page_of_a_team_without_namespaces_says_so(client, world):
    from tests.factories import TeamFactory, TeamMembershipFactory

    team = TeamFactory(slug="empty-team")
    TeamMembershipFactory(team=team, user=world.owner, role="owner")
    html = (
        login(client, world.owner).get(reverse("metering:team_quota", args=["empty-team"])).content.decode()
    )
    allocations = html.split('id="alloc-h"')[1].split("</section>")[0]
    assert "No namespaces yet" in allocations and 'class="allocation"' not in allocations
    assert 'class="pagination"' not in allocations


@pytest.mark.parametrize("range_key", ["24h", "7d", "30d"])
def test_usage_page_queries_are_the_same_with_and_without_usage(
    client, world, django_assert_num_queries, range_key
):
    """A new namespace (the page says it was never measured) and one with a month of hourly
    usage and a recent sample cost the same queries."""
    from django.utils import timezone

    from metering.models import UsageHourly

    login(client, world.owner)
    url = reverse("metering:namespace_usage", args=["acme-dev"])
    with CaptureQueriesContext(connection) as new:
        assert "No data yet" in client.get(url, {"range": range_key}).content.decode()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    UsageHourly.objects.bulk_create(
        UsageHourly(
            namespace=world.namespace,
            metric=Metric.CPU_USAGE,
            hour=hour - timedelta(hours=n),
            quantity=1,
            coverage=1,
            samples=60,
        )
        for n in range(1, 24 * 30)
    )
    UsageSample.objects.create(
        namespace=world.namespace,
        metric=Metric.CPU_USAGE,
        window_start=hour,
        window_end=hour + timedelta(minutes=1),
        quantity=1,
        source="t",
    )
    with django_assert_num_queries(len(new)):
        html = client.get(url, {"range": range_key}).content.decode()
    assert "No data yet" not in html and 'id="usage-empty"' not in html


def test_near_limit_selector_has_constant_queries(world, quota, django_assert_num_queries):
    from metering.selectors import namespaces_near_limits

    window = datetime(2026, 1, 1, tzinfo=UTC)
    ClusterState.objects.create(cluster=default_cluster(), last_window_start=window)

    def used(ns, cores):
        UsageSample.objects.create(
            namespace=ns,
            metric=Metric.CPU_REQUEST,
            window_start=window,
            window_end=window + timedelta(minutes=1),
            quantity=cores,
            source="t",
        )

    used(world.namespace, 1)
    with django_assert_num_queries(1):
        warnings = namespaces_near_limits(user=world.owner)
    assert [(w.namespace, w.resource, w.state) for w in warnings] == [("acme-dev", "cpu", "full")]
    for i in range(10):
        ns = NamespaceFactory(team=world.team, name=f"busy-{i}")
        NamespaceQuota.objects.create(namespace=ns, cpu_millicores=1000)
        used(ns, 0.85)
    with django_assert_num_queries(1):
        assert len(namespaces_near_limits(user=world.owner)) == 11
    assert namespaces_near_limits(user=world.outsider) == []
    # A namespace role reaches that namespace alone; a member without one reaches none.
    assert [w.namespace for w in namespaces_near_limits(user=world.viewer)] == ["acme-dev"]
    assert namespaces_near_limits(user=world.member) == []


def test_near_limits_are_the_latest_window_measured_against_the_allocation(world, quota):
    """At the threshold counts, just under does not, usage without an allocation is full, and
    a namespace's older window is not its usage now."""
    from metering.selectors import namespaces_near_limits

    window = datetime(2026, 1, 1, tzinfo=UTC)
    ClusterState.objects.create(cluster=default_cluster(), last_window_start=window)

    def used(ns, metric, quantity, start=window):
        UsageSample.objects.create(
            namespace=ns,
            metric=metric,
            window_start=start,
            window_end=start + timedelta(minutes=1),
            quantity=quantity,
            source="t",
        )

    def allocated(name, **amounts):
        ns = NamespaceFactory(team=world.team, name=name)
        NamespaceQuota.objects.create(namespace=ns, **amounts)
        return ns

    used(allocated("at-line", cpu_millicores=1000), Metric.CPU_REQUEST, "0.8")
    used(allocated("under", cpu_millicores=1000), Metric.CPU_REQUEST, "0.799")
    used(allocated("memory", memory_bytes=1000), Metric.MEMORY_REQUEST, 999)
    calm = allocated("calm-now", cpu_millicores=1000)
    used(calm, Metric.CPU_REQUEST, 2, start=window - timedelta(minutes=1))
    used(calm, Metric.CPU_REQUEST, "0.1")
    used(NamespaceFactory(team=world.team, name="no-quota"), Metric.PODS, 1)
    used(allocated("idle", pods=0), Metric.PODS, 0)
    warnings = [
        (w.namespace, w.resource, w.used, w.allocated, w.state)
        for w in namespaces_near_limits(user=world.owner)
    ]
    assert warnings == [
        ("no-quota", "pods", 1, 0, "full"),
        ("memory", "memory", 999, 1000, "near"),
        ("at-line", "cpu", 800, 1000, "near"),
    ]
    # The threshold is each call's own (the query's shape is built once): a lower one finds the
    # calm namespace too, and the default applies again after it.
    low = {(w.namespace, w.resource) for w in namespaces_near_limits(user=world.owner, threshold=0.05)}
    assert ("calm-now", "cpu") in low and ("under", "cpu") in low
    assert len(namespaces_near_limits(user=world.owner)) == 3


# --- API ------------------------------------------------------------------------------------


def test_api_runtime_catalog_lists_the_seeded_runtimes(world):
    names = [r["name"] for r in api(world.member).get("/api/v1/runtimes/").json()]
    assert names == ["runc", "gvisor", "kata-fc", "kata-clh", "kata-qemu"]


def test_api_runtime_policy_get_and_put(world, quota):
    url = "/api/v1/namespaces/acme-dev/runtime-policy/"
    assert api(world.outsider).get(url).status_code == 404
    assert api(world.viewer).get(url).json()["chosen"] == "runc"
    assert (
        api(world.viewer)
        .put(url, {"min_isolation": "sandbox", "needs_gpu": False}, format="json")
        .status_code
        == 403
    )
    body = api(world.ns_admin).put(url, {"min_isolation": "microvm", "needs_gpu": True}, format="json").json()
    assert body["chosen"] == "kata-clh"
    assert {"name": "kata-fc", "reason": "no GPU support"} in body["excluded"]


def test_api_team_quota_and_allocations(world, quota):
    assert api(world.outsider).get("/api/v1/teams/acme/quota/").status_code == 404
    body = api(world.viewer).get("/api/v1/teams/acme/quota/").json()
    assert body["allocations"][0] == {
        **body["allocations"][0],
        "namespace": "acme-dev",
        "cpu": "1",
        "memory": "2Gi",
    }
    url = "/api/v1/teams/acme/quota/allocations/acme-dev/"
    assert api(world.member).put(url, {"cpu": "2"}, format="json").status_code == 403
    response = api(world.manager).put(url, {"cpu": "99"}, format="json")
    assert response.status_code == 400 and "cpu" in response.json()
    assert api(world.manager).put(url, {"cpu": "1500m"}, format="json").json()["cpu"] == "1500m"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (-3545, "non_field_errors"),
        ([1, 2], "non_field_errors"),
        ("cpu", "non_field_errors"),
        ({"storage_classes": ["standard"]}, "storage_classes"),
        ({"storage_classes": "10Gi"}, "storage_classes"),
        ({"cpu": -5}, "cpu"),
        ({"cpu": True}, "cpu"),
    ],
)
def test_api_allocation_answers_bad_bodies_with_400(world, quota, body, field):
    # Not an object, storage classes not an object: these were 500s; negative numbers and
    # booleans were stored as allocations.
    response = api(world.manager).put("/api/v1/teams/acme/quota/allocations/acme-dev/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 1000


@pytest.mark.parametrize("increments", [{"storage_classes": ["standard"]}, {"cpu": -1}, {"pods": False}])
def test_api_quota_request_answers_bad_increments_with_400(world, quota, increments):
    url = "/api/v1/teams/acme/quota-requests/"
    body = {"namespace": "acme-dev", "reason": "more", "increments": increments}
    assert api(world.developer).post(url, body, format="json").status_code == 400
    assert not QuotaRequest.objects.exists()


def test_api_created_quota_request_is_documented_as_one_object(world, quota, client):
    # POST answers one request with 201; the schema once documented a list.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/teams/{slug}/quota-requests/"]["post"]
    assert list(operation["responses"]) == ["201"]
    documented = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert documented == {"$ref": "#/components/schemas/QuotaRequest"}
    body = {"namespace": "acme-dev", "reason": "more", "increments": {"cpu": "500m"}}
    response = api(world.developer).post("/api/v1/teams/acme/quota-requests/", body, format="json")
    assert response.status_code == 201
    assert set(response.json()) == set(schema["components"]["schemas"]["QuotaRequest"]["properties"])


def test_api_quota_requests_refuse_an_unknown_status_filter(world, pending):
    # It was passed to the database as is (a NUL in it was a 500 on PostgreSQL).
    url = "/api/v1/teams/acme/quota-requests/"
    assert api(world.developer).get(url, {"status": "pending"}).json()[0]["id"] == pending.pk
    response = api(world.developer).get(url, {"status": "nope"})
    assert response.status_code == 400 and "status" in response.json()


def test_api_allocation_takes_form_fields_as_single_values(world, quota):
    url = "/api/v1/teams/acme/quota/allocations/acme-dev/"
    assert api(world.manager).put(url, {"cpu": "1500m"}).json()["cpu"] == "1500m"


def test_api_quota_requests_create_list_approve_deny(world, quota):
    url = "/api/v1/teams/acme/quota-requests/"
    assert api(world.outsider).get(url).status_code == 404
    created = api(world.developer).post(
        url, {"namespace": "acme-dev", "reason": "bigger", "increments": {"cpu": "500m"}}, format="json"
    )
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert api(world.developer).get(url).json()[0]["increments"]["cpu"] == "500m"
    assert api(world.developer).post(f"{url}{request_id}/approve/", {}).status_code == 403
    approved = api(world.manager).post(f"{url}{request_id}/approve/", {"note": "ok"}, format="json")
    assert approved.json()["status"] == "approved"
    again = api(world.manager).post(f"{url}{request_id}/deny/", {}, format="json")
    assert again.status_code == 400


def test_api_usage_series_marks_gaps(world, quota):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute, quantity in [(0, 1), (1, None), (5, 3)]:
        UsageSample.objects.create(
            namespace=world.namespace,
            metric=Metric.CPU_USAGE,
            window_start=start + timedelta(minutes=minute),
            window_end=start + timedelta(minutes=minute + 1),
            quantity=quantity,
            is_gap=quantity is None,
            source="t",
        )
    url = "/api/v1/namespaces/acme-dev/usage/"
    params = {
        "metric": "cpu_usage",
        "from": start.isoformat(),
        "to": (start + timedelta(minutes=10)).isoformat(),
        "step": 120,
    }
    assert api(world.outsider).get(url, params).status_code == 404
    points = api(world.viewer).get(url, params).json()["points"]
    assert [p[1] for p in points] == [1.0, None, 3.0, None, None]
    assert api(world.viewer).get(url, {**params, "metric": "nope"}).status_code == 400


@pytest.mark.parametrize("step", ["9" * 30, "9223372036854775807", str(366 * 24 * 3600 + 1)])
def test_api_usage_series_refuses_a_step_over_a_year_with_a_field_error(world, quota, step):
    url = "/api/v1/namespaces/acme-dev/usage/"
    response = api(world.viewer).get(url, {"metric": "cpu_usage", "step": step})
    assert response.status_code == 400
    assert response.json() == {"step": f"At most {366 * 24 * 3600} seconds (366 days)."}
    assert api(world.viewer).get(url, {"metric": "cpu_usage", "step": 366 * 24 * 3600}).status_code == 200


def test_api_usage_series_averages_gauges_and_sums_counters_over_a_step(world, quota):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for metric in (Metric.CPU_USAGE, Metric.NET_EGRESS_EXTERNAL):
        for minute, quantity in [(0, 1), (5, 3), (10, 7)]:
            UsageSample.objects.create(
                namespace=world.namespace, metric=metric, window_start=start + timedelta(minutes=minute),
                window_end=start + timedelta(minutes=minute + 1), quantity=quantity, source="t",
            )  # fmt: skip
    url = "/api/v1/namespaces/acme-dev/usage/"
    params = {"from": start.isoformat(), "to": (start + timedelta(minutes=20)).isoformat(), "step": 600}
    gauge = api(world.viewer).get(url, {**params, "metric": "cpu_usage"}).json()["points"]
    counter = api(world.viewer).get(url, {**params, "metric": "net_egress_external"}).json()["points"]
    assert [p[1] for p in gauge] == [2.0, 7.0]
    assert [p[1] for p in counter] == [4.0, 7.0]


@pytest.mark.parametrize(
    "moments",
    [
        {"from": "2026-13-45T00:00:00"},
        {"to": "2026-02-30T10:00:00"},
        {"to": "0001-01-01T00:00:00"},
        {"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-01T01:00:00+14:00"},
    ],
)
def test_api_usage_series_answers_impossible_moments_with_400(world, quota, moments):
    # Month 13, 30 February, a default day before the year 1: these were 500s.
    response = api(world.viewer).get("/api/v1/namespaces/acme-dev/usage/", {"metric": "cpu_usage", **moments})
    assert response.status_code == 400
    assert "detail" in response.json()


# --- Staff set a team's quota -------------------------------------------------------------------
def team_quota_post(client, **overrides):
    """The staff form as filled in: the starter plan's quota, with ``overrides``."""
    data = {
        "team-cpu": "4",
        "team-memory": "8Gi",
        "team-storage": "50Gi",
        "team-gpus": "0",
        "team-pods": "40",
        "team-pvcs": "10",
        "team-load_balancers": "0",
        "team-storage_classes": "standard=50Gi",
        "team-max_namespaces": "3",
    }
    data.update({f"team-{key}": value for key, value in overrides.items()})
    return client.post(reverse("metering:team_quota_edit", args=["acme"]), data)


def test_staff_see_every_teams_quota_page_with_the_form_and_members_do_not(client, world, quota):
    url = reverse("metering:team_quota", args=["acme"])
    html = login(client, world.admin).get(url).content.decode()
    assert 'id="team-quota-form"' in html
    assert 'name="team-cpu" value="4"' in html
    assert 'name="team-max_namespaces" value="3"' in html
    assert 'id="quota-request-form"' not in html  # staff are not in the team: nothing to ask for
    for persona in (world.owner, world.manager, world.developer, world.member):
        html = login(client, persona).get(url).content.decode()
        assert 'id="team-quota-form"' not in html
        # A member in no namespace has nothing to ask for.
        assert ('id="quota-request-form"' in html) == (persona != world.member)


def test_staff_raise_and_lower_a_team_quota(client, world, quota):
    client = login(client, world.admin)
    response = team_quota_post(client, cpu="16", memory="32Gi", max_namespaces="10")
    assert response.status_code == 302
    quota.refresh_from_db()
    assert (quota.cpu_millicores, quota.memory_bytes, quota.max_namespaces) == (16000, 32 * 1024**3, 10)
    response = team_quota_post(client, cpu="1", memory="2Gi", pods="10")  # exactly what is allocated
    assert response.status_code == 302
    assert "Team quota of Acme saved." in client.get(response["Location"]).content.decode()
    quota.refresh_from_db()
    assert (quota.cpu_millicores, quota.memory_bytes, quota.pods) == (1000, 2 * 1024**3, 10)
    raised, lowered = AuditEvent.objects.filter(action="quota.team_changed").order_by("pk")
    assert (raised.actor, raised.team) == (world.admin, world.team)
    assert (raised.data["from"]["cpu"], raised.data["to"]["cpu"]) == ("4", "16")
    assert (raised.data["max_namespaces_from"], raised.data["max_namespaces"]) == (3, 10)
    assert (lowered.data["from"]["cpu"], lowered.data["to"]["cpu"]) == ("16", "1")


def test_lowering_below_the_allocations_is_refused_field_by_field(client, world, quota):
    response = team_quota_post(login(client, world.admin), cpu="500m", memory="1Gi")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_team-cpu_error"' in html
    assert "At least 1: the team&#x27;s namespaces already hold that much." in html
    assert "At least 2Gi: the team&#x27;s namespaces already hold that much." in html
    assert 'value="500m"' in html  # what was typed stays in the form
    quota.refresh_from_db()
    assert (quota.cpu_millicores, quota.memory_bytes) == (4000, 8 * 1024**3)
    assert not AuditEvent.objects.filter(action="quota.team_changed").exists()


def test_dropping_a_storage_class_still_allocated_is_refused(client, world, quota):
    namespace_quota_set(
        actor=world.owner,
        namespace=world.namespace,
        amounts=parse_amounts({"cpu": "1", "storage": "5Gi", "storage_classes": {"standard": "5Gi"}}),
    )
    response = team_quota_post(login(client, world.admin), storage_classes="fast=50Gi")
    assert response.status_code == 200
    assert (
        "At least standard=5Gi: the team&#x27;s namespaces already hold that much."
        in response.content.decode()
    )
    quota.refresh_from_db()
    assert quota.storage_classes == {"standard": 50 * 1024**3}


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"cpu": ""}, "This field is required."),
        ({"memory": "lots"}, "not a Kubernetes quantity"),
        ({"storage_classes": "standard"}, "is not name=size"),
        ({"max_namespaces": "-1"}, "greater than or equal to 0"),
    ],
)
def test_invalid_team_quota_input_is_a_field_error(client, world, quota, overrides, error):
    response = team_quota_post(login(client, world.admin), **overrides)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not AuditEvent.objects.filter(action="quota.team_changed").exists()


@pytest.mark.parametrize("persona", ["owner", "manager", "member", "billing", "outsider", "finance"])
def test_only_staff_set_a_team_quota(client, world, quota, persona):
    response = team_quota_post(login(client, getattr(world, persona)), cpu="64")
    assert response.status_code == 404
    quota.refresh_from_db()
    assert quota.cpu_millicores == 4000
    assert not AuditEvent.objects.filter(action="quota.team_changed").exists()


def test_quotas_are_read_only_in_the_django_admin(client, world, quota):
    client = login(client, world.admin)
    allocation = NamespaceQuota.objects.get(namespace=world.namespace)
    for model, obj in (("teamquota", quota), ("namespacequota", allocation)):
        change = f"/admin/metering/{model}/{obj.pk}/change/"
        assert client.get(change).status_code == 200  # viewing is fine
        assert client.post(change, {"cpu_millicores": "999000"}).status_code == 403
        assert client.post(f"/admin/metering/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"/admin/metering/{model}/add/").status_code == 403
    quota.refresh_from_db()
    assert quota.cpu_millicores == 4000
    assert NamespaceQuota.objects.filter(pk=allocation.pk).exists()


def test_capacity_shows_each_namespaces_share_of_the_days_external_egress(client, world, time_machine):
    from django.utils import timezone

    from metering.models import UsageHourly
    from metering.services.collector import cluster_states_ensure

    time_machine.move_to(datetime(2026, 3, 2, 12, 30, tzinfo=UTC))
    cluster_states_ensure()
    now = timezone.now().replace(minute=0, second=0, microsecond=0)

    def sent(namespace, hour, gib, metric=Metric.NET_EGRESS_EXTERNAL):
        UsageHourly.objects.create(
            namespace=namespace, metric=metric, hour=hour, quantity=gib * 2**30, coverage=1, samples=60
        )

    sent(world.namespace, now - timedelta(hours=1), 3)
    sent(world.namespace, now - timedelta(hours=5), 3)
    sent(world.other_namespace, now - timedelta(hours=2), 2)
    sent(world.other_namespace, now - timedelta(hours=30), 500)  # older than a day
    sent(world.other_namespace, now - timedelta(hours=2), 900, metric=Metric.NET_EGRESS_INTERNAL)
    html = login(client, world.admin).get(reverse("metering:staff_capacity")).content.decode()
    section = html.split('id="egress-h"')[1]
    assert ": 8 GiB</h3>" in section
    assert section.index("acme-dev") < section.index("globex-prod")
    assert "<td>6 GiB</td><td>75.0 %</td>" in section and "<td>2 GiB</td><td>25.0 %</td>" in section


def test_the_quota_page_shows_the_plans_bandwidth_per_pod_and_gateways(client, world, settings):
    from metering.selectors import bandwidth_label

    assert [bandwidth_label(q) for q in ("20M", "1G", "500k", "1000", "", None)] == [
        "20 Mbit/s",
        "1 Gbit/s",
        "500 kbit/s",
        "1000 bit/s",
        "",
        "",
    ]
    world.team.plan = "team"
    world.team.save()
    html = login(client, world.owner).get(reverse("metering:team_quota", args=["acme"])).content.decode()
    figures = html.split('id="plan-bandwidth"')[1]
    assert figures.startswith(">out 100 Mbit/s, in 100 Mbit/s")
    assert ", ".join(settings.TENANTRY_PLANS["team"]["gateways"]) in figures


def test_a_plan_without_bandwidth_caps_says_unlimited(client, world, settings):
    settings.TENANTRY_PLANS = {**settings.TENANTRY_PLANS, "free": {"gateways": []}}
    world.team.plan = "free"
    world.team.save()
    html = login(client, world.owner).get(reverse("metering:team_quota", args=["acme"])).content.decode()
    assert html.split('id="plan-bandwidth"')[1].startswith(">out unlimited, in unlimited")


def test_allocation_lines_link_each_namespace_as_reverse_does(client, world, quota, settings):
    settings.TENANTRY_PAGE_SIZE = 5
    for i in range(4):
        NamespaceFactory(team=world.team, name=f"acme-{i}x")
    html = login(client, world.owner).get(reverse("metering:team_quota", args=["acme"])).content.decode()
    allocations = html.split('id="alloc-h"')[1].split("</table>")[0]
    names = [part.split('"')[0] for part in allocations.split('<tr class="allocation" id="allocation-')[1:]]
    assert len(names) == 5
    for name in names:
        assert f'<a href="{reverse("metering:namespace_usage", args=[name])}">{name}</a>' in allocations


def test_quota_requests_page_is_each_teams_own_for_whoever_asks(world, quota):
    """Every pending request and the ten latest decided ones, of the team asked about and the
    namespaces the user sees, whichever team and user asked before (the page's query may be
    kept per process); a requester who left shows as none."""
    from metering.selectors import quota_requests_page, team_quota_requests

    hidden = NamespaceFactory(team=world.team, name="acme-hidden")  # the developer is not in it
    gone = UserFactory(username="gone")
    for n in range(12):
        QuotaRequest.objects.create(
            team=world.team, namespace=world.namespace if n % 3 else hidden, reason=f"old {n}",
            cpu_millicores=1, requested_by=world.developer, status="denied", decision_note=f"note {n}",
        )  # fmt: skip
    for n in range(3):
        QuotaRequest.objects.create(
            team=world.team, namespace=hidden if n == 2 else world.namespace, reason=f"waiting {n}",
            cpu_millicores=1, requested_by=gone if n == 1 else world.developer,
        )  # fmt: skip
    for n, status in enumerate(["pending", "pending", "approved"]):
        QuotaRequest.objects.create(
            team=world.other_team, namespace=world.other_namespace, reason=f"globex {n}", cpu_millicores=1,
            requested_by=world.outsider, status=status,
        )  # fmt: skip
    gone.delete()
    remaining = {"cpu": 10**6, "memory": 0, "storage": 0, "gpus": 0, "pods": 0, "pvcs": 0, "load_balancers": 0,
                 "storage_classes": {}}  # fmt: skip
    askers = [
        (world.owner, world.team), (world.outsider, world.other_team), (world.developer, world.team),
        (world.admin, world.other_team), (world.manager, world.team), (world.admin, world.team),
    ]  # fmt: skip
    for _ in range(2):
        for user, team in askers:
            shown = quota_requests_page(team=team, user=user, remaining=remaining)
            requests = team_quota_requests(team=team, user=user)
            assert [p.request.pk for p in shown.pending] == [r.pk for r in requests.filter(status="pending")]
            assert [r.pk for r in shown.recent] == [r.pk for r in requests.exclude(status="pending")[:10]]
            assert {p.request.namespace.name for p in shown.pending} <= {
                n.name for n in Namespace.objects.all()
            }
            emails = {p.request.pk: getattr(p.request.requested_by, "email", None) for p in shown.pending}
            assert emails == {
                r.pk: getattr(r.requested_by, "email", None) for r in requests.filter(status="pending")
            }
    developer = quota_requests_page(team=world.team, user=world.developer, remaining=remaining)
    assert "acme-hidden" not in {p.request.namespace.name for p in developer.pending}
    assert len(quota_requests_page(team=world.team, user=world.owner, remaining=remaining).pending) == 3
    assert None in {
        p.request.requested_by
        for p in quota_requests_page(team=world.team, user=world.owner, remaining=remaining).pending
    }
