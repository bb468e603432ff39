"""The main pages of the console on the demo data, per persona: what the browser tests visit."""

from django.urls import reverse

from billing.models import Statement
from tenants.models import Namespace, Team

PERSONAS = ("manager", "developer", "finance", "admin")


def main_pages(cast) -> dict[str, list[tuple[str, str]]]:
    """(label, path) per persona, on the demo data; ``signed out`` has no session."""
    platform = Team.objects.get(slug="platform")
    personal = Team.objects.get(is_personal=True, memberships__user=cast["developer"])
    namespace = Namespace.objects.live().get(name="platform-dev")
    statement = Statement.objects.filter(team=platform).order_by("-month").first()
    assert statement is not None, "the demo data has no statement for the platform team"
    charge = statement.lines.filter(namespace=namespace).first()
    assert charge is not None, "the demo statement has no line for platform-dev"
    name, slug = namespace.name, platform.slug
    return {
        "manager": [
            ("dashboard", reverse("dashboard")),
            ("team list", reverse("team_list")),
            ("team page", reverse("team_detail", args=[slug])),
            ("invite someone", reverse("invitation_create", args=[slug])),
            ("new namespace", reverse("namespace_create", args=[slug])),
            ("team audit", reverse("team_audit", args=[slug])),
            ("namespace overview", reverse("namespace_detail", args=[name])),
            ("namespace usage", reverse("metering:namespace_usage", args=[name]) + "?range=7d"),
            ("namespace objects", reverse("namespace_objects", args=[name])),
            ("namespace access", reverse("namespace_access", args=[name])),
            ("namespace workloads", reverse("namespace_workloads", args=[name])),
            ("team settings", reverse("team_settings", args=[slug])),
            ("team quota", reverse("metering:team_quota", args=[slug])),
            ("team billing", reverse("billing:team", args=[slug])),
            ("statement", reverse("billing:statement", args=[slug, statement.pk])),
            ("2FA", reverse("mfa_index")),
            ("2FA activation (asks for the password first)", reverse("mfa_activate_totp")),
        ],
        "developer": [
            ("dashboard", reverse("dashboard")),
            ("access", reverse("access")),
            ("API tokens", reverse("token_list")),
            ("namespace overview", reverse("namespace_detail", args=[name])),
            ("prepaid billing", reverse("billing:team", args=[personal.slug])),
        ],
        "finance": [
            ("finance home", reverse("dashboard")),
            ("finance index", reverse("billing:finance_index")),
            ("finance statement", reverse("billing:finance_statement", args=[statement.pk])),
            ("finance namespace", reverse("billing:finance_namespace", args=[statement.pk, namespace.pk])),
            ("finance line", reverse("billing:finance_charge", args=[charge.pk])),
        ],
        "admin": [
            ("staff home", reverse("dashboard")),
            ("admin overview: teams", reverse("staff_overview")),
            ("admin overview: namespaces", reverse("staff_overview") + "?tab=namespaces"),
            ("admin overview: users", reverse("staff_overview") + "?tab=users"),
            ("staff team view", reverse("staff_team", args=[slug])),
            ("clusters", reverse("cluster_list")),
            ("failed namespaces", reverse("namespace_error_list")),
            ("capacity", reverse("metering:staff_capacity")),
            ("runtimes", reverse("metering:staff_runtimes")),
            ("price book", reverse("billing:pricebooks")),
            ("bill runs", reverse("billing:runs")),
        ],
        "signed out": [
            ("login", reverse("account_login")),
            ("signup", reverse("account_signup")),
        ],
    }
