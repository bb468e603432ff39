"""Building a namespace spec from the database: membership rules, quotas, runtime, queries."""

import pytest
from django.contrib.auth import get_user_model

from clusters.kube import spec as spec_module
from clusters.kube.spec import (
    MemberBinding,
    PlatformSettings,
    RuntimeChoice,
    namespace_spec_from_model,
    platform_settings_from_django,
)
from metering.models import Isolation
from tenants.models import (
    Namespace,
    NamespaceMembership,
    NamespaceRole,
    Team,
    TeamMembership,
    TeamRole,
    TrustLevel,
)
from tests.factories import NamespaceFactory

User = get_user_model()


def make_user(name: str, **extra):
    return User.objects.create_user(username=name, email=f"{name}@example.com", **extra)


def make_team(slug="acme", trust_level=TrustLevel.PUBLIC) -> Team:
    return Team.objects.create(name=slug.title(), slug=slug, trust_level=trust_level)


def join_team(team, user, role):
    return TeamMembership.objects.create(team=team, user=user, role=role)


def join_namespace(namespace, user, role):
    return NamespaceMembership.objects.create(namespace=namespace, user=user, role=role)


def fresh(namespace) -> Namespace:
    return Namespace.objects.get(pk=namespace.pk)


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def namespace(team):
    return NamespaceFactory(team=team, name="acme-prod")


@pytest.fixture
def people(team, namespace):
    """Owner, manager, a developer member, a member without access, billing, an outsider."""
    users = {
        name: make_user(name) for name in ("owner", "manager", "dev", "bystander", "finance", "outsider")
    }
    join_team(team, users["owner"], TeamRole.OWNER)
    join_team(team, users["manager"], TeamRole.MANAGER)
    join_team(team, users["dev"], TeamRole.MEMBER)
    join_team(team, users["bystander"], TeamRole.MEMBER)
    join_team(team, users["finance"], TeamRole.BILLING)
    join_namespace(namespace, users["dev"], NamespaceRole.DEVELOPER)
    join_namespace(namespace, users["finance"], NamespaceRole.VIEWER)
    join_namespace(namespace, users["outsider"], NamespaceRole.ADMIN)
    join_namespace(namespace, users["manager"], NamespaceRole.VIEWER)
    return users


@pytest.mark.django_db
def test_owner_and_manager_administer_and_members_get_their_namespace_role(settings, namespace, people):
    spec = namespace_spec_from_model(fresh(namespace), settings=settings)
    assert spec.members == tuple(
        sorted(
            [
                MemberBinding(people["owner"].pk, "admin"),
                MemberBinding(people["manager"].pk, "admin"),
                MemberBinding(people["dev"].pk, "developer"),
            ]
        )
    )


@pytest.mark.django_db
def test_billing_members_and_outsiders_get_nothing_even_with_a_namespace_role(settings, namespace, people):
    user_ids = {
        member.user_id for member in namespace_spec_from_model(fresh(namespace), settings=settings).members
    }
    assert people["finance"].pk not in user_ids
    assert people["outsider"].pk not in user_ids
    assert people["bystander"].pk not in user_ids


@pytest.mark.django_db
def test_team_admins_get_every_namespace_of_their_team_and_members_only_theirs(
    settings, team, namespace, people
):
    other = NamespaceFactory(team=team, name="acme-staging")
    join_namespace(other, people["bystander"], NamespaceRole.VIEWER)
    spec = namespace_spec_from_model(fresh(other), settings=settings)
    assert spec.members == tuple(
        sorted(
            [
                MemberBinding(people["owner"].pk, "admin"),
                MemberBinding(people["manager"].pk, "admin"),
                MemberBinding(people["bystander"].pk, "viewer"),
            ]
        )
    )


@pytest.mark.django_db
def test_deactivated_users_lose_their_bindings(settings, namespace, people):
    people["owner"].is_active = False
    people["owner"].save()
    user_ids = {
        member.user_id for member in namespace_spec_from_model(fresh(namespace), settings=settings).members
    }
    assert people["owner"].pk not in user_ids
    assert people["manager"].pk in user_ids


@pytest.mark.django_db
def test_another_teams_owner_gets_nothing(settings, namespace, people):
    rival = make_team("rival")
    rival_owner = make_user("rival-owner")
    join_team(rival, rival_owner, TeamRole.OWNER)
    user_ids = {
        member.user_id for member in namespace_spec_from_model(fresh(namespace), settings=settings).members
    }
    assert rival_owner.pk not in user_ids


@pytest.mark.django_db
@pytest.mark.parametrize("member_count", [2, 20])
def test_spec_builder_runs_a_constant_number_of_queries(
    settings, django_assert_num_queries, team, member_count
):
    namespace = NamespaceFactory(team=team, name="acme-big")
    for index in range(member_count):
        user = make_user(f"user{index}")
        join_team(team, user, TeamRole.MEMBER if index % 2 else TeamRole.MANAGER)
        join_namespace(namespace, user, NamespaceRole.DEVELOPER)
    namespace = fresh(namespace)
    with django_assert_num_queries(6):  # team, memberships of team and namespace, apps domain, domains, taken
        spec = namespace_spec_from_model(namespace, settings=settings)
    assert len(spec.members) == member_count


@pytest.mark.django_db
def test_spec_carries_the_namespace_identity(settings, team, namespace):
    spec = namespace_spec_from_model(fresh(namespace), settings=settings)
    assert (spec.name, spec.team_slug, spec.team_id, spec.namespace_id) == (
        "acme-prod",
        "acme",
        team.pk,
        namespace.pk,
    )
    assert spec.trust_level == "public"


