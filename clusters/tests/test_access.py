"""Kubeconfigs against the emulator: parsed by the official loader, tokens scoped by RBAC, revocation."""

import kubernetes
import pytest
import yaml
from django.core.exceptions import ValidationError

from clusters.connections import default_cluster
from clusters.kubeconfigs import (
    ClusterAccessError,
    ClusterCredentials,
    kubeconfig_document,
    kubeconfig_issue,
    kubeconfig_limit,
    kubeconfig_tokens_revoke,
)
from clusters.models import Cluster
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db


def official_client(kubeconfig_text: str) -> kubernetes.client.ApiClient:
    return kubernetes.config.new_client_from_config_dict(yaml.safe_load(kubeconfig_text))


def status_of(call) -> int:
    try:
        call()
    except kubernetes.client.ApiException as exc:
        return exc.status
    return 200


def test_kubeconfig_has_a_context_per_visible_namespace_only(provisioned):
    issued = kubeconfig_issue(user=provisioned.developer, hours=2)
    config = yaml.safe_load(issued.text)
    assert [c["name"] for c in config["contexts"]] == ["acme-dev"]
    assert config["contexts"][0]["context"]["namespace"] == "acme-dev"
    assert config["current-context"] == "acme-dev"
    assert len(config["clusters"]) == len(config["users"]) == 1
    assert config["clusters"][0]["cluster"]["server"] == provisioned_cluster_url()
    assert issued.namespaces == ["acme-dev"]


def provisioned_cluster_url() -> str:
    from clusters.connections import default_cluster, gateway_for_cluster

    return gateway_for_cluster(default_cluster()).server_url


def test_token_lists_pods_in_own_namespace_but_not_elsewhere(provisioned):
    issued = kubeconfig_issue(user=provisioned.developer)
    with official_client(issued.text) as client:
        core = kubernetes.client.CoreV1Api(client)
        assert status_of(lambda: core.list_namespaced_pod("acme-dev")) == 200
        assert status_of(lambda: core.list_namespaced_pod("globex-prod")) == 403
        assert status_of(lambda: core.list_node()) == 403


def test_official_loader_builds_a_client_configuration(provisioned):
    issued = kubeconfig_issue(user=provisioned.owner)
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config_from_dict(
        yaml.safe_load(issued.text), context="acme-dev", client_configuration=configuration
    )
    assert configuration.api_key["authorization"].startswith("Bearer ")


def test_revoking_makes_every_issued_token_unauthorized_and_new_ones_work(provisioned):
    old = kubeconfig_issue(user=provisioned.developer)
    result = kubeconfig_tokens_revoke(user=provisioned.developer)
    assert result.failed == {}
    assert result.revoked == ["default"]
    with official_client(old.text) as client:
        assert status_of(lambda: kubernetes.client.CoreV1Api(client).list_namespaced_pod("acme-dev")) == 401
    new = kubeconfig_issue(user=provisioned.developer)
    with official_client(new.text) as client:
        assert status_of(lambda: kubernetes.client.CoreV1Api(client).list_namespaced_pod("acme-dev")) == 200


def test_revoking_leaves_other_users_tokens_alone(provisioned):
    owners = kubeconfig_issue(user=provisioned.owner)
    kubeconfig_tokens_revoke(user=provisioned.developer)
    with official_client(owners.text) as client:
        assert status_of(lambda: kubernetes.client.CoreV1Api(client).list_namespaced_pod("acme-dev")) == 200


def test_service_account_is_created_on_demand_in_the_system_namespace(world, cluster):
    kubeconfig_issue(user=world.owner)
    account = cluster.get_object("v1", "ServiceAccount", f"u{world.owner.pk}", "tenantry-system")
    assert account is not None
    assert account["automountServiceAccountToken"] is False


def test_lifetime_defaults_and_is_capped(world, cluster, settings):
    settings.TENANTRY_KUBECONFIG_TTL_HOURS = 3
    settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS = 5
    from django.utils import timezone

    issued = kubeconfig_issue(user=world.owner)
    hours = (issued.expires_at - timezone.now()).total_seconds() / 3600
    assert 2.9 < hours <= 3
    with pytest.raises(ValidationError) as excinfo:
        kubeconfig_issue(user=world.owner, hours=6)
    assert "hours" in excinfo.value.message_dict


def test_download_is_audited_per_team_without_the_token(world, cluster):
    world.other_team.memberships.create(user=world.owner, role="manager")
    issued = kubeconfig_issue(user=world.owner, hours=1)
    events = AuditEvent.objects.filter(action="kubeconfig.downloaded").order_by("team__slug")
    assert [(e.team.slug, e.data["namespaces"]) for e in events] == [
        ("acme", ["acme-dev"]),
        ("globex", ["globex-prod"]),
    ]
    assert events[0].data["expires_at"] == issued.expires_at.isoformat()
    token = yaml.safe_load(issued.text)["users"][0]["user"]["token"]
    assert all(token not in str(e.data) for e in AuditEvent.objects.all())


