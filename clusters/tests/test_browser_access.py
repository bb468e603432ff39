"""In a real browser: create a namespace on the team page, watch it get provisioned, retry a
failure, download a kubeconfig.

The console runs on ``live_server`` with the emulator as its cluster and Celery eager, so
provisioning triggered by a page runs inside that request.
"""

import kubernetes
import pytest
import yaml

from clusters import tasks
from clusters.provisioning import namespace_provision
from tenants.models import Namespace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_watch_provisioning_retry_a_failure_and_download_a_kubeconfig(
    new_page, live_server, world, cluster, monkeypatch, tmp_path
):
    from playwright.sync_api import expect

    # Hold the worker back so the page can be seen waiting; the test plays the worker below.
    queued: list[int] = []
    real_schedule = tasks.schedule_provisioning
    monkeypatch.setattr(tasks, "schedule_provisioning", queued.append)
    page = new_page(user=world.owner, base_url=live_server.url)
    page.goto(f"{live_server.url}/teams/acme/")
    page.get_by_role("link", name="New namespace").click()
    form = page.locator("#namespace-form")
    form.get_by_label("Name", exact=True).fill("acme-web")
    form.get_by_role("button", name="Create namespace").click()
    expect(page).to_have_url(f"{live_server.url}/namespaces/acme-web/")
    namespace = Namespace.objects.get(name="acme-web")
    assert queued == [namespace.pk]

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
