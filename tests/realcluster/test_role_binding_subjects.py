"""Tenants cannot grant access to anyone outside their tenant (on kube-apiserver, CEL evaluated).

RBAC alone lets a tenant admin bind ``tenant-admin`` to ``system:authenticated``: it holds
every permission it grants. The console's admission policies refuse subjects outside the
tenant, ClusterRoles beyond the tenant roles, and Roles with escalate/bind/impersonate/``*``.
The last two are also refused by RBAC for a tenant admin, so they are proven with an identity
that does hold those rights (a ServiceAccount bound to cluster-admin by the cluster's admin).
"""

import pytest

from clusters.kubeconfigs import kubeconfig_issue
from tenants.services.memberships import team_membership_add
from tests.realcluster.conftest import new_user
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster

RBAC = "/apis/rbac.authorization.k8s.io/v1"
GUARD = "ValidatingAdmissionPolicy 'tenantry-tenant-role-bindings'"
ROLE_GUARD = "ValidatingAdmissionPolicy 'tenantry-tenant-roles'"


def _binding(
    name: str, ns: str, subjects: list[dict], role: str = "tenant-viewer", kind: str = "ClusterRole"
):
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": subjects,
    }


def _group(name: str) -> dict:
    return {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def _user(name: str) -> dict:
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def _account(name: str, namespace: str) -> dict:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


@pytest.fixture
def tenants(make_tenant, django_capture_on_commit_callbacks):
    mine, theirs = make_tenant(), make_tenant()
    colleague = new_user("colleague")
    with django_capture_on_commit_callbacks(execute=True):
        team_membership_add(actor=mine.owner, team=mine.team, user=colleague, role="member")
    client = TenantClient(kubeconfig_issue(user=mine.owner).text)
    yield mine, theirs, colleague, client
    client.close()


OUTSIDERS = {
    "system-authenticated": lambda mine, theirs: _group("system:authenticated"),
    "system-serviceaccounts": lambda mine, theirs: _group("system:serviceaccounts"),
    "any-group": lambda mine, theirs: _group("developers"),
    "plain-user": lambda mine, theirs: _user("alice@example.org"),
    "other-namespace-account": lambda mine, theirs: _account("default", theirs.name),
    "other-namespace-account-as-user": lambda mine, theirs: _user(
        f"system:serviceaccount:{theirs.name}:default"
    ),
    "other-tenants-owner": lambda mine, theirs: _account(f"u{theirs.owner.pk}", "tenantry-system"),
    "other-tenants-owner-as-user": lambda mine, theirs: _user(
        f"system:serviceaccount:tenantry-system:u{theirs.owner.pk}"
    ),
    "console-itself": lambda mine, theirs: _account("tenantry-console", "tenantry-system"),
}


@pytest.mark.parametrize("who", OUTSIDERS, ids=OUTSIDERS)
def test_a_binding_to_anyone_outside_the_tenant_is_refused(tenants, who):
    mine, theirs, _, client = tenants
    answer = client.create(
        f"{RBAC}/namespaces/{mine.name}/rolebindings",
        _binding("open-door", mine.name, [OUTSIDERS[who](mine, theirs)], role="tenant-admin"),
    )
    assert answer.status == 403, answer
    assert answer.reason == "Forbidden", answer
    assert GUARD in answer.message and "subjects outside this tenant are not allowed" in answer.message, (
        answer
    )


def test_inside_the_tenant_bindings_are_accepted_and_updates_are_checked_too(tenants):
    mine, _, colleague, client = tenants
    inside = [
        _account("default", mine.name),
        _user(f"system:serviceaccount:{mine.name}:builder"),
        _account(f"u{mine.owner.pk}", "tenantry-system"),
        _account(f"u{colleague.pk}", "tenantry-system"),
        _user(f"system:serviceaccount:tenantry-system:u{colleague.pk}"),
    ]
    path = f"{RBAC}/namespaces/{mine.name}/rolebindings"
    created = client.create(path, _binding("team", mine.name, inside))
    assert created.status == 201, created
    # Adding an outsider later, by merge patch or by update, is refused the same way.
    patched = client.merge_patch(f"{path}/team", {"subjects": [*inside, _group("system:authenticated")]})
    assert patched.status == 403 and GUARD in patched.message, patched
    body = {**created.body, "subjects": [*inside, _group("system:serviceaccounts")]}
    updated = client.request("PUT", f"{path}/team", body)
    assert updated.status == 403 and GUARD in updated.message, updated


def test_only_the_tenant_roles_and_own_roles_may_be_bound(tenants, admin_gateway):
    mine, _, _, client = tenants
    path = f"{RBAC}/namespaces/{mine.name}/rolebindings"
    me = [_account(f"u{mine.owner.pk}", "tenantry-system")]
    for role in ("tenant-admin", "tenant-developer", "tenant-viewer"):
        answer = client.create(path, _binding(f"ok-{role}", mine.name, me, role=role))
        assert answer.status == 201, f"{role}: {answer}"
    # A ClusterRole within the tenant's rights but not on the list: RBAC allows, the policy does not.
    admin_gateway.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "rc-configmap-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
        }
    )
    answer = client.create(path, _binding("other-role", mine.name, me, role="rc-configmap-reader"))
    assert answer.status == 403 and GUARD in answer.message and "roleRef" in answer.message, answer


def test_the_policies_refuse_even_an_identity_rbac_would_let_through(tenants, admin_gateway, local_cluster):
    """Belt and braces: a workload account that holds cluster-admin (granted by the cluster's
    admin) is still refused dangerous Roles and outside subjects in a tenant namespace."""
    mine, *_ = tenants
    admin_gateway.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "powerful", "namespace": mine.name},
        }
    )
    admin_gateway.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"rc-powerful-{mine.name}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [_account("powerful", mine.name)],
        }
    )
    try:
        token, _ = admin_gateway.create_token(mine.name, "powerful", 600)
        client = TenantClient(kubeconfig_issue(user=mine.owner).text)
        client.session.headers["Authorization"] = f"Bearer {token}"
        for verb in ("escalate", "bind", "impersonate", "*"):
            role = {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "danger", "namespace": mine.name},
                "rules": [
                    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": [verb]}
                ],
            }
            answer = client.create(f"{RBAC}/namespaces/{mine.name}/roles", role)
            assert answer.status == 403 and ROLE_GUARD in answer.message, f"{verb}: {answer}"
        answer = client.create(
            f"{RBAC}/namespaces/{mine.name}/rolebindings",
            _binding("wide", mine.name, [_group("system:authenticated")], role="cluster-admin"),
        )
        assert answer.status == 403 and GUARD in answer.message, answer
        client.close()
    finally:
        admin_gateway.delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"rc-powerful-{mine.name}")
