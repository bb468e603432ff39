"""Selectors and forms of the staff overview: every team, namespace and user, searchable."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from billing.models import Band
from clusters.models import Cluster
from tenants.models import (
    AuditEvent,
    BillingMode,
    Namespace,
    NamespaceStatus,
    Team,
    TeamMembership,
    TrustLevel,
    TrustLevelRequest,
)

TABS = ("teams", "namespaces", "users")


def _choices(choices, any_label: str = "any") -> list[tuple[str, str]]:
    return [("", any_label), *choices]


class TeamFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Name or address")
    trust_level = forms.ChoiceField(required=False, choices=_choices(TrustLevel.choices), label="Trust level")
    billing_mode = forms.ChoiceField(required=False, choices=_choices(BillingMode.choices), label="Billing")
    plan = forms.CharField(required=False, max_length=30)
    band = forms.ChoiceField(required=False, choices=_choices(Band.choices), label="Balance")


class NamespaceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Namespace or team")
    status = forms.ChoiceField(required=False, choices=_choices(NamespaceStatus.choices))
    cluster = forms.ModelChoiceField(
        required=False, queryset=Cluster.objects.order_by("name"), empty_label="any"
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Email")
    state = forms.ChoiceField(
        required=False,
        choices=[("", "any"), ("active", "active"), ("disabled", "disabled"), ("staff", "staff")],
    )


class TeamStaffSettingsForm(forms.Form):
    trust_level = forms.ChoiceField(choices=TrustLevel.choices, label="Trust level")
    billing_mode = forms.ChoiceField(choices=BillingMode.choices, label="Billing mode")
    reason = forms.CharField(max_length=500, required=False, help_text="Goes into the team's audit log.")


class UserDisableForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Goes into the audit log."
    )


def staff_teams(
    *, q: str = "", trust_level: str = "", billing_mode: str = "", plan: str = "", band: str = ""
) -> QuerySet[Team]:
    teams = Team.objects.annotate(
        member_count=Count("memberships", distinct=True),
        namespace_count=Count(
            "namespaces", filter=~Q(namespaces__status=NamespaceStatus.DELETED), distinct=True
        ),
        balance=F("billing_account__balance"),
        band=F("billing_account__band"),
    )
    if q:
        teams = teams.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    if trust_level:
        teams = teams.filter(trust_level=trust_level)
    if billing_mode:
        teams = teams.filter(billing_mode=billing_mode)
    if plan:
        teams = teams.filter(plan=plan)
    if band:
        teams = teams.filter(billing_account__band=band)
    return teams.order_by("name")


def staff_namespaces(*, q: str = "", status: str = "", cluster: Cluster | None = None) -> QuerySet[Namespace]:
    namespaces = Namespace.objects.live().select_related("team", "cluster", "provisioning")
    if q:
        namespaces = namespaces.filter(Q(name__icontains=q) | Q(team__name__icontains=q))
    if status:
        namespaces = namespaces.filter(status=status)
    if cluster is not None:
        namespaces = namespaces.filter(cluster=cluster)
    return namespaces.order_by("name")


def staff_users(*, q: str = "", state: str = ""):
    users = get_user_model().objects.annotate(team_count=Count("team_memberships"))
    if q:
        users = users.filter(email__icontains=q)
    if state == "active":
        users = users.filter(is_active=True)
    elif state == "disabled":
        users = users.filter(is_active=False)
    elif state == "staff":
        users = users.filter(is_staff=True)
    return users.order_by("email")


def staff_team(*, slug: str) -> Team:
    return get_object_or_404(Team.objects.select_related("billing_account"), slug=slug)


def staff_team_members(*, team: Team) -> QuerySet[TeamMembership]:
    return TeamMembership.objects.filter(team=team).select_related("user").order_by("user__email")


def staff_team_namespaces(*, team: Team) -> QuerySet[Namespace]:
    return (
        Namespace.objects.live().filter(team=team).select_related("cluster", "provisioning").order_by("name")
    )


def staff_team_audit(*, team: Team, limit: int = 20) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(team=team).order_by("-created_at", "-id")[:limit])


def staff_user(*, pk: int):
    return get_object_or_404(get_user_model(), pk=pk)


def staff_trust_request(*, pk: int) -> TrustLevelRequest:
    return get_object_or_404(TrustLevelRequest.objects.select_related("team"), pk=pk)
