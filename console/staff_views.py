"""Staff pages: the overview of every team, namespace and user, a team's staff view, and
disabling an account. Everyone else gets 404, as for any page that is not theirs."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import staff
from core.http import HtmxHttpRequest
from core.pages import paginate, render_page
from tenants.permissions import require_staff
from tenants.selectors import pending_trust_request
from tenants.services.accounts import user_disable, user_enable
from tenants.services.teams import team_billing_mode_set, team_trust_level_set, trust_request_decide

FILTERS = {
    "teams": staff.TeamFilterForm,
    "namespaces": staff.NamespaceFilterForm,
    "users": staff.UserFilterForm,
}
ROWS: dict[str, Callable[..., QuerySet]] = {
    "teams": staff.staff_teams,
    "namespaces": staff.staff_namespaces,
    "users": staff.staff_users,
}


@login_required
@require_GET
def staff_overview(request: HtmxHttpRequest) -> HttpResponse:
    require_staff(request.user)
    tab = request.GET.get("tab", "teams")
    tab = tab if tab in staff.TABS else "teams"
    form = FILTERS[tab](request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = paginate(request, ROWS[tab](**{k: v for k, v in filters.items() if v}))
    context = {"tab": tab, "tabs": staff.TABS, "form": form, "rows": rows}
    return render_page(request, "console/staff_overview.html", context, partials=["overview-results"])


@login_required
@require_GET
def staff_team(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    require_staff(request.user)
    team = staff.staff_team(slug=slug)
    return _staff_team_page(request, team)


def _staff_team_page(request: HtmxHttpRequest, team, form=None, status: int = 200) -> HttpResponse:
    initial = {"trust_level": team.trust_level, "billing_mode": team.billing_mode}
    context = {
        "team": team,
        "settings_form": form or staff.TeamStaffSettingsForm(initial=initial),
        "trust_request": pending_trust_request(team=team),
        "members": staff.staff_team_members(team=team),
        "namespaces": staff.staff_team_namespaces(team=team),
        "events": staff.staff_team_audit(team=team),
    }
    return render(request, "console/staff_team.html", context, status=status)


@login_required
@require_POST
def staff_team_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Staff set what only staff decide: the trust level and the billing mode (both audited)."""
    require_staff(request.user)
    team = staff.staff_team(slug=slug)
    form = staff.TeamStaffSettingsForm(request.POST)
    if not form.is_valid():
        return _staff_team_page(request, team, form, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        team_trust_level_set(
            actor=request.user, team=team, trust_level=data["trust_level"], reason=data["reason"]
        )
        team_billing_mode_set(
            actor=request.user, team=team, billing_mode=data["billing_mode"], reason=data["reason"]
        )
    messages.success(
        request, f"{team.name}: {team.get_trust_level_display()}, {team.get_billing_mode_display()}."
    )
    return redirect("staff_team", slug=team.slug)


@login_required
@require_POST
def staff_trust_request_decide(request: HtmxHttpRequest, pk: int, decision: str) -> HttpResponse:
    require_staff(request.user)
    trust_request = staff.staff_trust_request(pk=pk)
    if decision not in ("approve", "deny"):
        return HttpResponseBadRequest("The decision is approve or deny.")
    try:
        trust_request_decide(actor=request.user, trust_request=trust_request, approve=decision == "approve")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Request of {trust_request.team.name} {decision}d.")
    return redirect("staff_team", slug=trust_request.team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def staff_user_disable(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user)
    person = staff.staff_user(pk=pk)
    form = staff.UserDisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = user_disable(actor=request.user, user=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{person.email} is disabled; their access is removed from {count} namespaces on the next apply.",
            )
            return redirect(reverse("staff_overview") + "?tab=users")
    context = {
        "title": f"Disable {person.email}",
        "question": (
            "They can no longer sign in; their sessions and API tokens stop working now, and their "
            "access to namespaces is removed on the next apply. Nothing of their teams is deleted."
        ),
        "button": "Disable account",
        "danger": True,
        "form": form,
        "cancel_url": reverse("staff_overview") + "?tab=users",
    }
    return render(request, "tenants/confirm.html", context)


@login_required
@require_POST
def staff_user_enable(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user)
    person = staff.staff_user(pk=pk)
    user_enable(actor=request.user, user=person)
    messages.success(request, f"{person.email} can sign in again.")
    return redirect(reverse("staff_overview") + "?tab=users")
