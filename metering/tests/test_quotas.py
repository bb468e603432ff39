import os
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import translation

from clusters.connections import default_cluster
from metering.amounts import amounts_of, parse_amounts
from metering.models import ClusterState, NamespaceQuota, QuotaRequest, TeamQuota
from metering.selectors import namespace_quota_hard
from metering.services.quotas import (
    allocated_total,
    namespace_quota_initialize,
    namespace_quota_set,
    namespace_slot_check,
    quota_request_approve,
    quota_request_create,
    quota_request_deny,
    team_quota_ensure,
    team_quota_set,
)
from tenants.models import AuditEvent
from tests.factories import NamespaceFactory

GI = 2**30


@pytest.fixture
def team_quota(world):
    quota = team_quota_ensure(team=world.team)
    quota.cpu_millicores = 4000
    quota.memory_bytes = 8 * GI
    quota.storage_bytes = 50 * GI
    quota.storage_classes = {"standard": 50 * GI}
    quota.pods = 40
    quota.save()
    return quota


def test_team_quota_defaults_come_from_the_plan(world, settings):
    quota = team_quota_ensure(team=world.team)
    assert quota.cpu_millicores == 4000
    assert quota.storage_classes == {"standard": 50 * GI}
    assert quota.max_namespaces == settings.TENANTRY_PLANS["starter"]["max_namespaces"]


def test_allocations_within_the_team_quota_are_accepted_and_audited(world, team_quota):
    namespace_quota_set(
        actor=world.manager, namespace=world.namespace, amounts=parse_amounts({"cpu": "3", "memory": "4Gi"})
    )
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 3000
    assert AuditEvent.objects.filter(action="quota.allocation_changed", team=world.team).exists()


def test_sum_of_allocations_cannot_exceed_the_team_quota(world, team_quota):
    second = NamespaceFactory(team=world.team, name="acme-prod")
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "3"}))
    with pytest.raises(ValidationError) as excinfo:
        namespace_quota_set(actor=world.owner, namespace=second, amounts=parse_amounts({"cpu": "1500m"}))
    assert excinfo.value.message_dict["cpu"] == ["Exceeds the team quota by 500m."]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        namespace_quota_set(actor=world.owner, namespace=second, amounts=parse_amounts({"cpu": "1500m"}))
    assert excinfo.value.message_dict["cpu"] == ["超出团队配额 500m。"]
    namespace_quota_set(actor=world.owner, namespace=second, amounts=parse_amounts({"cpu": "1"}))
    assert allocated_total(team=world.team)["cpu"] == 4000


def test_deleted_namespaces_release_their_allocation(world, team_quota):
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "4"}))
    world.namespace.status = "deleted"
    world.namespace.save()
    assert allocated_total(team=world.team)["cpu"] == 0


def test_members_cannot_split_the_team_quota(world, team_quota):
    with pytest.raises(PermissionDenied):
        namespace_quota_set(
            actor=world.member, namespace=world.namespace, amounts=parse_amounts({"cpu": "1"})
        )


def test_storage_classes_outside_the_team_list_are_refused_and_zeroed(world, team_quota):
    with pytest.raises(ValidationError, match="not allowed"):
        namespace_quota_set(
            actor=world.owner,
            namespace=world.namespace,
            amounts=parse_amounts({"storage_classes": {"fast": "1Gi"}}),
        )
    ClusterState.objects.create(cluster=default_cluster(), storage_classes=["fast", "standard"])
    namespace_quota_set(
        actor=world.owner,
        namespace=world.namespace,
        amounts=parse_amounts(
            {"cpu": "500m", "memory": "1Gi", "storage": "10Gi", "storage_classes": {"standard": "10Gi"}}
        ),
    )
    hard = namespace_quota_hard(world.namespace)
    assert hard["requests.cpu"] == "500m"
    assert hard["limits.memory"] == "1Gi"
    assert hard["standard.storageclass.storage.k8s.io/requests.storage"] == "10Gi"
    assert hard["fast.storageclass.storage.k8s.io/requests.storage"] == "0"
    assert hard["services.nodeports"] == "0"
    assert hard["requests.nvidia.com/gpu"] == "0"


def test_a_namespace_without_allocation_gets_zero_of_everything(world):
    hard = namespace_quota_hard(world.other_namespace)
    assert hard["pods"] == "0"
    assert hard["requests.cpu"] == "0"


