"""The Kubernetes objects tab shows who can reach the namespace: its RoleBindings as the cluster has them."""

import pytest
from django.urls import reverse

from clusters.kube.gateway import KubeGateway
from clusters.models import NamespaceProvisioning

pytestmark = pytest.mark.django_db


def _url():
    return reverse("namespace_objects", args=["acme-dev"])


def _own_binding(cluster):
    gateway = KubeGateway.from_url(cluster.url, cluster.admin_token)
    gateway.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "ci-deployer", "namespace": "acme-dev"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "tenant-developer",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "acme-dev"}],
        }
    )


def test_namespace_admins_see_every_binding_with_its_subjects(client, provisioned, cluster):
    _own_binding(cluster)
    client.force_login(provisioned.owner)
    body = client.get(_url()).content.decode()
    assert "Who has access" in body
    assert "ci-deployer" in body and "acme-dev/deployer" in body and "a team member" in body
    # The console's own bindings name the member behind each identity.
    assert f"tenantry-system/u{provisioned.developer.pk}" in body
    assert provisioned.developer.email in body


def test_people_who_do_not_manage_access_do_not_get_the_list(client, provisioned, cluster):
    _own_binding(cluster)
    client.force_login(provisioned.developer)
    response = client.get(_url())
    assert response.status_code == 200
    assert "Who has access" not in response.content.decode()
    client.force_login(provisioned.outsider)
    assert client.get(_url()).status_code == 404


def test_an_unreachable_cluster_is_said_not_a_500(client, provisioned, cluster):
    cluster.fail_next(
        5, 503, method="GET", path="/apis/rbac.authorization.k8s.io/v1/namespaces/acme-dev/rolebindings"
    )
    client.force_login(provisioned.owner)
    response = client.get(_url())
    assert response.status_code == 200
    assert "The cluster could not be read" in response.content.decode()


def test_a_namespace_the_console_never_created_shows_no_bindings(client, provisioned, cluster):
    NamespaceProvisioning.objects.filter(namespace__name="acme-dev").update(cluster_uid="")
    client.force_login(provisioned.owner)
    body = client.get(_url()).content.decode()
    assert "No RoleBindings yet." in body
