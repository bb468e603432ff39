"""The console never adopts, binds into or deletes a namespace it did not create.

The emulator starts with namespaces a real cluster has before the console arrives
(``monitoring``, ``ingress-nginx``, ``cert-manager`` with a Secret and a RoleBinding each, and
an ordinary ``legacy-app``); every path that names a namespace is tried against them.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from clusters.kube.errors import ConflictError
from clusters.kube.gateway import KubeGateway
from clusters.models import NamespaceProvisioning
from clusters.provisioning import namespace_provision
from kubeemu.testing import FOREIGN_NAMESPACES, wait_for
from namespaces.services import namespace_create, namespace_delete
from tenants.models import Namespace, NamespaceStatus
from tests.api import client_for
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

PASSWORD = "A-long-enough-passphrase-1"


def _sign_up_and_verify(client, email):
    client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    client.post("/" + link.split("/", 3)[3])


@pytest.mark.parametrize("local", ["monitoring", "legacy-app", "cert-manager"])
def test_signup_with_a_foreign_name_gets_another_namespace_and_touches_nothing(
    client, settings, cluster, foreign_world, local, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_RATE_LIMITS = False
    before = foreign_world()
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up_and_verify(client, f"{local}@example.org")
    namespace = Namespace.objects.get(team__is_personal=True)
    assert namespace.name == f"{local}-2"
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
    assert foreign_world() == before


@pytest.mark.parametrize("name", FOREIGN_NAMESPACES)
def test_api_refuses_a_foreign_or_reserved_name_with_a_field_error(world, cluster, foreign_world, name):
    before = foreign_world()
    response = client_for(world.manager).post(
        "/api/v1/namespaces/", {"team": "acme", "name": name}, format="json"
    )
    assert response.status_code == 400
    assert "reserved for the cluster" in str(response.json()["name"]) or "taken on the cluster" in str(
        response.json()["name"]
    )
    assert not Namespace.objects.filter(name=name).exists()
    assert foreign_world() == before


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("monitoring", "reserved for the cluster"),
        ("ingress-nginx", "reserved for the cluster"),
        ("argocd", "reserved for the cluster"),
        ("tenantry-system", "reserved for the cluster"),
        ("legacy-app", "taken on the cluster"),
    ],
)
def test_page_form_refuses_a_foreign_or_reserved_name(client, world, cluster, foreign_world, name, error):
    client.force_login(world.owner)
    response = client.post(reverse("namespace_create", args=["acme"]), {"name": name})
    body = response.content.decode()
    assert response.status_code == 200
    assert error in body
    assert 'aria-invalid="true"' in body
    assert not Namespace.objects.filter(name=name).exists()


def test_a_name_taken_on_the_cluster_after_the_check_is_refused_by_provisioning(
    world, cluster, foreign_world
):
    """The record got past the name check (the name was free then, or the cluster was
    unreachable); provisioning still writes nothing into the foreign namespace and deleting
    the record leaves the cluster's namespace alone."""
    before = foreign_world()
    namespace = NamespaceFactory(team=world.team, name="legacy-app")
    namespace_provision(namespace_id=namespace.pk)
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.ERROR
    assert "the name is taken on the cluster" in namespace.provisioning.last_error
    assert namespace.provisioning.cluster_uid == ""
    assert foreign_world() == before

    namespace_delete(actor=world.owner, namespace=namespace)
    namespace_provision(namespace_id=namespace.pk)
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.DELETED
    assert foreign_world() == before


def test_a_namespace_recreated_by_someone_else_with_copied_labels_is_not_adopted(
    world, cluster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-web")
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.READY and namespace.provisioning.cluster_uid
    gateway = KubeGateway.from_url(cluster.url, cluster.admin_token)
    labels = dict(gateway.get("v1", "Namespace", "acme-web")["metadata"]["labels"])
    gateway.delete("v1", "Namespace", "acme-web")
    wait_for(lambda: gateway.get("v1", "Namespace", "acme-web") is None)
    gateway.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-web", "labels": labels}}
    )
    stranger_uid = gateway.get("v1", "Namespace", "acme-web")["metadata"]["uid"]

    namespace_provision(namespace_id=namespace.pk)
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.ERROR
    assert "deleted and created again by someone else" in namespace.provisioning.last_error
    assert gateway.list("rbac.authorization.k8s.io/v1", "RoleBinding", "acme-web") == []

    namespace_delete(actor=world.owner, namespace=namespace)
    namespace_provision(namespace_id=namespace.pk)
    assert gateway.get("v1", "Namespace", "acme-web")["metadata"]["uid"] == stranger_uid


def test_another_console_instance_does_not_adopt_or_delete_this_ones_namespace(
    world, cluster, settings, django_capture_on_commit_callbacks
):
    """Staging and production on one cluster: record ids collide across their databases, so
    the instance id is what tells their namespaces apart."""
    settings.TENANTRY_INSTANCE_ID = "staging"
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-web")
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.READY
    gateway = KubeGateway.from_url(cluster.url, cluster.admin_token)
    staging_labels = gateway.get("v1", "Namespace", "acme-web")["metadata"]["labels"]
    assert staging_labels["tenantry.io/instance"] == "staging"

    settings.TENANTRY_INSTANCE_ID = "production"
    Namespace.objects.filter(pk=namespace.pk).update(status=NamespaceStatus.PENDING)
    NamespaceProvisioning.objects.filter(pk=namespace.pk).update(cluster_uid="")
    namespace_provision(namespace_id=namespace.pk)
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.ERROR
    assert "tenantry.io/instance is 'staging'" in namespace.provisioning.last_error
    assert gateway.get("v1", "Namespace", "acme-web")["metadata"]["labels"] == staging_labels

    namespace_delete(actor=world.owner, namespace=namespace)
    namespace_provision(namespace_id=namespace.pk)
    live = gateway.get("v1", "Namespace", "acme-web")
    assert live is not None and "deletionTimestamp" not in live["metadata"]


def test_deletion_carries_a_uid_precondition(cluster):
    gateway = KubeGateway.from_url(cluster.url, cluster.admin_token)
    gateway.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pinned"}})
    with pytest.raises(ConflictError, match="Precondition failed: UID"):
        gateway.delete("v1", "Namespace", "pinned", uid="00000000-0000-0000-0000-000000000000")
    assert "deletionTimestamp" not in gateway.get("v1", "Namespace", "pinned")["metadata"]
    uid = gateway.get("v1", "Namespace", "pinned")["metadata"]["uid"]
    assert gateway.delete("v1", "Namespace", "pinned", uid=uid) is True
