import pytest


@pytest.fixture
def live_provisioning():
    """Ask for this to let ``namespace_changed`` reach the real provisioning worker."""


@pytest.fixture(autouse=True)
def provisioned(request, monkeypatch):
    """Namespace ids handed to the provisioner after commit (recorded, not applied)."""
    ids: list[int] = []
    if "live_provisioning" not in request.fixturenames:
        monkeypatch.setattr("clusters.tasks.schedule_provisioning", ids.append)
    return ids