def test_team_quota_cannot_drop_below_allocations(world, team_quota):
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "3"}))
    lowered = amounts_of(team_quota)
    lowered["cpu"] = 2000
    with pytest.raises(ValidationError) as excinfo:
        team_quota_set(actor=world.admin, team=world.team, amounts=lowered, max_namespaces=3)
    assert excinfo.value.message_dict == {
        "cpu": ["At least 3: the team's namespaces already hold that much. Lower their allocations first."]
    }
    with pytest.raises(PermissionDenied):
        team_quota_set(actor=world.owner, team=world.team, amounts=amounts_of(team_quota), max_namespaces=9)


def test_initial_allocation_is_capped_by_what_is_left(world, team_quota):
    other = NamespaceFactory(team=world.team, name="acme-big")
    namespace_quota_set(actor=world.owner, namespace=other, amounts=parse_amounts({"cpu": "3500m"}))
    allocation = namespace_quota_initialize(actor=None, namespace=world.namespace)
    assert allocation.cpu_millicores == 500
    assert allocation.storage_classes == {"standard": 10 * GI}


def test_namespace_slots_are_limited_by_the_plan(world, team_quota):
    team_quota.max_namespaces = 1
    team_quota.save()
    with pytest.raises(ValidationError, match="1 of its 1"):
        namespace_slot_check(team=world.team)


def test_request_within_remaining_quota_is_approved_by_a_manager(
    world, team_quota, django_capture_on_commit_callbacks, provisioned
):
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "1"}))
    request = quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"cpu": "2"}),
        reason="load test",
    )
    assert not request.needs_staff
    with django_capture_on_commit_callbacks(execute=True):
        quota_request_approve(actor=world.manager, quota_request=request, note="ok")
    assert provisioned == [world.namespace.pk]
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 3000
    request.refresh_from_db()
    assert request.status == "approved" and not request.team_quota_raised
    assert mail.outbox[-1].to == [world.developer.email]
    assert "approved" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="quota.request_approved").exists()


def test_request_beyond_the_team_quota_needs_staff_who_raise_it(world, team_quota):
    request = quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"cpu": "6"}),
        reason="big job",
    )
    assert request.needs_staff
    with pytest.raises(ValidationError, match="cluster admin"):
        quota_request_approve(actor=world.manager, quota_request=request)
    quota_request_approve(actor=world.admin, quota_request=request)
    assert TeamQuota.objects.get(team=world.team).cpu_millicores == 6000
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 6000
    assert AuditEvent.objects.filter(action="quota.team_raised").exists()


def test_denied_requests_email_the_requester_and_cannot_be_decided_twice(
    world, team_quota, django_capture_on_commit_callbacks
):
    request = quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"pods": "5"}),
        reason="more pods",
    )
    with django_capture_on_commit_callbacks(execute=True):
        quota_request_deny(actor=world.owner, quota_request=request, note="not now")
    assert "denied" in mail.outbox[-1].subject
    with pytest.raises(ValidationError, match="already denied"):
        quota_request_approve(actor=world.owner, quota_request=request)


def test_requests_need_a_reason_and_a_visible_namespace(world, team_quota):
    with pytest.raises(ValidationError):
        quota_request_create(
            actor=world.developer,
            namespace=world.namespace,
            increments=parse_amounts({"cpu": "1"}),
            reason=" ",
        )
    # A team member who is not in the namespace cannot see it, so cannot ask for it either.
    for actor in (world.outsider, world.member, world.billing):
        with pytest.raises(PermissionDenied):
            quota_request_create(
                actor=actor,
                namespace=world.namespace,
                increments=parse_amounts({"cpu": "1"}),
                reason="x",
            )
    with pytest.raises(PermissionDenied):
        quota_request_approve(
            actor=world.member,
            quota_request=QuotaRequest.objects.create(
                team=world.team, namespace=world.namespace, reason="x", cpu_millicores=1
            ),
        )


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_allocations_cannot_both_pass(world, provisioned):
    """Each thread has its own connection; the TeamQuota row lock serialises them."""
    if connection.vendor != "postgresql":
        if ON_POSTGRES:
            pytest.fail("DATABASE_URL points at PostgreSQL but the test database is not PostgreSQL")
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    quota = team_quota_ensure(team=world.team)
    quota.cpu_millicores = 4000
    quota.save()
    second = NamespaceFactory(team=world.team, name="acme-race")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def allocate(namespace):
        try:
            barrier.wait(timeout=10)
            namespace_quota_set(actor=world.owner, namespace=namespace, amounts=parse_amounts({"cpu": "3"}))
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=allocate, args=(ns,)) for ns in (world.namespace, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert allocated_total(team=world.team)["cpu"] == 3000
    assert len(provisioned) == 1
