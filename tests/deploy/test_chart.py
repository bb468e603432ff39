"""The Helm chart: lint, every object valid for Kubernetes 1.35, and the properties the
deployment depends on (non-root, read-only root, one beat, migrations as a hook, secrets by
reference, the console's RBAC from the same file the realcluster tests apply)."""

import re

import kubernetes_validate
import pytest
import yaml

from tests.deploy.chart import CHART, KUBE_VERSION, RBAC_FILE, rbac_file_rules, render, run_helm

EVERYTHING = (
    "ingress.enabled=true",
    "ingress.tlsSecretName=tenantry-tls",
    "httpRoute.enabled=true",
    "httpRoute.parentRefs[0].name=public",
    "metrics.serviceMonitor.enabled=true",
    "networkPolicy.egress[0].to[0].ipBlock.cidr=10.0.0.0/8",
)
# Kinds from CRDs (Gateway API, Prometheus Operator) that the Kubernetes schema does not hold.
CRD_KINDS = {"HTTPRoute", "ServiceMonitor"}


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return render()


@pytest.fixture(scope="module")
def everything() -> list[dict]:
    return render(*EVERYTHING)


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]
        for o in objects
        if o["kind"] in {"Deployment", "Job"}
    }


def test_helm_lint_is_clean():
    result = run_helm(
        "lint", "--strict", str(CHART), "--set", "existingSecret=s", "--kube-version", KUBE_VERSION
    )
    assert "0 chart(s) failed" in result.stdout, result.stdout


def test_rendering_without_existing_secret_fails_with_the_reason():
    result = run_helm("template", "t", str(CHART), "--kube-version", KUBE_VERSION, check=False)
    assert result.returncode != 0
    assert "existingSecret is required" in result.stderr


def test_every_object_is_valid_for_kubernetes(everything):
    kinds = {o["kind"] for o in everything}
    assert {
        "Deployment",
        "Job",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
    } <= kinds
    assert {"NetworkPolicy", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role"} <= kinds
    assert kinds >= CRD_KINDS
    for obj in everything:
        if obj["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_rbac_rules_are_the_ones_the_realcluster_tests_apply(objects):
    assert (CHART / "files" / "console-rbac.yaml").resolve() == RBAC_FILE.resolve()
    (cluster_role,) = by_kind(objects, "ClusterRole").values()
    (role,) = by_kind(objects, "Role").values()
    assert cluster_role["rules"] == rbac_file_rules("ClusterRole")
    assert role["rules"] == rbac_file_rules("Role")
    (binding,) = by_kind(objects, "ClusterRoleBinding").values()
    (account,) = by_kind(objects, "ServiceAccount").values()
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "tenantry-system"}
    ]
    assert binding["roleRef"]["name"] == cluster_role["metadata"]["name"]


def test_every_pod_runs_non_root_read_only_without_capabilities(everything):
    specs = pod_specs(everything)
    assert set(specs) == {"tenantry-web", "tenantry-worker", "tenantry-beat", "tenantry-migrate-1"}
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        tmp = next(v for v in spec["volumes"] if v["name"] == "tmp")
        assert "emptyDir" in tmp, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}], name


def test_secrets_come_only_from_the_existing_secret(everything):
    for name, spec in pod_specs(everything).items():
        for container in spec["containers"]:
            assert container["envFrom"] == [{"secretRef": {"name": "tenantry-secrets"}}], name
            for env in container["env"]:
                assert not re.search(r"SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL", env["name"]) or (
                    env["name"] == "TENANTRY_CONSOLE_USERNAME"
                ), f"{name}: {env['name']} is set from values"
    assert "Secret" not in {o["kind"] for o in everything}


def test_each_process_kind_runs_its_command_and_only_the_hook_migrates(objects):
    specs = pod_specs(objects)
    args = {name: spec["containers"][0]["args"][0] for name, spec in specs.items()}
    assert args == {
        "tenantry-web": "web",
        "tenantry-worker": "worker",
        "tenantry-beat": "beat",
        "tenantry-migrate-1": "migrate",
    }
    (job,) = by_kind(objects, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in job["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_migration_job_is_named_after_the_revision_so_racing_upgrades_do_not_clash(objects):
    assert list(by_kind(objects, "Job")) == ["tenantry-migrate-1"]  # helm template renders revision 1
    source = (CHART / "templates" / "migrate-job.yaml").read_text()
    assert "-migrate-{{ .Release.Revision }}" in source


def test_beat_is_one_replica_replaced_by_recreate(objects):
    beat = by_kind(objects, "Deployment")["tenantry-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "tenantry-beat" not in by_kind(objects, "HorizontalPodAutoscaler")
    assert beat["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_web_and_workers_scale_with_an_hpa_and_a_pdb(objects):
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    pdbs = by_kind(objects, "PodDisruptionBudget")
    deployments = by_kind(objects, "Deployment")
    for name in ("tenantry-web", "tenantry-worker"):
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"]  # the HPA owns the count
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == selector
    fixed = by_kind(render("web.autoscaling.enabled=false", "web.replicas=3"), "Deployment")
    assert fixed["tenantry-web"]["spec"]["replicas"] == 3


def test_web_probes_use_healthz_and_readyz(objects):
    (container,) = pod_specs(objects)["tenantry-web"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert {"name": "Host", "value": "localhost"} in container[probe]["httpGet"]["httpHeaders"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert "localhost" in env["ALLOWED_HOSTS"].split(",")
    assert env["TENANTRY_CONSOLE_USERNAME"] == "system:serviceaccount:tenantry-system:tenantry-console"


def test_only_web_and_workers_get_a_cluster_token(objects):
    mounted = {name: spec.get("automountServiceAccountToken") for name, spec in pod_specs(objects).items()}
    assert mounted == {
        "tenantry-web": True,
        "tenantry-worker": True,
        "tenantry-beat": False,
        "tenantry-migrate-1": False,
    }


def test_network_policies_cover_every_pod_of_the_release(everything):
    policies = by_kind(everything, "NetworkPolicy")
    covered = {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in policies.values()
    }
    assert covered == {"web", "worker", "beat", "migrate"}
    web = policies["tenantry-web"]["spec"]
    sources = [peer["namespaceSelector"]["matchLabels"] for peer in web["ingress"][0]["from"]]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in sources
    assert policies["tenantry-worker"]["spec"]["ingress"][0]["ports"] == [{"port": "metrics"}]
    assert "Egress" in web["policyTypes"]


def test_service_monitor_scrapes_with_the_bearer_token_from_the_secret(everything):
    (monitor,) = by_kind(everything, "ServiceMonitor").values()
    ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["authorization"]["credentials"] == {
            "name": "tenantry-secrets",
            "key": "METRICS_TOKEN",
        }


def test_http_route_points_at_the_web_service(everything):
    (route,) = by_kind(everything, "HTTPRoute").values()
    assert route["spec"]["parentRefs"] == [{"name": "public"}]
    assert route["spec"]["rules"][0]["backendRefs"][0]["name"] == "tenantry-web"


def _leaf_keys(values: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            keys |= _leaf_keys(value, path + ".")
        else:
            keys.add(path)
    return keys


def test_every_value_is_documented_in_the_chart_readme():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    table = {
        match.group(1)
        for match in re.finditer(r"^\| `([^`]+)` \|", (CHART / "README.md").read_text(), re.MULTILINE)
    }
    parts = [key.split(".") for key in _leaf_keys(values)]
    missing = {".".join(p) for p in parts if not any(".".join(p[:n]) in table for n in range(1, len(p) + 1))}
    assert not missing, f"document these values in deploy/helm/tenantry/README.md: {sorted(missing)}"
