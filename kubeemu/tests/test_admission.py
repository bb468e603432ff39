import kubernetes
import pytest

from kubeemu.tests.helpers import namespace, status_of

ApiException = kubernetes.client.ApiException
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}


@pytest.fixture
def core(kube_admin_client):
    namespace(kube_admin_client, "team-a", **RESTRICTED)
    return kubernetes.client.CoreV1Api(kube_admin_client)


def compliant_pod(name="web"):
    return {
        "metadata": {"name": name},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "web",
                    "image": "nginx",
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                    },
                }
            ],
        },
    }


def rejection(core, pod, ns="team-a"):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_pod(ns, pod)
    assert excinfo.value.status == 403
    status = status_of(excinfo.value)
    assert status["reason"] == "Forbidden"
    return status["message"]


def test_compliant_pod_is_admitted(core):
    assert core.create_namespaced_pod("team-a", compliant_pod()).status.phase == "Pending"


def test_pod_without_security_settings_lists_every_violation(core):
    message = rejection(
        core, {"metadata": {"name": "bare"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    )
    assert message.startswith('pods "bare" is forbidden: violates PodSecurity "restricted:latest": ')
    for fragment in (
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation',
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])',
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
        "seccompProfile (pod or container",
    ):
        assert fragment in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p["spec"].update(hostNetwork=True), "host namespaces (hostNetwork=true)"),
        (
            lambda p: p["spec"].update(hostPID=True, hostIPC=True),
            "host namespaces (hostPID=true, hostIPC=true)",
        ),
        (lambda p: p["spec"]["containers"][0]["securityContext"].update(privileged=True), "privileged ("),
        (
            lambda p: p["spec"].update(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
            'volume "root" uses restricted volume type "hostPath"',
        ),
        (
            lambda p: p["spec"]["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 80}]),
            'hostPort (container "web" uses hostPort 80)',
        ),
        (
            lambda p: p["spec"]["containers"][0]["securityContext"]["capabilities"]["add"].append(
                "SYS_ADMIN"
            ),
            'must not include "SYS_ADMIN" in securityContext.capabilities.add',
        ),
        (
            lambda p: p["spec"]["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True),
            "allowPrivilegeEscalation != false",
        ),
        (
            lambda p: p["spec"]["securityContext"].update(runAsUser=0),
            "runAsUser=0 (pod must not set runAsUser=0)",
        ),
        (lambda p: p["spec"]["securityContext"].update(runAsNonRoot=False), "runAsNonRoot != true"),
        (lambda p: p["spec"]["securityContext"].pop("seccompProfile"), "seccompProfile (pod or container"),
        (
            lambda p: p["spec"]["containers"][0]["securityContext"]["capabilities"].update(drop=["NET_RAW"]),
            'must set securityContext.capabilities.drop=["ALL"]',
        ),
    ],
)
def test_restricted_profile_rejects(core, change, expected):
    pod = compliant_pod()
    change(pod)
    assert expected in rejection(core, pod)


def test_pods_in_namespaces_without_the_label_are_not_checked(core):
    namespace(core.api_client, "legacy")
    pod = compliant_pod()
    pod["spec"]["hostNetwork"] = True
    assert core.create_namespaced_pod("legacy", pod).metadata.name == "web"


def test_baseline_level_allows_root_but_not_host_access(core):
    namespace(core.api_client, "base", **{"pod-security.kubernetes.io/enforce": "baseline"})
    core.create_namespaced_pod(
        "base", {"metadata": {"name": "root"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    )
    pod = {
        "metadata": {"name": "host"},
        "spec": {"hostPID": True, "containers": [{"name": "c", "image": "x"}]},
    }
    assert 'violates PodSecurity "baseline:latest": host namespaces' in rejection(core, pod, "base")


def node_port_service(name="web", kind="NodePort"):
    return {
        "metadata": {"name": name},
        "spec": {"type": kind, "selector": {"app": "web"}, "ports": [{"port": 80}]},
    }


def test_quota_without_node_ports_rejects_node_port_services(core):
    quota = {
        "metadata": {"name": "tenant"},
        "spec": {"hard": {"services.nodeports": "0", "services.loadbalancers": "0"}},
    }
    core.create_namespaced_resource_quota("team-a", quota)
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_service("team-a", node_port_service())
    assert excinfo.value.status == 403
    assert status_of(excinfo.value)["message"] == (
        'services "web" is forbidden: exceeded quota: tenant, requested: services.nodeports=1, '
        "used: services.nodeports=0, limited: services.nodeports=0"
    )
    with pytest.raises(ApiException):
        core.create_namespaced_service("team-a", node_port_service("lb", "LoadBalancer"))
    cluster_ip = core.create_namespaced_service("team-a", node_port_service("internal", "ClusterIP"))
    assert cluster_ip.spec.cluster_ip
    with pytest.raises(ApiException):
        core.patch_namespaced_service("internal", "team-a", {"spec": {"type": "NodePort"}})


def test_node_port_services_are_allowed_without_a_quota(core):
    service = core.create_namespaced_service("team-a", node_port_service())
    assert service.spec.ports[0].node_port >= 30000


def test_pod_count_quota(core):
    core.create_namespaced_resource_quota(
        "team-a", {"metadata": {"name": "tenant"}, "spec": {"hard": {"pods": "1"}}}
    )
    core.create_namespaced_pod("team-a", compliant_pod("one"))
    assert "exceeded quota: tenant, requested: pods=1, used: pods=1, limited: pods=1" in rejection(
        core, compliant_pod("two")
    )
