"""Idempotent demo data for `make run`: an admin, finance, a team manager with a team and
namespaces, and a developer. Prints their logins."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.models import Namespace, Team, TeamMembership, TrustLevel
from tenants.services.memberships import namespace_membership_set, team_membership_add
from tenants.services.namespaces import namespace_create
from tenants.services.teams import team_create

DEMO_PASSWORD = "tenantry-demo"  # noqa: S105 - printed demo login, local development only
DOMAIN = "tenantry.localhost"


class Command(BaseCommand):
    help = "Create (or keep) the demo users, team and namespaces."

    @transaction.atomic
    def handle(self, *args, **options):
        admin = self._user("admin", is_staff=True, is_superuser=True)
        finance = self._user("finance")
        finance.groups.add(Group.objects.get_or_create(name="finance")[0])
        manager = self._user("manager")
        developer = self._user("developer")

        team = Team.objects.filter(slug="platform").first()
        if team is None:
            team = team_create(
                actor=manager, name="Platform Engineering", slug="platform", trust_level=TrustLevel.TRUSTED
            )
            team.billing_mode = "invoiced"
            team.save(update_fields=["billing_mode"])
        if not TeamMembership.objects.filter(team=team, user=developer).exists():
            team_membership_add(actor=manager, team=team, user=developer, role="member")
        for name, display in [("platform-dev", "Development"), ("platform-staging", "Staging")]:
            namespace = Namespace.objects.live().filter(name=name).first()
            if namespace is None:
                namespace = namespace_create(actor=manager, team=team, name=name, display_name=display)
            if name == "platform-dev":
                namespace_membership_set(actor=manager, namespace=namespace, user=developer, role="developer")

        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for user, what in [
            (admin, "cluster admin (staff)"),
            (finance, "finance"),
            (manager, "owner of team 'platform'"),
            (developer, "developer in namespace platform-dev"),
        ]:
            self.stdout.write(f"  {user.email:<32} {what}")

    def _user(self, name: str, **flags):
        email = f"{name}@{DOMAIN}"
        user, created = get_user_model().objects.get_or_create(
            username=name, defaults={"email": email, **flags}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
