"""A namespace's allocation is held against its own cluster's capacity (issue 18): no more CPU,
memory or GPUs than that cluster's nodes offer in all, whatever the team quota says."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from metering.amounts import parse_amounts
from metering.models import ClusterState, NamespaceQuota, QuotaRequest
from metering.services.quotas import (
    namespace_quota_set,
    quota_request_approve,
    quota_request_create,
    team_quota_ensure,
)
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

GI = 2**30


@pytest.fixture
def big_team_quota(world):
    quota = team_quota_ensure(team=world.team)
    quota.cpu_millicores, quota.memory_bytes, quota.gpus = 64_000, 256 * GI, 8
    quota.save()
    return quota


@pytest.fixture
def small_cluster(world):
    """The namespace's cluster, as discovery counted it: one node, 8 cores, 32 GiB, no GPU."""
    state, _ = ClusterState.objects.get_or_create(cluster=world.namespace.cluster)
    state.node_count = 1
    state.allocatable_cpu_millicores, state.allocatable_memory_bytes, state.allocatable_gpus = (
        8000,
        32 * GI,
        0,
    )
    state.save()
    return state


def test_an_allocation_beyond_what_the_cluster_has_is_refused_per_resource(
    world, big_team_quota, small_cluster
):
    cluster = world.namespace.cluster.name
    with pytest.raises(ValidationError) as refused:
        namespace_quota_set(
            actor=world.owner,
            namespace=world.namespace,
            amounts=parse_amounts({"cpu": "16", "memory": "8Gi", "gpus": "1"}),
        )
    errors = refused.value.message_dict
    assert set(errors) == {"cpu", "gpus"}
    assert cluster in errors["cpu"][0] and "8" in errors["cpu"][0]
    assert not NamespaceQuota.objects.filter(namespace=world.namespace, cpu_millicores=16_000).exists()
    namespace_quota_set(
        actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "8", "memory": "32Gi"})
    )
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 8000


def test_a_cluster_nobody_counted_yet_refuses_nothing(world, big_team_quota):
    ClusterState.objects.filter(cluster=world.namespace.cluster).delete()
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "32"}))
    state = ClusterState.objects.create(
        cluster=world.namespace.cluster, node_count=0, allocatable_cpu_millicores=0
    )
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "40"}))
    assert state.node_count == 0


def test_a_request_the_cluster_could_never_hold_is_refused_when_asked_and_when_approved(
    world, big_team_quota, small_cluster
):
    namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "6"}))
    with pytest.raises(ValidationError) as refused:
        quota_request_create(
            actor=world.owner,
            namespace=world.namespace,
            increments=parse_amounts({"cpu": "4"}),
            reason="batch",
        )
    assert "cpu" in refused.value.message_dict
    fits = quota_request_create(
        actor=world.owner, namespace=world.namespace, increments=parse_amounts({"cpu": "2"}), reason="batch"
    )
    # The cluster shrank (a node went) before anyone decided.
    ClusterState.objects.filter(pk=small_cluster.pk).update(allocatable_cpu_millicores=7000)
    with pytest.raises(ValidationError):
        quota_request_approve(actor=world.owner, quota_request=fits)
    assert QuotaRequest.objects.get(pk=fits.pk).status == "pending"
    assert NamespaceQuota.objects.get(namespace=world.namespace).cpu_millicores == 6000


def test_each_namespace_is_held_against_its_own_cluster(world, big_team_quota, small_cluster):
    from clusters.models import Cluster

    roomy = Cluster.objects.create(name="roomy", kubeconfig_path="/etc/roomy")
    ClusterState.objects.create(cluster=roomy, node_count=4, allocatable_cpu_millicores=64_000)
    there = NamespaceFactory(team=world.team, name="acme-roomy", cluster=roomy)
    namespace_quota_set(actor=world.owner, namespace=there, amounts=parse_amounts({"cpu": "16"}))
    assert NamespaceQuota.objects.get(namespace=there).cpu_millicores == 16_000


def test_the_api_answers_400_on_the_resource(world, big_team_quota, small_cluster):
    api = APIClient()
    api.force_authenticate(world.owner)
    response = api.put(
        f"/api/v1/teams/acme/quota/allocations/{world.namespace.name}/", {"cpu": "12"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "cpu" in response.json()
