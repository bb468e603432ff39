"""The manifest builders: schema validity, determinism, labels and policy wiring."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes_validate.utils import SchemaNotFoundError, all_versions

from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    bootstrap_selector,
    desired_hash,
    mutating_runtime_policy_objects,
    names,
    tenant_namespace_objects,
    tenant_selector,
    user_service_account,
)
from clusters.kube.manifests.tenant import resource_quota_hard
from clusters.kube.spec import DEFAULT_QUOTA, MemberBinding, PlatformSettings, TenantNamespaceSpec

# The cluster baseline is 1.33. MutatingAdmissionPolicy v1beta1 first appears in the 1.34 schema.
SCHEMA_VERSION = "1.33"
MUTATING_SCHEMA_VERSION = "1.34"
PLATFORM = PlatformSettings()


def make_spec(**overrides) -> TenantNamespaceSpec:
    values = {
        "name": "shop-dev",
        "team_slug": "shop",
        "team_id": 7,
        "namespace_id": 42,
        "trust_level": "public",
        "members": (MemberBinding(3, "admin"), MemberBinding(1, "developer"), MemberBinding(2, "viewer")),
        "allowed_runtime_classes": ("gvisor", "kata-qemu"),
        "default_runtime_class": "gvisor",
    }
    values.update(overrides)
    return TenantNamespaceSpec(**values)


SPECS = {
    "zero-members-fail-closed": make_spec(members=(), allowed_runtime_classes=(), default_runtime_class=None),
    "many-members-trusted": make_spec(
        trust_level="trusted",
        members=tuple(MemberBinding(i, names.TENANT_ROLES[i % 3]) for i in range(1, 120)),
        allowed_runtime_classes=(),
        default_runtime_class=None,
        runtime_policy_enforced=False,
    ),
    "gpu": make_spec(
        quota={**DEFAULT_QUOTA, "requests.nvidia.com/gpu": "2"},
        allowed_runtime_classes=("kata-clh", "kata-qemu"),
        default_runtime_class="kata-qemu",
    ),
    "storage-classes": make_spec(
        allowed_storage_classes=("standard",), denied_storage_classes=("premium-ssd", "local-path")
    ),
    "suspended": make_spec(suspended=True),
}


def all_tenant_objects() -> list:
    return [
        pytest.param(item, id=f"{spec_id}:{item['kind']}:{item['metadata']['name']}")
        for spec_id, spec in SPECS.items()
        for item in tenant_namespace_objects(spec, PLATFORM)
    ]


def by_kind(objects, kind):
    return [item for item in objects if item["kind"] == kind]


def test_schema_versions_are_shipped():
    assert "1.33.0" in all_versions()
    assert "1.34.0" in all_versions()


@pytest.mark.parametrize("item", all_tenant_objects())
def test_tenant_object_validates_strictly(item):
    kubernetes_validate.validate(item, SCHEMA_VERSION, strict=True)


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(item, id=f"{item['kind']}:{item['metadata']['name']}")
        for item in bootstrap_objects(PLATFORM)
    ],
)
def test_bootstrap_object_validates_strictly(item):
    kubernetes_validate.validate(item, SCHEMA_VERSION, strict=True)


def test_user_service_account_validates_strictly():
    kubernetes_validate.validate(user_service_account(5, PLATFORM), SCHEMA_VERSION, strict=True)


@pytest.mark.parametrize(
    "item",
    [*mutating_runtime_policy_objects(PLATFORM), *always_pull_images_objects(PLATFORM)],
    ids=lambda item: f"{item['kind']}:{item['metadata']['name']}",
)
def test_mutating_policy_validates_strictly_against_the_first_schema_that_has_it(item):
    kubernetes_validate.validate(item, MUTATING_SCHEMA_VERSION, strict=True)
    with pytest.raises(SchemaNotFoundError):
        kubernetes_validate.validate(item, SCHEMA_VERSION, strict=True)


def test_strict_validation_rejects_an_unknown_field():
    quota = copy.deepcopy(tenant_namespace_objects(SPECS["gpu"], PLATFORM)[1])
    quota["spec"]["hardd"] = quota["spec"].pop("hard")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(quota, SCHEMA_VERSION, strict=True)


def test_tenant_objects_come_in_a_fixed_order():
    kinds = [item["kind"] for item in tenant_namespace_objects(SPECS["gpu"], PLATFORM)]
    assert kinds == ["Namespace", "ResourceQuota", "LimitRange", *["NetworkPolicy"] * 5, *["RoleBinding"] * 3]
    policies = [
        item["metadata"]["name"]
        for item in by_kind(tenant_namespace_objects(SPECS["gpu"], PLATFORM), "NetworkPolicy")
    ]
    assert policies == [
        names.NETWORK_POLICY_DEFAULT_DENY,
        names.NETWORK_POLICY_SAME_NAMESPACE,
        names.NETWORK_POLICY_INGRESS_CONTROLLER,
        names.NETWORK_POLICY_DNS,
        names.NETWORK_POLICY_INTERNET_EGRESS,
    ]


def test_output_and_hash_do_not_depend_on_input_order():
    members = (MemberBinding(9, "viewer"), MemberBinding(2, "admin"), MemberBinding(5, "developer"))
    forward = make_spec(
        members=members, denied_storage_classes=("b", "a"), allowed_runtime_classes=("x", "gvisor")
    )
    backward = make_spec(
        members=members[::-1], denied_storage_classes=("a", "b"), allowed_runtime_classes=("gvisor", "x")
    )
    assert tenant_namespace_objects(forward, PLATFORM) == tenant_namespace_objects(backward, PLATFORM)
    assert desired_hash(tenant_namespace_objects(forward, PLATFORM)) == desired_hash(
        tenant_namespace_objects(backward, PLATFORM)
    )
    bindings = by_kind(tenant_namespace_objects(forward, PLATFORM), "RoleBinding")
    assert [item["metadata"]["name"] for item in bindings] == ["tenantry-u2", "tenantry-u5", "tenantry-u9"]


def test_hash_is_sha256_of_canonical_json_and_changes_with_content():
    objects = tenant_namespace_objects(SPECS["gpu"], PLATFORM)
    digest = desired_hash(objects)
    assert len(digest) == 64
    assert desired_hash(json.loads(json.dumps(objects, sort_keys=True))) == digest
    with_member = make_spec(
        quota=SPECS["gpu"].quota,
        allowed_runtime_classes=("kata-clh", "kata-qemu"),
        default_runtime_class="kata-qemu",
        members=(*SPECS["gpu"].members, MemberBinding(99, "viewer")),
    )
    assert desired_hash(tenant_namespace_objects(with_member, PLATFORM)) != digest
    assert desired_hash(bootstrap_objects(PLATFORM)) == desired_hash(bootstrap_objects(PlatformSettings()))


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_every_tenant_object_carries_the_pruning_labels(spec):
    selector = dict(pair.split("=") for pair in tenant_selector(PLATFORM, spec.name).split(","))
    assert selector == {
        "app.kubernetes.io/managed-by": "tenantry",
        "tenantry.io/component": "tenant",
        "tenantry.io/instance": "default",
        "tenantry.io/owner-namespace": spec.name,
    }
    for item in tenant_namespace_objects(spec, PLATFORM):
        assert selector.items() <= item["metadata"]["labels"].items(), item["metadata"]["name"]
        if item["kind"] != "Namespace":
            assert item["metadata"]["namespace"] == spec.name


def test_every_cluster_object_carries_the_bootstrap_labels():
    selector = dict(pair.split("=") for pair in bootstrap_selector(PLATFORM).split(","))
    cluster_objects = [*bootstrap_objects(PLATFORM), *mutating_runtime_policy_objects(PLATFORM)]
    for item in [*cluster_objects, *always_pull_images_objects(PLATFORM)]:
        assert selector.items() <= item["metadata"]["labels"].items(), item["metadata"]["name"]
    account = user_service_account(5, PLATFORM)
    assert account["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tenantry"
    assert account["metadata"]["labels"]["tenantry.io/user-id"] == "5"
    assert account["automountServiceAccountToken"] is False


def test_object_identities_are_unique():
    objects = [
        *tenant_namespace_objects(SPECS["many-members-trusted"], PLATFORM),
        *bootstrap_objects(PLATFORM),
    ]
    identities = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(identities) == len(set(identities))


def test_namespace_labels_carry_team_and_runtime_policy():
    namespace = tenant_namespace_objects(SPECS["gpu"], PLATFORM)[0]
    labels = namespace["metadata"]["labels"]
    assert labels["tenantry.io/tenant"] == "true"
    assert labels["tenantry.io/team"] == "shop"
    assert labels["tenantry.io/team-id"] == "7"
    assert labels["tenantry.io/namespace-id"] == "42"
    assert labels["tenantry.io/runtime-policy"] == "enforced"
    assert labels["tenantry.io/default-runtime-class"] == "kata-qemu"
    assert namespace["metadata"]["annotations"]["tenantry.io/allowed-runtime-classes"] == "kata-clh,kata-qemu"


def test_namespace_without_a_runtime_choice_fails_closed():
    namespace = tenant_namespace_objects(SPECS["zero-members-fail-closed"], PLATFORM)[0]
    assert namespace["metadata"]["labels"]["tenantry.io/runtime-policy"] == "enforced"
    assert "tenantry.io/default-runtime-class" not in namespace["metadata"]["labels"]
    assert namespace["metadata"]["annotations"]["tenantry.io/allowed-runtime-classes"] == ""


def test_unenforced_namespace_has_no_runtime_policy():
    namespace = tenant_namespace_objects(SPECS["many-members-trusted"], PLATFORM)[0]
    assert "tenantry.io/runtime-policy" not in namespace["metadata"]["labels"]
    assert "tenantry.io/allowed-runtime-classes" not in namespace["metadata"]["annotations"]


def test_denied_storage_classes_get_a_zero_quota():
    hard = resource_quota_hard(SPECS["storage-classes"])
    for storage_class in ("premium-ssd", "local-path"):
        assert hard[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] == "0"
        assert hard[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] == "0"
    assert not any(key.startswith("standard.") for key in hard)


def test_a_suspended_namespace_gets_a_zero_pod_quota_beside_its_own_and_nothing_else_changes():
    running, suspended = make_spec(), SPECS["suspended"]
    extra = [
        item
        for item in tenant_namespace_objects(suspended, PLATFORM)
        if item not in tenant_namespace_objects(running, PLATFORM)
    ]
    assert [(item["kind"], item["metadata"]["name"], item["spec"]) for item in extra] == [
        ("ResourceQuota", names.SUSPEND_QUOTA, {"hard": {"pods": "0"}})
    ]
    assert (
        extra[0]["metadata"]["labels"]
        == tenant_namespace_objects(suspended, PLATFORM)[1]["metadata"]["labels"]
    )
    assert (
        len(tenant_namespace_objects(suspended, PLATFORM))
        == len(tenant_namespace_objects(running, PLATFORM)) + 1
    )


def test_gpu_quota_comes_from_the_spec():
    assert resource_quota_hard(SPECS["gpu"])["requests.nvidia.com/gpu"] == "2"
    assert resource_quota_hard(SPECS["zero-members-fail-closed"])["requests.nvidia.com/gpu"] == "0"


def test_limit_range_defaults_every_quota_bound_container_resource():
    limit_range = tenant_namespace_objects(SPECS["gpu"], PLATFORM)[2]
    (limits,) = limit_range["spec"]["limits"]
    assert limits["type"] == "Container"
    for resource in ("cpu", "memory", "ephemeral-storage"):
        assert resource in limits["default"]
        assert resource in limits["defaultRequest"]


def test_role_binding_binds_the_users_service_account():
    binding = by_kind(tenant_namespace_objects(SPECS["gpu"], PLATFORM), "RoleBinding")[0]
    assert binding["metadata"]["name"] == "tenantry-u1"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "tenant-developer",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "u1", "namespace": "tenantry-system"}]
    assert binding["metadata"]["labels"]["tenantry.io/role"] == "developer"


def test_runtime_class_policy_reads_the_namespace_annotation():
    policy = next(
        o for o in bootstrap_objects(PLATFORM) if o["metadata"]["name"] == names.POLICY_RUNTIME_CLASS
    )
    (variable,) = policy["spec"]["variables"]
    assert "namespaceObject.metadata.annotations" in variable["expression"]
    assert '"tenantry.io/allowed-runtime-classes"' in variable["expression"]
    (validation,) = policy["spec"]["validations"]
    assert "object.spec.runtimeClassName" in validation["expression"]
    assert "has(object.spec.runtimeClassName)" in validation["expression"]
    assert policy["spec"]["failurePolicy"] == "Fail"
    assert policy["spec"]["matchConstraints"]["namespaceSelector"] == {
        "matchLabels": {"tenantry.io/runtime-policy": "enforced"}
    }
    assert policy["spec"]["matchConstraints"]["resourceRules"][0]["resources"] == ["pods"]


def test_every_validating_policy_has_a_denying_binding():
    objects = bootstrap_objects(PLATFORM)
    policies = {o["metadata"]["name"] for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    bindings = {
        o["spec"]["policyName"]: o["spec"]["validationActions"]
        for o in objects
        if o["kind"] == "ValidatingAdmissionPolicyBinding"
    }
    assert policies == {
        names.POLICY_PROTECT_MANAGED,
        names.POLICY_RUNTIME_CLASS,
        names.POLICY_TENANT_NETWORK_POLICY,
        names.POLICY_TENANT_ROLE_BINDINGS,
        names.POLICY_TENANT_ROLES,
        names.POLICY_TENANT_INGRESSES,
        names.POLICY_TENANT_HTTP_ROUTES,
        names.POLICY_TENANT_GATEWAY_ROUTES,
        names.POLICY_POD_BANDWIDTH_LIMITS,
    }
    assert bindings == {name: ["Deny"] for name in policies}


def test_mutating_policy_defaults_the_runtime_class_from_the_namespace_label():
    policy, binding = mutating_runtime_policy_objects(PLATFORM)
    assert policy["apiVersion"] == "admissionregistration.k8s.io/v1beta1"
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    (condition,) = policy["spec"]["matchConditions"]
    assert "!has(object.spec.runtimeClassName)" in condition["expression"]
    (mutation,) = policy["spec"]["mutations"]
    assert mutation["patchType"] == "ApplyConfiguration"
    expression = mutation["applyConfiguration"]["expression"]
    assert 'namespaceObject.metadata.labels["tenantry.io/default-runtime-class"]' in expression
    assert expression.startswith("Object{spec: Object.spec{runtimeClassName: ")
    assert expression.count("{") == expression.count("}")


def test_tenant_network_policy_policy_checks_egress_ip_blocks():
    policy = next(
        o for o in bootstrap_objects(PLATFORM) if o["metadata"]["name"] == names.POLICY_TENANT_NETWORK_POLICY
    )
    (validation,) = policy["spec"]["validations"]
    assert "object.spec.egress" in validation["expression"]
    assert "peer.ipBlock.except" in validation["expression"]
    assert "169.254.0.0/16" in policy["spec"]["variables"][0]["expression"]
    assert "tenantry-console" in policy["spec"]["matchConditions"][0]["expression"]


def test_label_prefix_is_configurable_everywhere():
    platform = PlatformSettings(label_prefix="cloud.example.com/", managed_by="example")
    objects = [
        *tenant_namespace_objects(SPECS["gpu"], platform),
        *bootstrap_objects(platform),
        *mutating_runtime_policy_objects(platform),
    ]
    text = json.dumps(objects)
    assert "tenantry.io/" not in text
    assert "cloud.example.com/allowed-runtime-classes" in text
    for item in objects:
        assert item["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "example"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quota": {"pods": "fifty"}}, "quantity"),
        ({"members": (MemberBinding(1, "admin"), MemberBinding(1, "viewer"))}, "one role"),
        ({"default_runtime_class": "runc"}, "not among"),
        ({"name": "Shop"}, "DNS-1123"),
        ({"runtime_policy_enforced": False}, "not enforced"),
        ({"allowed_storage_classes": ("a",), "denied_storage_classes": ("a",)}, "both"),
    ],
)
def test_spec_rejects_inconsistent_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_spec(**overrides)


def test_member_binding_rejects_unknown_roles():
    with pytest.raises(ValueError, match="role"):
        MemberBinding(1, "owner")


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=10**9), st.sampled_from(names.TENANT_ROLES), max_size=30
    ),
    st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True), max_size=4, unique=True),
)
def test_any_membership_and_storage_classes_produce_valid_unique_objects(members, denied):
    spec = make_spec(
        members=tuple(MemberBinding(user_id, role) for user_id, role in members.items()),
        denied_storage_classes=tuple(denied),
    )
    objects = tenant_namespace_objects(spec, PLATFORM)
    for item in objects:
        kubernetes_validate.validate(item, SCHEMA_VERSION, strict=True)
    bindings = by_kind(objects, "RoleBinding")
    assert len(bindings) == len(members)
    assert [int(b["subjects"][0]["name"][1:]) for b in bindings] == sorted(members)


def test_builders_import_without_django_models_or_the_kubernetes_client():
    code = (
        "import sys; import clusters.kube.manifests, clusters.kube.spec; "
        "assert 'kubernetes' not in sys.modules, 'kubernetes imported'; "
        "assert 'tenants.models' not in sys.modules, 'models imported'"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=root
    )
    assert result.returncode == 0, result.stderr


def test_two_console_instances_on_one_cluster_never_share_an_object():
    """Staging and production on one cluster: every cluster-wide object of one has a name the
    other does not use, their tenants' RoleBindings point at their own ClusterRoles, and each
    protection policy only guards (and only exempts the console of) its own instance's objects."""
    staging = PlatformSettings(instance_id="staging", system_namespace="tenantry-staging-system")
    default_objects = bootstrap_objects(PLATFORM) + mutating_runtime_policy_objects(PLATFORM)
    staging_objects = bootstrap_objects(staging) + mutating_runtime_policy_objects(staging)

    def keys(objects):
        return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}

    assert keys(default_objects).isdisjoint(keys(staging_objects))
    assert all(o["metadata"]["labels"]["tenantry.io/instance"] == "staging" for o in staging_objects)
    protect = next(
        o
        for o in staging_objects
        if o["kind"] == "ValidatingAdmissionPolicy" and o["metadata"]["name"].startswith("tenantry-protect")
    )
    assert protect["spec"]["matchConstraints"]["objectSelector"]["matchLabels"] == {
        "app.kubernetes.io/managed-by": "tenantry",
        "tenantry.io/instance": "staging",
    }
    bindings = by_kind(tenant_namespace_objects(SPECS["many-members-trusted"], staging), "RoleBinding")
    assert bindings and {b["roleRef"]["name"] for b in bindings} <= {
        o["metadata"]["name"] for o in staging_objects if o["kind"] == "ClusterRole"
    }


