"""factory_boy factories shared by every app's tests."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from clusters.connections import default_cluster
from clusters.models import NamespaceProvisioning
from metering.models import NamespaceRuntimePolicy
from tenants.models import (
    Invitation,
    Namespace,
    NamespaceMembership,
    Team,
    TeamMembership,
    TeamRole,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamRole.MEMBER


class NamespaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Namespace
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    cluster = factory.LazyFunction(lambda: default_cluster())
    name = factory.Sequence(lambda n: f"ns-{n}")
    # Made with the namespace, as ``namespace_create`` does.
    provisioning = factory.RelatedFactory(
        "tests.factories.NamespaceProvisioningFactory", factory_related_name="namespace"
    )
    runtime_policy = factory.RelatedFactory(
        "tests.factories.NamespaceRuntimePolicyFactory", factory_related_name="namespace"
    )


class NamespaceProvisioningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NamespaceProvisioning

    namespace = factory.SubFactory(NamespaceFactory, provisioning=None)


class NamespaceRuntimePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NamespaceRuntimePolicy

    namespace = factory.SubFactory(NamespaceFactory, runtime_policy=None)


class NamespaceMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NamespaceMembership

    namespace = factory.SubFactory(NamespaceFactory)
    user = factory.SubFactory(UserFactory)
    role = "developer"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    token_hash = factory.Sequence(lambda n: f"{n:064d}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
