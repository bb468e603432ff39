import pytest

from clusters.provisioning import namespace_provision
from tenants.models import NamespaceStatus


@pytest.fixture
def provisioned(world, cluster):
    """acme-dev and globex-prod exist on the emulator with every member's RoleBinding."""
    for namespace in (world.namespace, world.other_namespace):
        namespace_provision(namespace_id=namespace.pk)
        namespace.refresh_from_db()
        assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
    return world
