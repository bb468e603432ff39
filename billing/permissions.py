"""Who may see billing beyond their own teams.

Team billing pages follow ``tenants.permissions`` (VIEW_BILLING: owners, managers, the
billing role; 404 to outsiders, 403 to members without the role). Finance pages are for
the "finance" group and staff; staff pages for staff. Anyone else gets **404** on both, so
their existence is not disclosed (the same choice the team pages make for outsiders).
"""

from django.http import Http404

FINANCE_GROUP = "finance"


def is_finance(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    cached = getattr(user, "_tenantry_is_finance", None)
    if cached is None:
        cached = user.groups.filter(name=FINANCE_GROUP).exists()
        user._tenantry_is_finance = cached
    return cached


def require_finance(user) -> None:
    if not is_finance(user):
        raise Http404("No such page.")
