"""In a real browser: watch a namespace get provisioned, retry a failure, download a kubeconfig.

The console runs on ``live_server`` with the emulator as its cluster and Celery eager, so
provisioning triggered by a page runs inside that request.
"""

import os
from pathlib import Path

import kubernetes
import pytest
import yaml
from django.conf import settings
from django.test import Client

from clusters import tasks
from clusters.provisioning import namespace_provision
from tenants.services.namespaces import namespace_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEADLINE_MS = 15_000


@pytest.fixture
def browser_page(live_server, monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1 (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(DEADLINE_MS)
        yield page
        context.close()
        browser.close()


def sign_in(page, live_server, user) -> None:
    """Log in through Django's session machinery and hand the cookie to the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_watch_provisioning_retry_a_failure_and_download_a_kubeconfig(
    browser_page, live_server, world, cluster, monkeypatch, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    # Hold the worker back so the page can be seen waiting; the test plays the worker below.
    queued: list[int] = []
    real_schedule = tasks.schedule_provisioning
    monkeypatch.setattr(tasks, "schedule_provisioning", queued.append)
    namespace = namespace_create(actor=world.owner, team=world.team, name="acme-web")
    assert queued == [namespace.pk]

    sign_in(page, live_server, world.owner)
    page.goto(f"{live_server.url}/namespaces/acme-web/status/")
    status = page.locator("#namespace-status")
    expect(status.get_by_role("status")).to_contain_text("Pending")

    # The first attempt is refused by the cluster: the polling page shows the error and a retry.
    cluster.fail_next(1, 403, method="PATCH", path=r"/namespaces/acme-web$", message="denied by policy")
    namespace_provision(namespace_id=namespace.pk)
    expect(status.get_by_role("status")).to_contain_text("Error")
    expect(status.get_by_role("alert")).to_contain_text("denied by policy")

    # The retry goes through the real (eager) task, inside the request.
    monkeypatch.setattr(tasks, "schedule_provisioning", real_schedule)
    status.get_by_role("button", name="Retry provisioning").click()
    expect(status.get_by_role("status")).to_contain_text("Ready")
    expect(status.get_by_role("button", name="Retry provisioning")).to_have_count(0)

    page.goto(f"{live_server.url}/access/")
    page.get_by_label("Token lifetime (hours)").fill("1")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download kubeconfig").click()
    download = download_info.value
    assert download.suggested_filename == "tenantry.kubeconfig"
    path = tmp_path / "tenantry.kubeconfig"
    download.save_as(path)

    config = yaml.safe_load(path.read_text())
    assert sorted(c["name"] for c in config["contexts"]) == ["acme-dev", "acme-web"]
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config_from_dict(
        config, context="acme-web", client_configuration=configuration
    )
    with kubernetes.client.ApiClient(configuration) as api:
        pods = kubernetes.client.CoreV1Api(api).list_namespaced_pod("acme-web")
    assert pods.items == []
