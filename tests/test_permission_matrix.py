"""Every URL pattern and API route, enumerated from the resolver, against every persona.

A new view without a rule here makes ``test_every_route_has_a_rule`` fail, so access is
decided on purpose for each one. Outsiders get 404 for another team's objects; members
lacking the role get 403; anonymous users are sent to log in (pages) or get 401 (API).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.models import Statement
from billing.services.runs import days_bill
from billing.tests.conftest import fill_day, make_book
from clusters.models import Cluster
from domains.models import Domain
from domains.routes import Claim
from domains.services import route_claims_record
from tenants.models import Invitation, Namespace, NamespaceMembership, Team, TeamMembership, TrustLevelRequest
from tenants.services.invitations import hash_invitation_token
from tenants.services.tokens import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = (
    "finance",
    "anonymous",
    "outsider",
    "billing",
    "member",
    "viewer",
    "developer",
    "ns_admin",
    "manager",
    "owner",
    "staff",
)
TEAM = {"billing", "member", "viewer", "developer", "ns_admin", "manager", "owner"}
SIGNED_IN = set(PERSONAS) - {"anonymous"}

# Who may, per access level; everyone else in the team gets 403, everyone outside 404.
LEVELS: dict[str, tuple[set[str], set[str]]] = {
    # level: (allowed personas, personas that see the object but lack the role → 403)
    "public": (set(PERSONAS), set()),
    "login": (SIGNED_IN, set()),
    "team": (TEAM, set()),
    "team_manage": ({"manager", "owner"}, TEAM - {"manager", "owner"}),
    "team_audit": ({"manager", "owner"}, TEAM - {"manager", "owner"}),
    "team_owner": ({"owner"}, TEAM - {"owner"}),
    "namespace": ({"viewer", "developer", "ns_admin", "manager", "owner"}, set()),
    "namespace_admin": ({"ns_admin", "manager", "owner"}, {"viewer", "developer"}),
    "namespace_delete": ({"manager", "owner"}, {"viewer", "developer", "ns_admin"}),
    "staff": ({"staff"}, set()),
    # Finance (and staff) read every team's bills; inside the team, owners, managers and billing.
    "billing_team": (
        {"billing", "manager", "owner", "finance", "staff"},
        TEAM - {"billing", "manager", "owner"},
    ),
    "finance": ({"finance", "staff"}, set()),
    # Quota decisions: the team's managers, and staff for increases beyond the team quota.
    "team_manage_or_staff": ({"manager", "owner", "staff"}, TEAM - {"manager", "owner"}),
    # Team quota page: the team's members, and staff for every team (they set the quota there).
    "team_or_staff": (TEAM | {"staff"}, set()),
    # Objects that belong to one user (their token, an invitation addressed to them).
    "own": (set(), set()),
    # Only a bearer token that is no user's (METRICS_TOKEN); every persona, signed in or not, gets 404.
    "metrics_token": (set(), set()),
}


@dataclass(frozen=True)
class Rule:
    level: str
    method: str = "get"
    kwargs: Callable[[object], dict] = lambda fx: {}
    ok: frozenset[int] = frozenset(range(200, 400))
    query: str = ""


def _team(fx):
    return {"slug": "acme"}


def _ns(fx):
    return {"name": "acme-dev"}


RULES: dict[str, Rule] = {
    "dashboard": Rule("login"),
    "healthz": Rule("public"),
    "readyz": Rule("public", ok=frozenset({200, 503})),  # 503 names what is down
    "metrics": Rule("metrics_token"),
    "favicon": Rule("public"),
    "api-schema": Rule("public"),
    "api-docs": Rule("public"),
    "team_list": Rule("login"),
    "team_create": Rule("login"),
    "team_detail": Rule("team", kwargs=_team),
    "team_audit": Rule("team_audit", kwargs=_team),
    "team_leave": Rule("team", kwargs=_team),
    "team_transfer": Rule("team_owner", kwargs=_team),
    "team_settings": Rule("team_owner", kwargs=_team),
    "team_rename": Rule("team_owner", method="post", kwargs=_team),
    "team_time_zone": Rule("team_owner", method="post", kwargs=_team),
    "team_trust_request": Rule("team_owner", method="post", kwargs=_team),
    "team_delete": Rule("team_owner", kwargs=_team),
    "member_role": Rule(
        "team_manage", kwargs=lambda fx: {"slug": "acme", "membership_id": fx.target_membership.pk}
    ),
    "member_remove": Rule(
        "team_manage", kwargs=lambda fx: {"slug": "acme", "membership_id": fx.target_membership.pk}
    ),
    "namespace_create": Rule("team_manage", kwargs=_team),
    "invitation_create": Rule("team_manage", kwargs=_team),
    "invitation_revoke": Rule(
        "team_manage", kwargs=lambda fx: {"slug": "acme", "invitation_id": fx.invitation.pk}
    ),
    "invitation_resend": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "invitation_id": fx.invitation.pk}
    ),
    "namespace_detail": Rule("namespace", kwargs=_ns),
    "namespace_access": Rule("namespace", kwargs=_ns),
    "namespace_delete": Rule("namespace_delete", kwargs=_ns),
    "namespace_member_add": Rule("namespace_admin", kwargs=_ns),
    "namespace_member_role": Rule(
        "namespace_admin", kwargs=lambda fx: {"name": "acme-dev", "membership_id": fx.target_ns_membership.pk}
    ),
    "namespace_member_remove": Rule(
        "namespace_admin", kwargs=lambda fx: {"name": "acme-dev", "membership_id": fx.target_ns_membership.pk}
    ),
    # Invitation links work for whoever holds them; accepting checks the invitee's email.
    "invitation_accept": Rule("public", kwargs=lambda fx: {"token": fx.raw_token}),
    "invitation_signup": Rule("public", kwargs=lambda fx: {"token": fx.raw_token}),
    "invitation_decline": Rule("public", method="post", kwargs=lambda fx: {"token": "not-a-token"}),
    "my_invitation_accept": Rule("own", method="post", kwargs=lambda fx: {"invitation_id": fx.invitation.pk}),
    "my_invitation_decline": Rule(
        "own", method="post", kwargs=lambda fx: {"invitation_id": fx.invitation.pk}
    ),
    "token_list": Rule("login"),
    "preferences": Rule("login"),
    # Anyone may switch language; without a language it is a 400, a request error, not a refusal.
    "language_set": Rule("public", method="post", ok=frozenset({400})),
    "token_revoke": Rule("own", kwargs=lambda fx: {"token_id": fx.token.pk}),
    "api-me": Rule("login"),
    "api-tokens": Rule("login"),
    "api-token": Rule("own", method="delete", kwargs=lambda fx: {"pk": fx.token.pk}),
    "api-teams": Rule("login"),
    "api-team": Rule("team", kwargs=_team),
    "api-team-members": Rule("team", kwargs=_team),
    "api-team-member": Rule(
        "team_manage", method="patch", kwargs=lambda fx: {"slug": "acme", "pk": fx.target_membership.pk}
    ),
    "api-team-transfer-ownership": Rule("team_owner", method="post", kwargs=_team),
    "api-team-audit": Rule("team_audit", kwargs=_team),
    "api-team-invitations": Rule("team_manage", kwargs=_team),
    "api-invitation-revoke": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "pk": fx.invitation.pk}
    ),
    "api-invitation-resend": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "pk": fx.invitation.pk}
    ),
    "api-my-invitations": Rule("login"),
    "api-invitation-accept": Rule("login", method="post"),
    "api-namespaces": Rule("login"),
    "api-namespace": Rule("namespace", kwargs=_ns),
    "api-namespace-members": Rule("namespace", kwargs=_ns),
    "api-namespace-member": Rule(
        "namespace_admin",
        method="patch",
        kwargs=lambda fx: {"name": "acme-dev", "pk": fx.target_ns_membership.pk},
    ),
    # Runtime selection, quotas and usage (metering).
    "metering:namespace_usage": Rule("namespace", kwargs=_ns),
    "metering:namespace_runtime_policy": Rule("namespace_admin", method="post", kwargs=_ns),
    "metering:team_quota": Rule("team_or_staff", kwargs=_team),
    "domains:team_domains": Rule("team", kwargs=_team),
    "domains:domain_verify": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "pk": fx.domain.pk}
    ),
    "domains:domain_remove": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "pk": fx.domain.pk}
    ),
    "metering:team_quota_edit": Rule("staff", method="post", kwargs=_team),
    "metering:namespace_allocation": Rule(
        "team_manage", method="post", kwargs=lambda fx: {"slug": "acme", "name": "acme-dev"}
    ),
    "metering:quota_request_new": Rule("team", method="post", kwargs=_team),
    "metering:quota_request_decide": Rule(
        "team_manage_or_staff",
        method="post",
        kwargs=lambda fx: {"slug": "acme", "request_id": 1, "decision": "approve"},
    ),
    "metering:staff_capacity": Rule("staff"),
    "metering:staff_runtimes": Rule("staff"),
    "api-runtime-catalog": Rule("login"),
    "api-runtime-policy": Rule("namespace", kwargs=_ns),
    "api-usage-series": Rule("namespace", kwargs=_ns, query="?metric=cpu_usage"),
    "api-team-quota": Rule("team", kwargs=_team),
    "api-namespace-allocation": Rule(
        "team_manage", method="put", kwargs=lambda fx: {"slug": "acme", "name": "acme-dev"}
    ),
    "api-quota-requests": Rule("team", kwargs=_team),
    "api-quota-request-decide": Rule(
        "team_manage_or_staff",
        method="post",
        kwargs=lambda fx: {"slug": "acme", "request_id": 1, "decision": "approve"},
    ),
    # Cluster access, provisioning status and staff cluster pages.
    "access": Rule("login"),
    "access_kubeconfig": Rule("login"),
    "access_revoke": Rule("login"),
    "api-kubeconfig": Rule("login", method="post"),
    "api-kubeconfig-revoke": Rule("login", method="post"),
    "namespace_status": Rule("namespace", kwargs=_ns),
    "namespace_objects": Rule("namespace", kwargs=_ns),
    # Read from the cluster as the viewer; the emulator is not running here, so the page
    # shows the cluster's failure inside each section (200) to members and 404 to outsiders.
    "namespace_workloads": Rule("namespace", kwargs=_ns),
    "namespace_pod_logs": Rule("namespace", kwargs=lambda fx: {"name": "acme-dev", "pod": "web"}),
    "namespace_retry": Rule("namespace_admin", method="post", kwargs=_ns),
    "cluster_list": Rule("staff"),
    "cluster_new": Rule("staff"),
    "cluster_edit": Rule("staff", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "cluster_check": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "cluster_delete": Rule("staff", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "cluster_recheck": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "cluster_disable": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "cluster_enable": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.cluster.pk}),
    "team_placement": Rule("staff", kwargs=_team),
    "namespace_error_list": Rule("staff"),
    "staff_overview": Rule("staff"),
    "staff_team": Rule("staff", kwargs=_team),
    "staff_user_disable": Rule("staff", kwargs=lambda fx: {"pk": fx.member.pk}),
    "staff_team_settings": Rule("staff", method="post", kwargs=_team),
    "staff_trust_request_decide": Rule(
        "staff", method="post", kwargs=lambda fx: {"pk": fx.trust_request.pk, "decision": "deny"}
    ),
    "staff_user_enable": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.member.pk}),
    "namespace_error_retry": Rule("staff", method="post", kwargs=lambda fx: {"pk": fx.namespace.pk}),
    # Billing: the team's bills, finance across teams, staff price books and runs.
    "billing:team": Rule("billing_team", kwargs=_team),
    "billing:statement": Rule("billing_team", kwargs=lambda fx: {"slug": "acme", "pk": fx.statement.pk}),
    "billing:statement_csv": Rule("billing_team", kwargs=lambda fx: {"slug": "acme", "pk": fx.statement.pk}),
    "billing:finance_index": Rule("finance"),
    "billing:finance_teams": Rule("finance"),
    "billing:finance_team": Rule("finance", kwargs=_team),
    "billing:finance_statement": Rule("finance", kwargs=lambda fx: {"pk": fx.statement.pk}),
    "billing:finance_statement_csv": Rule("finance", kwargs=lambda fx: {"pk": fx.statement.pk}),
    "billing:finance_namespace": Rule(
        "finance", kwargs=lambda fx: {"pk": fx.statement.pk, "namespace_id": fx.namespace.pk}
    ),
    "billing:finance_charge": Rule("finance", kwargs=lambda fx: {"pk": fx.charge.pk}),
    "billing:finance_statement_paid": Rule(
        "finance", method="post", kwargs=lambda fx: {"pk": fx.statement.pk}
    ),
    "billing:finance_ledger_record": Rule("finance", method="post", kwargs=_team),
    "billing:pricebooks": Rule("staff"),
    "billing:pricebook_edit": Rule("staff", kwargs=lambda fx: {"pk": fx.book.pk}),
    "billing:runs": Rule("staff"),
    "billing-api:charges": Rule("billing_team", kwargs=_team),
    "billing-api:statements": Rule("billing_team", kwargs=_team),
    "billing-api:balance": Rule("billing_team", kwargs=_team),
    "billing-api:ledger": Rule("billing_team", kwargs=_team),
    "billing-api:finance-ledger": Rule("finance", method="post", kwargs=_team),
}

# Third-party and framework routes with their own access rules.
EXEMPT_PREFIXES = ("admin/", "accounts/", "static/", "__debug__/")


def _routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}"


def _console_routes():
    return sorted({(route, name) for route, name in _routes() if not route.startswith(EXEMPT_PREFIXES)})


def test_every_route_has_a_rule():
    missing = [f"{route} ({name})" for route, name in _console_routes() if name not in RULES]
    assert not missing, f"add a permission rule for: {missing}"


def _bill_one_day(world) -> None:
    """A statement with charge lines for acme, so finance pages have something to show."""
    day = timezone.now().date() - timezone.timedelta(days=2)
    start = datetime.combine(day, time.min, tzinfo=UTC)
    Team.objects.filter(pk=world.team.pk).update(created_at=start - timezone.timedelta(days=30))
    Namespace.objects.filter(pk=world.namespace.pk).update(created_at=start - timezone.timedelta(days=30))
    world.book = make_book()
    fill_day(world.namespace, start)
    days_bill(first=day, last=day, teams=[Team.objects.get(pk=world.team.pk)])
    world.statement = Statement.objects.get(team=world.team)
    world.charge = world.statement.lines.first()


@pytest.fixture
def fx(world):
    target = UserFactory(username="target")
    world.target_membership = TeamMembership.objects.create(team=world.team, user=target, role="member")
    world.target_ns_membership = NamespaceMembership.objects.create(
        namespace=world.namespace, user=target, role="viewer"
    )
    world.raw_token = "matrix-token"
    world.invitation = Invitation.objects.create(
        team=world.team,
        email="invitee@example.com",
        token_hash=hash_invitation_token(world.raw_token),
        expires_at=timezone.now() + timezone.timedelta(days=1),
        invited_by=world.owner,
    )
    world.token, _ = api_token_create(user=target, name="target's token")
    world.staff = world.admin
    world.trust_request = TrustLevelRequest.objects.create(
        team=world.team, requested_level="trusted", reason="we run the shop", requested_by=world.owner
    )
    _bill_one_day(world)
    world.cluster = Cluster.objects.create(name="second", kubeconfig_path="/nonexistent")
    world.domain = Domain.objects.create(team=world.team, name="acme.example.com", challenge="matrix")
    # Routes on the Domains tab and the namespace page, and one another team's namespace serves too.
    for namespace in (world.namespace, world.other_namespace):
        route_claims_record(
            namespace=namespace,
            claims=[Claim("shop.acme.example.com", "/", "Ingress", "web")],
            now=timezone.now(),
        )
    world.personas = {name: (None if name == "anonymous" else getattr(world, name)) for name in PERSONAS}
    return world


def _expected(rule: Rule, persona: str, is_api: bool) -> set[int] | str:
    allowed, forbidden = LEVELS[rule.level]
    if persona in allowed:
        return "allowed"
    if rule.level == "metrics_token":
        return {404}
    if persona == "anonymous":
        return {401} if is_api else {302}
    if persona in forbidden:
        return {403}
    return {404}


@pytest.mark.parametrize("name", sorted(RULES))
def test_route_refuses_everyone_the_rule_does_not_allow(client, fx, name):
    rule = RULES[name]
    url = reverse(name, kwargs=rule.kwargs(fx)) + rule.query
    is_api = url.startswith("/api/v1/")
    for persona, user in fx.personas.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        expected = _expected(rule, persona, is_api)
        if expected == "allowed" and rule.method != "get":
            continue  # writes by allowed personas are covered by each feature's own tests
        response = (
            getattr(client, rule.method)(url, content_type="application/json")
            if is_api
            else getattr(client, rule.method)(url)
        )
        if expected == "allowed":
            assert response.status_code in rule.ok, (
                f"{persona} {rule.method.upper()} {url}: {response.status_code}"
            )
        else:
            assert response.status_code in expected, (
                f"{persona} {rule.method.upper()} {url}: got {response.status_code}, expected {expected}"
            )
