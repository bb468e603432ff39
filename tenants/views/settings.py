"""Team settings for owners: name, billing time zone, trust level request (deleting the team
is in the namespaces app, which deletes its namespaces)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import add_service_errors
from core.http import HtmxHttpRequest
from tenants import permissions, selectors
from tenants.forms import TeamRenameForm, TeamTimeZoneForm, TrustRequestForm
from tenants.services import teams as team_services


def _settings_page(request: HtmxHttpRequest, team, status: int = 200, **forms) -> HttpResponse:
    context = {
        "team": team,
        "rename_form": forms.get("rename_form") or TeamRenameForm(initial={"name": team.name}),
        "time_zone_form": forms.get("time_zone_form")
        or TeamTimeZoneForm(initial={"time_zone": team.time_zone}),
        "trust_form": forms.get("trust_form") or TrustRequestForm(),
        "trust_request": selectors.pending_trust_request(team=team),
        "live_namespaces": selectors.team_live_namespace_count(team=team),
    }
    return render(request, "tenants/team_settings.html", context, status=status)


def _owner_team(request: HtmxHttpRequest, slug: str):
    return selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_OWNERS)


@login_required
@require_GET
def team_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _settings_page(request, _owner_team(request, slug))


def _settings_post(request: HtmxHttpRequest, slug: str, form_class, key: str, apply, success) -> HttpResponse:
    """One settings form: valid and accepted by its service → a message and back to the page;
    otherwise the page again (400) with the form's errors in place."""
    team = _owner_team(request, slug)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            apply(team, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success(team))
            return redirect("team_settings", slug=team.slug)
    return _settings_page(request, team, status=400, **{key: form})


@login_required
@require_POST
def team_rename(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _settings_post(
        request,
        slug,
        TeamRenameForm,
        "rename_form",
        lambda team, data: team_services.team_rename(actor=request.user, team=team, name=data["name"]),
        lambda team: _("The team is now called %(team)s.") % {"team": team.name},
    )


@login_required
@require_POST
def team_time_zone(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _settings_post(
        request,
        slug,
        TeamTimeZoneForm,
        "time_zone_form",
        lambda team, data: team_services.team_time_zone_set(
            actor=request.user,
            team=team,
            time_zone=data["time_zone"].strip(),
            now=timezone.now(),
            confirmed=data["confirm"],
        ),
        lambda team: _("The billing day now follows %(time_zone)s.") % {"time_zone": team.time_zone},
    )


@login_required
@require_POST
def team_trust_request(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if request.POST.get("withdraw"):
        team = _owner_team(request, slug)
        team_services.trust_request_withdraw(actor=request.user, team=team)
        messages.success(request, _("Your request was withdrawn."))
        return redirect("team_settings", slug=team.slug)
    return _settings_post(
        request,
        slug,
        TrustRequestForm,
        "trust_form",
        lambda team, data: team_services.trust_request_create(
            actor=request.user, team=team, reason=data["reason"]
        ),
        lambda team: _("Staff will look at your request."),
    )
