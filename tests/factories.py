"""factory_boy factories shared by every app's tests."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from clusters.connections import default_cluster
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

    team = factory.SubFactory(TeamFactory)
    cluster = factory.LazyFunction(lambda: default_cluster())
    name = factory.Sequence(lambda n: f"ns-{n}")


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
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