def test_revocation_is_audited(world, cluster):
    kubeconfig_tokens_revoke(user=world.developer)
    event = AuditEvent.objects.get(action="kubeconfig.tokens_revoked")
    assert event.team == world.team
    assert event.data["clusters"] == ["default"]


def test_user_without_namespaces_gets_nothing(world, cluster):
    with pytest.raises(ValidationError):
        kubeconfig_issue(user=world.member)
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()


@pytest.mark.parametrize("status", [503, 403])
def test_cluster_failure_is_named_and_nothing_is_issued(world, cluster, status):
    cluster.fail_next(10, status)
    with pytest.raises(ClusterAccessError, match="default"):
        kubeconfig_issue(user=world.owner)
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()


def test_revocation_reports_clusters_it_could_not_reach(world, cluster):
    Cluster.objects.create(name="zz-broken", kubeconfig_path="/nonexistent/kubeconfig")
    result = kubeconfig_tokens_revoke(user=world.owner)
    assert result.revoked == ["default"]
    assert "zz-broken" in result.failed


def test_namespaces_are_grouped_by_cluster(world, cluster, kube_kubeconfig):
    second = Cluster.objects.create(name="second", kubeconfig_path=str(kube_kubeconfig))
    world.namespace.cluster = second
    world.namespace.save()
    world.other_team.memberships.create(user=world.owner, role="owner")
    config = yaml.safe_load(kubeconfig_issue(user=world.owner).text)
    assert [c["name"] for c in config["clusters"]] == ["tenantry-default", "tenantry-second"]
    contexts = {c["name"]: c["context"]["cluster"] for c in config["contexts"]}
    assert contexts == {"globex-prod": "tenantry-default", "acme-dev": "tenantry-second"}
    assert config["current-context"] == "acme-dev"


def test_document_carries_ca_data_or_the_insecure_flag():
    def entry(name, **kwargs):
        defaults = {"certificate_authority_data": None, "insecure_skip_tls_verify": False}
        return ClusterCredentials(
            name=name,
            server=f"https://{name}",
            user=f"u1@{name}",
            token="t",
            namespaces=(name,),
            **defaults | kwargs,
        )

    config = kubeconfig_document(
        [
            entry("a", certificate_authority_data="Q0E="),
            entry("b", insecure_skip_tls_verify=True),
            entry("c"),
        ],
        current_namespace="a",
    )
    assert [c["cluster"] for c in config["clusters"]] == [
        {"server": "https://a", "certificate-authority-data": "Q0E="},
        {"server": "https://b", "insecure-skip-tls-verify": True},
        {"server": "https://c"},
    ]


def clusters_with(*maxima: int | None) -> list[Cluster]:
    return [Cluster(name=f"c{i}", max_token_hours=m) for i, m in enumerate(maxima)]


@pytest.mark.parametrize(
    ("maxima", "expected"),
    [
        ((), (24, 8, None)),
        ((None, None), (24, 8, None)),
        ((48,), (24, 8, None)),  # a cluster cannot raise the console's maximum
        ((12, None, 6), (6, 6, "c2")),  # the strictest cluster decides, and cuts the default
        ((10, 12), (10, 8, "c0")),
    ],
)
def test_limit_is_the_smallest_maximum_of_the_console_and_the_users_clusters(settings, maxima, expected):
    settings.TENANTRY_KUBECONFIG_TTL_HOURS = 8
    settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS = 24
    limit = kubeconfig_limit(clusters_with(*maxima))
    assert (limit.max_hours, limit.default_hours, limit.cluster) == expected


def test_cluster_maximum_caps_the_issued_token(world, cluster):
    Cluster.objects.filter(pk=default_cluster().pk).update(max_token_hours=2)
    with pytest.raises(ValidationError) as excinfo:
        kubeconfig_issue(user=world.owner, hours=3)
    assert excinfo.value.message_dict["hours"] == ["At most 2 hours: the limit set by cluster 'default'."]
    issued = kubeconfig_issue(user=world.owner)
    assert issued.hours == issued.max_hours == 2
    assert AuditEvent.objects.get(action="kubeconfig.downloaded").data["max_hours"] == 2


def test_a_limit_on_a_cluster_the_user_is_not_on_does_not_apply(world, cluster):
    Cluster.objects.create(name="elsewhere", kubeconfig_path="/etc/k", max_token_hours=1)
    assert kubeconfig_issue(user=world.owner, hours=5).hours == 5
