from django.conf import settings
from django.http import HttpRequest

from tenants.permissions import is_finance, is_staff

# The navigation section of a page, by view name; a trailing "*" matches a prefix. The first
# section that matches wins (staff pages first: "namespace_error_*" is not a namespace page).
# Pages not listed (sign-in, errors) highlight nothing.
NAV_SECTIONS = {
    "admin": (
        "staff_*",
        "cluster_*",
        "namespace_error_*",
        "metering:staff_*",
        "billing:pricebook*",
        "billing:runs",
    ),
    "dashboard": ("dashboard",),
    "teams": (
        "team_*",
        "member_*",
        "invitation_create",
        "invitation_revoke",
        "invitation_resend",
        "namespace_*",
        "metering:namespace_*",
        "metering:team_quota*",
        "metering:quota_request*",
        "billing:team",
        "billing:statement*",
    ),
    "access": ("access*",),
    "tokens": ("token_*",),
    "account": ("account_*", "mfa_*", "preferences"),
    "finance": ("billing:finance_*",),
}


def _matches(view_name: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return view_name.startswith(pattern[:-1])
    return view_name == pattern


def nav_section(view_name: str) -> str:
    """The navigation section of ``view_name`` (``"teams"``, ``"admin"`` …), or ``""``."""
    for section, patterns in NAV_SECTIONS.items():
        if any(_matches(view_name, pattern) for pattern in patterns):
            return section
    return ""


def console(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    view_name = match.view_name if match else ""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "KUBE_EMULATED": bool(settings.KUBE_EMULATOR_URL),
        "NAV_VIEW": view_name,
        "NAV_SECTION": nav_section(view_name),
        # Asked of the permission module, like every other access decision; IS_FINANCE is a
        # callable, so its group lookup runs only on pages that render the navigation.
        "IS_STAFF": user is not None and is_staff(user),
        "IS_FINANCE": lambda: user is not None and is_finance(user),
    }
