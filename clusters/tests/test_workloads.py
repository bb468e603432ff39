"""The Workloads tab reads the cluster as the viewer: Kubernetes RBAC is the real check."""

import pytest
import yaml
from django.urls import reverse

from clusters.identity import viewer_gateway
from clusters.kubeconfigs import kubeconfig_tokens_revoke
from clusters.provisioning import namespace_provision
from clusters.workloads import FIRST_DEPLOYMENT, LOG_LIMIT_BYTES, first_deployment_snippet
from kubeemu import tokens
from kubeemu.testing import restricted_pod
from metering.amounts import parse_amounts
from metering.services.quotas import namespace_quota_set, team_quota_ensure

pytestmark = pytest.mark.django_db


def pod(name, *, containers=("app",), phase="Running", restarts=0, node="node-1", runtime="gvisor"):
    obj = restricted_pod(name, "acme-dev", containers, nodeName=node, runtimeClassName=runtime)
    for container in obj["spec"]["containers"]:
        container["resources"] = {"limits": {"cpu": "100m", "memory": "64Mi"}}
    statuses = [
        {"name": c, "image": "busybox", "imageID": "", "ready": phase == "Running", "restartCount": restarts}
        for c in containers
    ]
    return obj, {"phase": phase, "containerStatuses": statuses}


@pytest.fixture
def running(provisioned, kube_emulator):
    """acme-dev with quota for pods and a small application running in it."""
    team_quota_ensure(team=provisioned.team)
    namespace_quota_set(
        actor=provisioned.owner,
        namespace=provisioned.namespace,
        amounts=parse_amounts({"cpu": "2", "memory": "2Gi", "pods": 10, "storage": "10Gi", "pvcs": 2}),
    )
    namespace_provision(namespace_id=provisioned.namespace.pk)
    emu = kube_emulator
    emu.seed_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "shop", "namespace": "acme-dev"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "shop"}},
                "template": {
                    "metadata": {"labels": {"app": "shop"}},
                    "spec": {"containers": [{"name": "a", "image": "x"}]},
                },
            },
        },
        status={"readyReplicas": 2},
    )
    emu.seed_object(*pod("shop-1", containers=("app", "proxy"), restarts=4))
    emu.seed_object(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "shop", "namespace": "acme-dev"},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "shop"}},
        }
    )
    emu.seed_object(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "shop", "namespace": "acme-dev"},
            "spec": {"rules": [{"host": "shop.acme.example"}]},
        }
    )
    emu.seed_object(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "acme-dev"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "resources": {"requests": {"storage": "5Gi"}},
            },
        }
    )
    for name, kind, reason in (("e1", "Normal", "Scheduled"), ("e2", "Warning", "BackOff")):
        emu.seed_object(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": "acme-dev"},
                "involvedObject": {"kind": "Pod", "name": "shop-1", "namespace": "acme-dev"},
                "reason": reason,
                "message": f"{reason} happened",
                "type": kind,
            }
        )
    emu.seed_object(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-password", "namespace": "acme-dev"},
            "data": {"password": "aHVudGVyMg=="},
        }
    )
    emu.append_pod_log("acme-dev", "shop-1", "app", [f"request {n}" for n in range(500)])
    emu.append_pod_log("acme-dev", "shop-1", "proxy", ["proxy ready"])
    return provisioned


def page(client, user, name="acme-dev", htmx=False, **query):
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(reverse("namespace_workloads", args=[name]), query, headers=headers)


def test_viewer_sees_what_runs_but_kubernetes_refuses_them_secrets(client, running):
    response = page(client, running.viewer)
    assert response.status_code == 200
    html = response.content.decode()
    section = {p.key: p for p in response.context["pages"]}
    assert section["deployments"].rows[0]["ready"] == "2/3"
    pod_row = section["pods"].rows[0]
    assert (pod_row["phase"], pod_row["restarts"], pod_row["runtime_class"], pod_row["node"]) == (
        "Running",
        8,  # 4 restarts in each of two containers
        "gvisor",
        "node-1",
    )
    assert section["services"].rows[0]["type"] == "ClusterIP"
    assert section["ingresses"].rows[0]["hosts"] == ["shop.acme.example"]
    assert (section["pvcs"].rows[0]["storage_class"], section["pvcs"].rows[0]["size"]) == ("standard", "5Gi")
    # Warnings come before the other events.
    assert html.index("BackOff happened") < html.index("Scheduled happened")
    # The API server's own refusal, for the viewer's own ServiceAccount, surfaced as a message.
    secrets = section["secrets"]
    assert secrets.refused and not secrets.rows
    assert f"system:serviceaccount:tenantry-system:u{running.viewer.pk}" in secrets.error
    assert 'cannot list resource "secrets"' in secrets.error
    assert "Kubernetes refused to list secrets for you" in html


def test_namespace_admin_sees_secret_names_never_their_values(client, running):
    response = page(client, running.owner)
    secrets = {p.key: p for p in response.context["pages"]}["secrets"]
    assert secrets.rows == [
        {"name": "db-password", "age": secrets.rows[0]["age"], "type": "Opaque", "keys": 1}
    ]
    assert "aHVudGVyMg" not in response.content.decode()