@pytest.mark.django_db
def test_default_quota_comes_from_settings_with_trust_level_and_gpu_overrides(settings, namespace):
    settings.TENANTRY_DEFAULT_QUOTA = {"requests.cpu": "1", "pods": "5", "services.loadbalancers": "0"}
    settings.TENANTRY_TRUST_LEVEL_QUOTA = {"trusted": {"services.loadbalancers": "2"}}
    settings.TENANTRY_GPU_QUOTA = {"requests.nvidia.com/gpu": "4"}
    assert namespace_spec_from_model(fresh(namespace), settings=settings).quota == {
        "pods": "5",
        "requests.cpu": "1",
        "services.loadbalancers": "0",
    }
    trusted_gpu = NamespaceFactory(team=make_team("labs", TrustLevel.TRUSTED), name="labs-ml")
    quota = namespace_spec_from_model(
        fresh(trusted_gpu), settings=settings, quota_overrides={"pods": "9"}, needs_gpu=True
    ).quota
    assert quota == {
        "pods": "9",
        "requests.cpu": "1",
        "requests.nvidia.com/gpu": "4",
        "services.loadbalancers": "2",
    }


@pytest.mark.django_db
def test_built_in_quota_defaults_by_trust_level(settings, namespace):
    public = namespace_spec_from_model(fresh(namespace), settings=settings).quota
    assert public["services.loadbalancers"] == "0"
    assert public["requests.nvidia.com/gpu"] == "0"
    assert public["services.nodeports"] == "0"
    trusted = NamespaceFactory(team=make_team("labs", TrustLevel.TRUSTED), name="labs-web")
    quota = namespace_spec_from_model(fresh(trusted), settings=settings, needs_gpu=True).quota
    assert quota["services.loadbalancers"] == "1"
    assert quota["requests.nvidia.com/gpu"] == "1"


@pytest.mark.django_db
def test_storage_classes_outside_the_allowed_list_are_denied(settings, namespace):
    settings.TENANTRY_ALLOWED_STORAGE_CLASSES = ["standard"]
    settings.TENANTRY_DENIED_STORAGE_CLASSES = ["legacy"]
    spec = namespace_spec_from_model(
        fresh(namespace), settings=settings, cluster_storage_classes=["standard", "fast-ssd", "local-path"]
    )
    assert spec.allowed_storage_classes == ("standard",)
    assert spec.denied_storage_classes == ("fast-ssd", "legacy", "local-path")


@pytest.mark.django_db
def test_all_storage_classes_are_allowed_by_default(settings, namespace):
    spec = namespace_spec_from_model(
        fresh(namespace), settings=settings, cluster_storage_classes=["fast-ssd"]
    )
    assert spec.allowed_storage_classes is None
    assert spec.denied_storage_classes == ()


@pytest.mark.django_db
def test_runtime_choice_is_passed_through(settings, namespace):
    choice = RuntimeChoice(allowed=("kata-qemu", "gvisor"), default="gvisor")
    spec = namespace_spec_from_model(fresh(namespace), settings=settings, runtime=choice)
    assert spec.allowed_runtime_classes == ("gvisor", "kata-qemu")
    assert spec.default_runtime_class == "gvisor"
    assert spec.runtime_policy_enforced


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trust_level", "min_isolation", "enforced"),
    [
        (TrustLevel.PUBLIC, "", True),
        (TrustLevel.PUBLIC, Isolation.CONTAINER, True),
        (TrustLevel.TRUSTED, Isolation.SANDBOX, True),
        (TrustLevel.TRUSTED, Isolation.MICROVM, True),
        (TrustLevel.TRUSTED, Isolation.CONTAINER, False),
        (TrustLevel.TRUSTED, "", False),
    ],
)
def test_without_a_runtime_choice_isolated_namespaces_fail_closed(
    settings, trust_level, min_isolation, enforced
):
    namespace = NamespaceFactory(team=make_team("t", trust_level), name="t-ns")
    spec = namespace_spec_from_model(fresh(namespace), settings=settings, min_isolation=min_isolation)
    assert spec.runtime_policy_enforced is enforced
    assert spec.allowed_runtime_classes == ()


def test_spec_constants_mirror_the_model_choices():
    assert tuple(NamespaceRole.values) == spec_module.NAMESPACE_ROLES
    assert tuple(TrustLevel.values) == spec_module.TRUST_LEVELS
    assert spec_module.PUBLIC == TrustLevel.PUBLIC
    assert tuple(Isolation.values) == spec_module.ISOLATION_LEVELS


def test_platform_settings_read_from_django_settings(settings):
    settings.TENANTRY_SYSTEM_NAMESPACE = "tenancy"
    settings.TENANTRY_INGRESS_NAMESPACE = "traefik"
    settings.TENANTRY_PRIVATE_CIDRS = ["10.0.0.0/8"]
    platform = platform_settings_from_django(settings)
    assert platform.system_namespace == "tenancy"
    assert platform.ingress_namespace == "traefik"
    assert platform.private_cidrs == ("10.0.0.0/8",)
    assert platform.exempt_usernames[0] == "system:serviceaccount:tenancy:tenantry-console"
    assert platform.user_username(4) == "system:serviceaccount:tenancy:u4"
    settings.TENANTRY_CONSOLE_USERNAME = "tenantry-admin"
    assert platform_settings_from_django(settings).exempt_usernames[0] == "tenantry-admin"


def test_platform_settings_defaults():
    platform = PlatformSettings()
    assert platform.system_namespace == "tenantry-system"
    assert platform.ingress_namespace == "ingress-nginx"
    assert platform.managed_by == "tenantry"
    assert platform.label("team") == "tenantry.io/team"
    assert "169.254.0.0/16" in platform.private_cidrs
