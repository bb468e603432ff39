import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import kubernetes
import pytest
import urllib3
import yaml

from kubeemu.testing import wait_for
from kubeemu.tests.helpers import namespace, status_of

ApiException = kubernetes.client.ApiException
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def core(kube_admin_client):
    return kubernetes.client.CoreV1Api(kube_admin_client)


def test_injected_failures_answer_with_a_status_then_stop(kube_emulator, core):
    kube_emulator.fail_next(2, 503)
    for _ in range(2):
        with pytest.raises(ApiException) as excinfo:
            core.list_namespace()
        assert excinfo.value.status == 503
        assert status_of(excinfo.value)["reason"] == "ServiceUnavailable"
        assert excinfo.value.headers["Retry-After"] == "1"
    assert core.list_namespace().items


def test_injected_failures_match_method_and_path(kube_emulator, core):
    kube_emulator.fail_next(1, 500, method="POST", path=r"/configmaps$")
    core.list_namespace()
    core.read_namespace("default")
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map("default", {"metadata": {"name": "x"}})
    assert excinfo.value.status == 500
    assert core.create_namespaced_config_map("default", {"metadata": {"name": "x"}}).metadata.name == "x"


def test_dropped_connection_gives_no_response(kube_emulator, core):
    kube_emulator.drop_next(1)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        core.list_namespace()
    assert core.list_namespace().items


def test_latency_delays_responses_past_a_client_timeout(kube_emulator, core):
    kube_emulator.set_latency(0.5, path="^/api/v1/namespaces$")
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.list_namespace(_request_timeout=(1, 0.05))
    assert core.read_namespace("default").metadata.name == "default"
    kube_emulator.set_latency(0)
    assert core.list_namespace(_request_timeout=(1, 0.5)).items


def test_counters_split_reads_and_writes_by_verb(kube_emulator, core):
    kube_emulator.reset_counters()
    namespace(core.api_client, "team-a")
    core.list_namespace()
    core.read_namespace("team-a")
    core.patch_namespace("team-a", {"metadata": {"labels": {"a": "b"}}})
    core.delete_namespace("team-a")
    counts = kube_emulator.counts()
    assert counts["by_verb"] == {"create": 1, "list": 1, "get": 1, "patch": 1, "delete": 1}
    assert (counts["total"], counts["reads"], counts["writes"]) == (5, 2, 3)
    assert counts["requests"][0] == ["create", "POST", "/api/v1/namespaces"]
    kube_emulator.reset_counters()
    assert kube_emulator.counts()["total"] == 0


def test_reset_forgets_objects_faults_and_options(kube_emulator, core):
    namespace(core.api_client, "team-a")
    kube_emulator.fail_next(5)
    kube_emulator.options["mutating_admission_policies"] = False
    kube_emulator.reset()
    names = [n.metadata.name for n in core.list_namespace().items]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    assert kube_emulator.options["mutating_admission_policies"] is True


def test_seeded_nodes_report_allocatable(kube_emulator, core):
    kube_emulator.add_node("node-1", {"cpu": "8", "memory": "32Gi"}, labels={"gpu": "true"})
    node = core.read_node("node-1")
    assert node.status.allocatable == {"cpu": "8", "memory": "32Gi"}
    assert node.metadata.labels["gpu"] == "true"


def test_metrics_are_served_read_only(kube_emulator, kube_admin_client):
    kube_emulator.set_pod_metrics(
        "team-a", "web-1", {"web": {"cpu": "25m", "memory": "64Mi"}}, labels={"app": "web"}
    )
    kube_emulator.set_pod_metrics("team-b", "db-1", {"db": {"cpu": "100m", "memory": "1Gi"}})
    kube_emulator.set_node_metrics("node-1", {"cpu": "1500m", "memory": "12Gi"})
    custom = kubernetes.client.CustomObjectsApi(kube_admin_client)
    pods = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods")
    assert pods["kind"] == "PodMetricsList"
    assert sorted(p["metadata"]["name"] for p in pods["items"]) == ["db-1", "web-1"]
    in_a = custom.list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", "team-a", "pods", label_selector="app=web"
    )
    assert in_a["items"][0]["containers"] == [{"name": "web", "usage": {"cpu": "25m", "memory": "64Mi"}}]
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["items"][0]["usage"]["cpu"] == "1500m"
    with pytest.raises(ApiException) as excinfo:
        custom.delete_namespaced_custom_object("metrics.k8s.io", "v1beta1", "team-a", "pods", "web-1")
    assert excinfo.value.status == 405


def control(emulator, action, body=None, token=None):
    request = urllib.request.Request(  # noqa: S310 (loopback http)
        f"{emulator.url}/_emu/{action}",
        data=json.dumps(body or {}).encode(),
        headers={
            "Authorization": f"Bearer {token or emulator.admin_token}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def test_http_controls_drive_the_same_state(kube_emulator, core):
    namespace(core.api_client, "team-a")
    core.create_namespaced_resource_quota(
        "team-a", {"metadata": {"name": "tenant"}, "spec": {"hard": {"pods": "5"}}}
    )
    control(kube_emulator, "quota-used", {"namespace": "team-a", "name": "tenant", "used": {"pods": "2"}})
    assert core.read_namespaced_resource_quota("tenant", "team-a").status.used == {"pods": "2"}
    control(kube_emulator, "nodes", {"name": "node-1", "allocatable": {"cpu": "4"}})
    control(
        kube_emulator, "pod-metrics", {"namespace": "team-a", "name": "p", "containers": {"c": {"cpu": "1m"}}}
    )
    assert kube_emulator.get_object("metrics.k8s.io/v1beta1", "PodMetrics", "p", "team-a") is not None
    control(kube_emulator, "counters/reset")
    control(kube_emulator, "faults", {"count": 1, "status": 429})
    with pytest.raises(ApiException) as excinfo:
        core.read_node("node-1")
    assert excinfo.value.status == 429
    assert control(kube_emulator, "counters")["by_verb"] == {"get": 1}
    control(kube_emulator, "reset")
    assert core.list_node().items == []


def test_http_controls_need_the_admin_token(kube_emulator):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        control(kube_emulator, "reset", token="wrong")
    assert excinfo.value.code == 401


def test_management_command_serves_writes_kubeconfig_and_keeps_state(tmp_path):
    kubeconfig, state = tmp_path / "admin.kubeconfig", tmp_path / "state.json"
    command = [sys.executable, "manage.py", "kubeemu", "--port", "0", "--kubeconfig", str(kubeconfig)]
    command += ["--state-file", str(state), "--nodes", "2"]

    def run_once(action):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for(kubeconfig.exists, timeout=20)
            config = yaml.safe_load(kubeconfig.read_text())
            client = kubernetes.config.new_client_from_config_dict(config)
            with client:
                return action(kubernetes.client.CoreV1Api(client))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
            kubeconfig.unlink(missing_ok=True)

    def create(core):
        assert len(core.list_node().items) == 2
        core.create_namespace({"metadata": {"name": "kept"}})

    run_once(create)
    assert state.exists()
    run_once(lambda core: core.read_namespace("kept"))