def test_reads_go_out_with_the_viewers_token_not_the_consoles(running, kube_emulator):
    gateway = viewer_gateway(user=running.viewer, namespace=running.namespace)
    assert gateway.server_url == kube_emulator.url
    token = gateway._api.configuration.api_key["authorization"]
    assert token != kube_emulator.admin_token
    user = tokens.authenticate(kube_emulator.store, kube_emulator.store.signing_key, token)
    assert user.name == f"system:serviceaccount:tenantry-system:u{running.viewer.pk}"


def test_outsiders_get_404_and_learn_nothing_from_the_cluster(client, running, kube_emulator):
    kube_emulator.reset_counters()
    assert page(client, running.outsider).status_code == 404
    logs = reverse("namespace_pod_logs", args=["acme-dev", "shop-1"])
    assert client.get(logs).status_code == 404
    assert kube_emulator.counts()["total"] == 0


def test_lists_are_paged_on_the_server(client, running, kube_emulator, settings):
    settings.TENANTRY_PAGE_SIZE = 2
    for index in range(2, 5):
        kube_emulator.seed_object(*pod(f"shop-{index}"))
    first = {p.key: p for p in page(client, running.developer).context["pages"]}["pods"]
    assert [r["name"] for r in first.rows] == ["shop-1", "shop-2"] and first.next_token
    kube_emulator.reset_counters()
    response = page(client, running.developer, section="pods", htmx=True, **{"continue": first.next_token})
    second = response.context["page"]
    assert [r["name"] for r in second.rows] == ["shop-3", "shop-4"] and second.continued
    assert kube_emulator.counts()["reads"] == 1  # only this section, one bounded list
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="section-pods"')
    assert "First page" in html


def test_an_unknown_section_is_a_400(client, running):
    assert page(client, running.viewer, section="nodes").status_code == 400


def test_an_empty_namespace_shows_a_copyable_first_deployment(client, provisioned):
    html = page(client, provisioned.developer).content.decode()
    assert 'id="workloads-empty"' in html
    assert 'data-copy="first-deployment"' in html
    assert "kubectl --context acme-dev apply -f -" in html


def test_the_first_deployment_snippet_is_admitted_under_pod_security_restricted(provisioned, kube_emulator):
    team_quota_ensure(team=provisioned.team)
    namespace_quota_set(
        actor=provisioned.owner,
        namespace=provisioned.namespace,
        amounts=parse_amounts({"cpu": "1", "memory": "1Gi", "pods": 5}),
    )
    namespace_provision(namespace_id=provisioned.namespace.pk)
    snippet = first_deployment_snippet("acme-dev")
    assert FIRST_DEPLOYMENT in snippet and snippet.endswith("EOF")
    deployment = yaml.safe_load(FIRST_DEPLOYMENT)
    gateway = viewer_gateway(user=provisioned.developer, namespace=provisioned.namespace)
    created = gateway.create({**deployment, "metadata": {"name": "hello", "namespace": "acme-dev"}})
    assert created["metadata"]["uid"]
    template = deployment["spec"]["template"]
    pod_obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": "hello-1", "namespace": "acme-dev"},
        "spec": template["spec"],
    }
    assert gateway.create(pod_obj)["metadata"]["name"] == "hello-1"  # restricted + quota admit it


def test_pod_logs_tail_per_container_bounded(client, running):
    client.force_login(running.viewer)
    url = reverse("namespace_pod_logs", args=["acme-dev", "shop-1"])
    response = client.get(url, {"tail": "3"})
    assert response.status_code == 200
    log = response.context["log"]
    assert log == "request 497\nrequest 498\nrequest 499\n"
    assert response.context["containers"] == ["app", "proxy"]
    assert client.get(url, {"container": "proxy"}).context["log"] == "proxy ready\n"
    assert client.get(url, {"tail": "999999"}).context["tail"] == 2000
    assert client.get(url, {"tail": "many"}).status_code == 400
    assert LOG_LIMIT_BYTES == 256 * 1024


def test_following_a_log_polls_the_fragment(client, running):
    client.force_login(running.viewer)
    url = reverse("namespace_pod_logs", args=["acme-dev", "shop-1"])
    response = client.get(
        url, {"container": "app", "tail": "1", "follow": "1"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="pod-log"')
    assert 'hx-trigger="every 2s"' in html and "request 499" in html
    stopped = client.get(
        url, {"container": "app", "tail": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in stopped


def test_logs_of_a_pod_still_starting_say_so(client, running, kube_emulator):
    kube_emulator.seed_object(*pod("starting", phase="Pending"))
    client.force_login(running.viewer)
    response = client.get(reverse("namespace_pod_logs", args=["acme-dev", "starting"]))
    assert "waiting to start" in response.context["error"]


def test_revoked_tokens_are_replaced_on_the_next_read(client, running):
    assert page(client, running.viewer).status_code == 200
    kubeconfig_tokens_revoke(user=running.viewer)  # the cached token is now refused (401)
    pods = {p.key: p for p in page(client, running.viewer).context["pages"]}["pods"]
    assert not pods.error and pods.rows
