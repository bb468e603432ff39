"""A team's Domains tab: the subdomain it owns by construction, custom domains to add and verify,
which namespaces route to which hosts, and host+paths another namespace serves too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import add_service_errors
from core.http import HtmxHttpRequest
from core.pages import redirect_to, render_page
from domains import selectors, services
from domains.forms import DomainForm
from domains.models import Domain
from domains.routes import ACCEPTED
from tenants import permissions
from tenants.selectors import team_for_user


def _page(request: HtmxHttpRequest, team, form: DomainForm | None = None) -> HttpResponse:
    can_manage = permissions.has_team_perm(request.user, permissions.MANAGE_NAMESPACES, team)
    routes = selectors.team_routes(team=team)
    context = {
        "team": team,
        "subdomains": selectors.team_subdomains(team),
        "domains": selectors.team_domains(team=team),
        "routes": routes,
        "accepted": ACCEPTED,
        "conflicts": selectors.team_route_conflicts(team=team, claims=routes, viewer=request.user),
        "can_manage": can_manage,
        "form": (form or DomainForm()) if can_manage else None,
    }
    return render_page(request, "domains/team_domains.html", context, partials=["domains"])


@login_required
def team_domains(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        return _page(request, team_for_user(user=request.user, slug=slug))
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_NAMESPACES)
    form = DomainForm(request.POST)
    if form.is_valid():
        try:
            domain = services.domain_add(actor=request.user, team=team, name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(domain)s added. Publish the TXT record below, then verify.") % {"domain": domain.name},
            )
            return redirect_to(request, reverse("domains:team_domains", args=[team.slug]))
    return _page(request, team, form)


def _domain(request: HtmxHttpRequest, slug: str, pk: int) -> Domain:
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_NAMESPACES)
    return get_object_or_404(Domain.objects.select_related("team"), pk=pk, team=team)


@login_required
@require_POST
def domain_verify(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    domain = _domain(request, slug, pk)
    if services.domain_verify(actor=request.user, domain=domain):
        messages.success(
            request,
            _("%(domain)s is verified: routes may use it and its subdomains.") % {"domain": domain.name},
        )
    else:
        domain.refresh_from_db()
        messages.error(
            request,
            _("%(domain)s is not verified yet. %(last_check_error)s")
            % {"domain": domain.name, "last_check_error": domain.last_check_error},
        )
    return redirect_to(request, reverse("domains:team_domains", args=[slug]))


@login_required
@require_POST
def domain_remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    domain = _domain(request, slug, pk)
    if request.POST.get("confirm_name", "").strip().lower() != domain.name:
        messages.error(request, _("Type %(domain)s to confirm removing it.") % {"domain": domain.name})
    else:
        services.domain_remove(actor=request.user, domain=domain)
        messages.success(
            request,
            _("%(domain)s removed; routes using it will be refused from now on.") % {"domain": domain.name},
        )
    return redirect_to(request, reverse("domains:team_domains", args=[slug]))