def test_instance_id_must_be_a_label_value():
    with pytest.raises(ValueError, match="instance id"):
        PlatformSettings(instance_id="Prod/EU")


def test_namespace_lists_the_team_members_tenant_role_bindings_may_name():
    spec = make_spec(team_member_ids=(3, 7, 12))
    namespace = tenant_namespace_objects(spec, PLATFORM)[0]
    assert namespace["metadata"]["annotations"]["tenantry.io/member-accounts"] == "u3,u7,u12"


def test_the_console_clusterrole_names_every_cluster_object_the_bootstrap_writes():
    """deploy/rbac/console-clusterrole.yaml grants by resourceName: a policy or ClusterRole the
    bootstrap writes but the manifest does not name would be refused on a real cluster."""
    import yaml

    path = Path(__file__).resolve().parents[2] / "deploy" / "rbac" / "console-clusterrole.yaml"
    role = next(d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "ClusterRole")
    granted = {
        (resource, name)
        for rule in role["rules"]
        for resource in rule.get("resources", [])
        for name in rule.get("resourceNames", [])
    }
    objects = bootstrap_objects(PLATFORM) + mutating_runtime_policy_objects(PLATFORM)
    objects += always_pull_images_objects(PLATFORM)
    wanted = {
        (
            obj["kind"].lower().removesuffix("y") + ("ies" if obj["kind"].endswith("y") else "s"),
            obj["metadata"]["name"],
        )
        for obj in objects
        if "Policy" in obj["kind"] or obj["kind"] == "ClusterRole"
    }
    assert wanted <= granted, wanted - granted
