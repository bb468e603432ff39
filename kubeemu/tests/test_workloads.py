"""Workload kinds, list chunking (limit/continue), events and pod logs, through the official client."""

import kubernetes
import pytest

from kubeemu import testing
from kubeemu.tests.helpers import namespace, status_of

ApiException = kubernetes.client.ApiException


def restricted_pod(name, containers=("app",)):
    return testing.restricted_pod(name, "team-a", containers)


@pytest.fixture
def core(kube_admin_client):
    namespace(kube_admin_client, "team-a")
    return kubernetes.client.CoreV1Api(kube_admin_client)


def test_lists_come_in_pages_with_a_continue_token(core, kube_emulator):
    for index in range(7):
        core.create_namespaced_config_map("team-a", {"metadata": {"name": f"cm-{index}"}})
    names, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map("team-a", limit=3, _continue=token)
        names += [item.metadata.name for item in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 8 - len(names)  # kube-root-ca.crt as well
    assert pages == 3
    assert names == sorted(names) and len(set(names)) == 8


def test_cluster_wide_lists_come_in_etcd_key_order(core, kube_admin_client, kube_emulator):
    """As kube-apiserver (``/registry/configmaps/<namespace>/<name>``): ``team-a-b`` sorts before
    ``team-a`` ('-' is below '/'), every namespace's objects are contiguous, and pages of any
    size put together are the one-page list; ``remainingItemCount`` counts what is left."""
    for name in ("team-a-b", "team-a0", "team-b"):
        namespace(kube_admin_client, name)
    for ns in ("team-a", "team-a-b", "team-a0", "team-b"):
        for index in (2, 10, 1):
            core.create_namespaced_config_map(ns, {"metadata": {"name": f"cm-{index}"}})
    whole = [
        (cm.metadata.namespace, cm.metadata.name) for cm in core.list_config_map_for_all_namespaces().items
    ]
    assert whole == sorted(whole, key=lambda key: f"{key[0]}/{key[1]}".encode())
    ours = [ns for ns, _ in whole if ns.startswith("team-")]
    assert list(dict.fromkeys(ours)) == ["team-a-b", "team-a", "team-a0", "team-b"]
    for limit in (1, 3, 4):
        paged, token = [], None
        while True:
            page = core.list_config_map_for_all_namespaces(limit=limit, _continue=token)
            paged += [(cm.metadata.namespace, cm.metadata.name) for cm in page.items]
            token = page.metadata._continue
            if not token:
                break
            assert page.metadata.remaining_item_count == len(whole) - len(paged)
        assert paged == whole


def test_a_forged_continue_token_is_a_400(core):
    with pytest.raises(ApiException) as error:
        core.list_namespaced_config_map("team-a", limit=2, _continue="not-a-token")
    assert error.value.status == 400
    assert "continue key is not valid" in status_of(error.value)["message"]


def test_daemonsets_jobs_ingresses_and_events_are_served(kube_admin_client, kube_emulator, core):
    kube_emulator.seed_object(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"rules": [{"host": "shop.example.com"}]},
        }
    )
    kube_emulator.seed_object(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "web.1", "namespace": "team-a"},
            "involvedObject": {"kind": "Pod", "name": "web", "namespace": "team-a"},
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "type": "Warning",
        }
    )
    networking = kubernetes.client.NetworkingV1Api(kube_admin_client)
    assert networking.list_namespaced_ingress("team-a").items[0].spec.rules[0].host == "shop.example.com"
    warnings = core.list_namespaced_event("team-a", field_selector="type=Warning").items
    assert [e.reason for e in warnings] == ["BackOff"]
    assert not core.list_namespaced_event("team-a", field_selector="type!=Warning").items
    assert kubernetes.client.AppsV1Api(kube_admin_client).list_namespaced_daemon_set("team-a").items == []
    assert kubernetes.client.BatchV1Api(kube_admin_client).list_namespaced_job("team-a").items == []


def test_pod_logs_tail_cap_and_name_the_container(core, kube_emulator):
    kube_emulator.seed_object(restricted_pod("web", ("app", "sidecar")), status={"phase": "Running"})
    kube_emulator.append_pod_log("team-a", "web", "app", [f"line {n}" for n in range(100)])
    kube_emulator.append_pod_log("team-a", "web", "sidecar", ["proxy up"])
    assert (
        core.read_namespaced_pod_log("web", "team-a", container="app", tail_lines=2) == "line 98\nline 99\n"
    )
    assert core.read_namespaced_pod_log("web", "team-a", container="sidecar") == "proxy up\n"
    capped = core.read_namespaced_pod_log("web", "team-a", container="app", limit_bytes=10)
    assert capped == "line 0\nlin"
    with pytest.raises(ApiException) as error:
        core.read_namespaced_pod_log("web", "team-a")
    assert error.value.status == 400
    assert "choose one of: [app sidecar]" in status_of(error.value)["message"]
    with pytest.raises(ApiException) as error:
        core.read_namespaced_pod_log("web", "team-a", container="nope")
    assert "container nope is not valid for pod web" in status_of(error.value)["message"]


def test_a_pending_pod_has_no_logs_yet(core, kube_emulator):
    kube_emulator.seed_object(restricted_pod("starting"))
    with pytest.raises(ApiException) as error:
        core.read_namespaced_pod_log("starting", "team-a")
    assert error.value.status == 400
    assert "waiting to start" in status_of(error.value)["message"]


def test_logs_need_the_pods_log_right(core, kube_emulator, kube_client_for_token):
    kube_emulator.seed_object(restricted_pod("web"), status={"phase": "Running"})
    core.create_namespaced_service_account("team-a", {"metadata": {"name": "reader"}})
    rbac = kubernetes.client.RbacAuthorizationV1Api(core.api_client)
    rbac.create_namespaced_role(
        "team-a",
        {
            "metadata": {"name": "pods"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        "team-a",
        {
            "metadata": {"name": "reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "team-a"}],
        },
    )
    token = core.create_namespaced_service_account_token("reader", "team-a", {"spec": {}}).status.token
    reader = kubernetes.client.CoreV1Api(kube_client_for_token(token))
    assert reader.read_namespaced_pod("web", "team-a").metadata.name == "web"
    with pytest.raises(ApiException) as error:
        reader.read_namespaced_pod_log("web", "team-a")
    assert error.value.status == 403
    assert 'cannot get resource "pods/log"' in status_of(error.value)["message"]


def test_pod_log_lines_arrive_over_the_control_endpoint(core, kube_emulator):
    import json
    import urllib.request

    kube_emulator.seed_object(restricted_pod("web"), status={"phase": "Running"})
    body = {"namespace": "team-a", "pod": "web", "container": "app", "lines": ["hello"]}
    request = urllib.request.Request(  # noqa: S310 - the local emulator
        f"{kube_emulator.url}/_emu/pod-log",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {kube_emulator.admin_token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert json.loads(response.read()) == {"lines": 1}
    assert core.read_namespaced_pod_log("web", "team-a") == "hello\n"
