"""In a real browser: a member asks for more CPU, the manager approves, the cluster follows."""

import pytest

from clusters.connections import forget_gateways
from metering.amounts import parse_amounts
from metering.models import NamespaceQuota
from metering.services.quotas import namespace_quota_set, team_quota_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def quota_hard(emulator, namespace):
    quotas = emulator.list_objects("v1", "ResourceQuota", namespace)
    return quotas[0]["spec"]["hard"] if quotas else None


def test_member_request_approved_by_manager_changes_the_resource_quota(
    world, new_page, live_server, kube_emulator, kube_kubeconfig, settings, live_provisioning
):
    from playwright.sync_api import expect

    from clusters.tasks import provision_namespace

    settings.KUBECONFIG = str(kube_kubeconfig)
    forget_gateways()
    quota = team_quota_ensure(team=world.team)
    quota.cpu_millicores = 4000
    quota.save()
    namespace_quota_set(
        actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "1", "pods": 5})
    )
    provision_namespace.apply((world.namespace.pk,))
    assert quota_hard(kube_emulator, "acme-dev")["requests.cpu"] == "1"

    member = new_page(user=world.developer, base_url=live_server.url)
    member.goto(f"{live_server.url}/teams/acme/quota/")
    form = member.locator("#quota-request-form")
    form.get_by_label("Namespace").select_option("acme-dev")
    form.get_by_label("CPU").fill("2")
    form.get_by_label("Reason").fill("Load test next week")
    form.get_by_role("button", name="Send request").click()
    expect(member.get_by_text("sent: the team's owners and managers decide.")).to_be_visible()

    manager = new_page(user=world.manager, base_url=live_server.url)
    manager.goto(f"{live_server.url}/teams/acme/quota/")
    expect(manager.get_by_text("Load test next week")).to_be_visible()
    manager.get_by_role("button", name="Approve #").click()
    expect(manager.get_by_text("approved.")).to_be_visible()

    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 3000
    assert quota_hard(kube_emulator, "acme-dev")["requests.cpu"] == "3"
    forget_gateways()
