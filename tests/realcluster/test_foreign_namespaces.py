"""Namespaces the cluster held before the console came are never labelled, bound into or deleted."""

import pytest
from django.core.exceptions import ValidationError

from clusters.provisioning import namespace_provision
from localcluster.world import FOREIGN_NAMESPACES
from namespaces.services import namespace_create, namespace_delete
from tenants.models import NamespaceStatus
from tests.factories import NamespaceFactory, TeamFactory, TeamMembershipFactory
from tests.realcluster.conftest import new_user, unique_name

pytestmark = pytest.mark.realcluster

NAMESPACED = (
    ("v1", "Secret"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
)


def _snapshot(admin_gateway, name: str) -> dict:
    """The namespace and everything in it that the console could have touched, with versions."""
    live = admin_gateway.get("v1", "Namespace", name)
    contents = {
        f"{item['kind']}/{item['metadata']['name']}": item["metadata"]["resourceVersion"]
        for api_version, kind in NAMESPACED
        for item in admin_gateway.list(api_version, kind, name)
    }
    return {
        "labels": live["metadata"].get("labels"),
        "resourceVersion": live["metadata"]["resourceVersion"],
        "phase": live["status"]["phase"],
        "contents": contents,
    }


@pytest.fixture
def team(console):
    team = TeamFactory(name=unique_name("foreign"), slug=unique_name("foreign"))
    owner = new_user("owner")
    TeamMembershipFactory(team=team, user=owner, role="owner")
    team.owner = owner
    return team


@pytest.mark.parametrize("name", FOREIGN_NAMESPACES)
def test_a_foreign_namespaces_name_is_refused_with_a_field_error(team, name):
    with pytest.raises(ValidationError) as refused:
        namespace_create(actor=team.owner, team=team, name=name)
    assert "name" in refused.value.message_dict


@pytest.mark.parametrize("name", FOREIGN_NAMESPACES)
def test_a_record_naming_a_foreign_namespace_never_touches_it(
    team, name, admin_gateway, django_capture_on_commit_callbacks
):
    """Even a record that got past the form (made before the namespace appeared on the
    cluster) is refused at provisioning, and deleting it leaves the cluster's namespace be."""
    before = _snapshot(admin_gateway, name)
    record = NamespaceFactory(team=team, name=name, created_by=team.owner)

    namespace_provision(namespace_id=record.pk)
    record.refresh_from_db()
    assert record.status == NamespaceStatus.ERROR
    assert "taken on the cluster" in record.provisioning.last_error
    assert _snapshot(admin_gateway, name) == before

    with django_capture_on_commit_callbacks(execute=True):
        namespace_delete(actor=team.owner, namespace=record)
    record.refresh_from_db()
    assert record.status == NamespaceStatus.DELETED
    assert _snapshot(admin_gateway, name) == before
