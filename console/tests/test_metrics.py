"""/metrics: only for the metrics token, request metrics by view, state gauges from the database."""

import re
from datetime import timedelta
from urllib.request import Request, urlopen

import pytest
import time_machine
from django.utils import timezone

from billing.models import Band, BillingAccount, BillRun
from console.celery import ping
from console.observability.server import serve_metrics
from tenants.models import NamespaceStatus
from tests.factories import NamespaceFactory, TeamFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        got = ",".join(sorted(p for p in re.findall(r'\w+="[^"]*"', match.group(2) or "")))
        if got == want:
            return float(match.group(3))
    raise AssertionError(f"no sample {name}{{{want}}}")


def test_metrics_is_404_without_the_token_even_for_staff(client, world):
    client.force_login(world.admin)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404


def test_metrics_is_off_while_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_requests_are_counted_by_view_name_not_path(client, world):
    client.force_login(world.owner)
    before = client.get("/metrics", **AUTH).content.decode()
    try:
        start = sample(before, "tenantry_http_requests_total", view="team_detail", method="GET", status="200")
    except AssertionError:
        start = 0
    client.get("/teams/acme/")
    client.get("/teams/acme/")
    client.get("/no/such/page/")
    text = client.get("/metrics", **AUTH).content.decode()
    counted = sample(text, "tenantry_http_requests_total", view="team_detail", method="GET", status="200")
    assert counted == start + 2
    assert sample(text, "tenantry_http_requests_total", view="<unresolved>", method="GET", status="404") >= 1
    assert not [line for line in text.splitlines() if line.startswith("tenantry_http_") and "acme" in line]
    assert sample(text, "tenantry_http_request_duration_seconds_count", view="team_detail", method="GET") >= 2


def test_state_gauges_count_namespaces_queue_and_bands(client):
    team = TeamFactory()
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=10)):
        NamespaceFactory(team=team, status=NamespaceStatus.PENDING)
    NamespaceFactory.create_batch(2, team=team, status=NamespaceStatus.PENDING)
    NamespaceFactory(
        team=team,
        status=NamespaceStatus.READY,
        provisioning__desired_hash="b",
        provisioning__applied_hash="a",
        provisioning__last_reconciled_at=now - timedelta(minutes=20),
    )
    NamespaceFactory(
        team=team,
        status=NamespaceStatus.READY,
        provisioning__desired_hash="a",
        provisioning__applied_hash="a",
        provisioning__last_reconciled_at=now,
    )
    NamespaceFactory(team=team, status=NamespaceStatus.DELETED, provisioning__desired_hash="x")
    BillingAccount.objects.update_or_create(team=team, defaults={"band": Band.DEBT})
    BillRun.objects.create(
        trigger="beat",
        started_at=now - timedelta(seconds=90),
        finished_at=now - timedelta(seconds=30),
        errors=[{"team": team.slug, "day": "2026-01-01", "error": "boom"}],
    )
    with time_machine.travel(now, tick=False):
        text = client.get("/metrics", **AUTH).content.decode()
    assert sample(text, "tenantry_namespaces", status="pending") == 3
    assert sample(text, "tenantry_namespaces", status="ready") == 2
    assert sample(text, "tenantry_namespaces", status="error") == 0
    assert sample(text, "tenantry_provisioning_queue_depth") == 4  # 3 pending + 1 changed
    assert sample(text, "tenantry_provisioning_oldest_pending_seconds") == pytest.approx(600, abs=2)
    assert sample(text, "tenantry_reconcile_lag_seconds") == pytest.approx(1200, abs=2)
    assert sample(text, "tenantry_billing_accounts", band="debt") == 1
    assert sample(text, "tenantry_bill_run_last_duration_seconds") == 60
    assert sample(text, "tenantry_bill_run_last_failures") == 1


def test_scrape_queries_do_not_grow_with_data(client, django_assert_max_num_queries):
    team = TeamFactory()
    NamespaceFactory(team=team)
    with django_assert_max_num_queries(10) as few:
        client.get("/metrics", **AUTH)
    NamespaceFactory.create_batch(30, team=team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/metrics", **AUTH)


def test_worker_metrics_port_needs_the_token_counts_tasks_and_answers_health():
    ping.apply()
    server = serve_metrics(host="127.0.0.1", port=0, token=TOKEN)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        with pytest.raises(Exception, match="404"):
            urlopen(url, timeout=5)
        with pytest.raises(Exception, match="404"):
            urlopen(Request(url, headers={"Authorization": "Bearer nope"}), timeout=5)
        with urlopen(Request(url, headers={"Authorization": f"Bearer {TOKEN}"}), timeout=5) as resp:
            text = resp.read().decode()
        with urlopen(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5) as resp:
            health = resp.read()
    finally:
        server.shutdown()
        server.server_close()
    assert health == b'{"status": "ok"}'
    assert sample(text, "tenantry_tasks_total", task="console.ping", outcome="success") >= 1
    assert sample(text, "tenantry_task_duration_seconds_count", task="console.ping") >= 1
