"""Changing a team member's role and removing members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import add_service_errors
from core.http import HtmxHttpRequest
from core.pages import redirect_to
from tenants import permissions, selectors
from tenants.forms import MemberRoleForm, team_role_choices
from tenants.services.memberships import membership_remove, membership_set_role


@login_required
def member_role(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    """GET confirms the change (the no-JS path); POST makes it. htmx gets the member's row back."""
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
    membership = selectors.team_membership(team=team, membership_id=membership_id)
    form = MemberRoleForm(request.POST or request.GET or None, user=request.user, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_set_role(
                actor=request.user, membership=membership, role=form.cleaned_data["role"]
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(
                    request,
                    _("%(email)s is now %(role)s.")
                    % {"email": membership.user.email, "role": membership.get_role_display()},
                )
                return redirect_to(request, reverse("team_detail", args=[team.slug]))
    if request.htmx:
        return render(
            request, "tenants/team_detail.html#member-row", _row_context(request, team, membership, form)
        )
    return render(request, "tenants/confirm.html", _role_confirm_context(team, membership, form))


def _row_context(request: HtmxHttpRequest, team, membership, form) -> dict:
    saved = form.is_bound and form.is_valid()
    return {
        "team": team,
        "m": membership,
        "can_manage": True,
        "can_manage_owners": permissions.has_team_perm(request.user, permissions.MANAGE_OWNERS, team),
        "role_choices": team_role_choices(request.user, team),
        "row_errors": form.non_field_errors() + form.errors.get("role", []) if form.errors else [],
        "row_status": f"Role changed to {membership.get_role_display()}." if saved else "",
    }


def _role_confirm_context(team, membership, form) -> dict:
    return {
        "team": team,
        "title": _("Change the role of %(email)s") % {"email": membership.user.email},
        "question": _("%(email)s is %(role)s of %(team)s now.")
        % {"email": membership.user.email, "role": membership.get_role_display(), "team": team.name},
        "form": form,
        "button": _("Change role"),
        "cancel_url": reverse("team_detail", args=[team.slug]),
    }


@login_required
def member_remove(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
    membership = selectors.team_membership(team=team, membership_id=membership_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            membership_remove(actor=request.user, membership=membership)
        except (ValidationError, PermissionDenied) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        else:
            messages.success(
                request,
                _("%(email)s was removed from %(team)s.")
                % {"email": membership.user.email, "team": team.name},
            )
            return redirect_to(request, reverse("team_detail", args=[team.slug]))
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": team,
            "title": _("Remove %(email)s") % {"email": membership.user.email},
            "question": _("%(email)s loses access to %(team)s and all of its namespaces.")
            % {"email": membership.user.email, "team": team.name},
            "errors": errors,
            "button": _("Remove member"),
            "danger": True,
            "cancel_url": reverse("team_detail", args=[team.slug]),
        },
    )
