"""The demo cast: four personas, two trusted invoiced teams, the developer's personal prepaid
team, their namespaces, and a quota request waiting for the manager.

Everything is looked up before it is created, so a second run finds it all and adds nothing.
Teams and namespaces are backdated on creation only, so billing has past days to bill.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User

from metering.amounts import parse_amounts
from metering.models import QuotaRequest
from metering.services.quotas import quota_request_create
from namespaces.services import namespace_create
from tenants.models import BillingMode, Namespace, Team, TeamMembership, TeamRole, TrustLevel
from tenants.services.memberships import namespace_membership_set, team_membership_add
from tenants.services.teams import team_create

DEMO_PASSWORD = "tenantry-demo"  # noqa: S105 - printed demo login, local development only
DOMAIN = "tenantry.localhost"


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    name: str
    plan: str
    days: int  # how long ago the team (and its namespaces) came to be, on first creation
    namespaces: tuple[tuple[str, str], ...]


TEAMS = (
    TeamSpec(
        "platform",
        "Platform Engineering",
        "starter",
        14,
        (("platform-dev", "Development"), ("platform-staging", "Staging")),
    ),
    TeamSpec("research", "Research", "team", 14, (("research-ml", "ML training"),)),
)
PERSONAL_DAYS = 7
QUOTA_REQUEST_REASON = "Load test of the new ingest pipeline next week needs another core."


@dataclass
class Cast:
    admin: User
    finance: User
    manager: User
    developer: User
    teams: list[Team] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    quota_request: QuotaRequest = field(init=False)
    created: int = 0  # teams and namespaces made by this run


def _user(name: str, **flags) -> User:
    email = f"{name}@{DOMAIN}"
    user, created = get_user_model().objects.get_or_create(username=name, defaults={"email": email, **flags})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _days_ago(now: datetime, days: int) -> datetime:
    """UTC midnight ``days`` days before today, so the first billed day is a whole one."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)


def _namespace(cast: Cast, *, actor, team: Team, name: str, display: str, born: datetime) -> Namespace:
    namespace = Namespace.objects.live().filter(team=team, name=name).first()
    if namespace is None:
        namespace = namespace_create(actor=actor, team=team, name=name, display_name=display)
        Namespace.objects.filter(pk=namespace.pk).update(created_at=born)
        namespace.created_at = born
        cast.created += 1
    return namespace


def _team(cast: Cast, spec: TeamSpec, now: datetime) -> Team:
    team = Team.objects.filter(slug=spec.slug).first()
    born = _days_ago(now, spec.days)
    if team is None:
        team = team_create(actor=cast.manager, name=spec.name, slug=spec.slug, trust_level=TrustLevel.TRUSTED)
        # Set before the first namespace, which creates the team quota from the plan.
        Team.objects.filter(pk=team.pk).update(
            billing_mode=BillingMode.INVOICED, plan=spec.plan, created_at=born
        )
        TeamMembership.objects.filter(team=team).update(created_at=born)
        team.refresh_from_db()
        cast.created += 1
    for name, display in spec.namespaces:
        cast.namespaces.append(
            _namespace(cast, actor=cast.manager, team=team, name=name, display=display, born=born)
        )
    return team


def _personal_team(cast: Cast, now: datetime) -> Team:
    """The developer's own public, prepaid team, as signup would have made it a week ago."""
    developer = cast.developer
    team = Team.objects.filter(
        is_personal=True, memberships__user=developer, memberships__role=TeamRole.OWNER
    ).first()
    born = _days_ago(now, PERSONAL_DAYS)
    if team is None:
        team = team_create(actor=developer, name="developer's team", is_personal=True)
        Team.objects.filter(pk=team.pk).update(created_at=born)
        TeamMembership.objects.filter(team=team).update(created_at=born)
        team.refresh_from_db()
        cast.created += 1
    namespace = Namespace.objects.live().filter(team=team).first()
    if namespace is None:
        namespace = namespace_create(
            actor=developer, team=team, name="", display_name="developer (personal)", base_name="developer"
        )
        Namespace.objects.filter(pk=namespace.pk).update(created_at=born)
        namespace.created_at = born
        cast.created += 1
    cast.namespaces.append(namespace)
    return team


def cast_ensure(*, now: datetime) -> Cast:
    """Users, teams, namespaces, memberships and the pending quota request (see module doc)."""
    admin = _user("admin", is_staff=True, is_superuser=True)
    finance = _user("finance")
    finance.groups.add(Group.objects.get_or_create(name="finance")[0])
    cast = Cast(admin, finance, _user("manager"), _user("developer"))
    for spec in TEAMS:
        cast.teams.append(_team(cast, spec, now))
    platform, platform_dev = cast.teams[0], cast.namespaces[0]
    joined = platform.created_at + timedelta(days=1)
    if not TeamMembership.objects.filter(team=platform, user=cast.developer).exists():
        membership = team_membership_add(
            actor=cast.manager, team=platform, user=cast.developer, role="member"
        )
        TeamMembership.objects.filter(pk=membership.pk).update(created_at=joined)
    if not platform_dev.memberships.filter(user=cast.developer).exists():
        namespace_membership_set(
            actor=cast.manager, namespace=platform_dev, user=cast.developer, role="developer"
        )
        platform_dev.memberships.filter(user=cast.developer).update(created_at=joined)
    cast.teams.append(_personal_team(cast, now))
    request = QuotaRequest.objects.filter(namespace=platform_dev, requested_by=cast.developer).first()
    cast.quota_request = request or quota_request_create(
        actor=cast.developer,
        namespace=platform_dev,
        increments=parse_amounts({"cpu": "1"}),
        reason=QUOTA_REQUEST_REASON,
    )
    return cast
