"""Changing a team member's role and removing members, and the member table's rows."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.errors import add_service_errors
from core.http import HtmxHttpRequest
from core.pages import local_day, redirect_to
from core.urls import row_urls
from tenants import permissions, selectors
from tenants.forms import MemberRoleForm, team_role_choices
from tenants.models import Team, TeamMembership
from tenants.services.memberships import membership_remove, membership_set_role


@dataclass(frozen=True)
class MemberRow:
    """A line of the team page's member table, worked out in Python: its links, whether the
    viewer may change it, and the role ``<option>``s with its role selected, drawn once per
    role for the whole table rather than by a loop, two ``{% url %}`` and a filter per row."""

    pk: str  # as it goes into ids and URLs: never grouped by a thousands separator
    email: str
    is_me: bool
    role_label: str
    role_field_label: str
    joined: str
    may_manage: bool
    role_url: str
    remove_url: str
    role_options: SafeString


def member_labels() -> dict[str, str]:
    """The words every member row repeats, translated once for the table."""
    return {"change": _("Change…"), "remove": _("Remove")}


def member_rows(user, team: Team, memberships: Iterable[TeamMembership]) -> list[MemberRow]:
    """The rows of ``memberships`` (their users loaded) as ``user`` sees them on the team page."""
    choices = team_role_choices(user, team)
    options = {
        current: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, mark_safe(" selected") if value == current else "", label) for value, label in choices),
        )
        for current, _label in choices
    }
    role_url, remove_url = row_urls("member_role", team.slug), row_urls("member_remove", team.slug)
    field_label = _("Role of %(email)s")  # translated once for the table, not on each row
    return [
        MemberRow(
            pk=str(m.pk),
            email=m.user.email,
            is_me=m.user_id == user.pk,
            role_label=m.get_role_display(),
            role_field_label=field_label % {"email": m.user.email},
            joined=local_day(m.created_at),
            may_manage=permissions.may_manage_member(user, m),
            role_url=role_url(m.pk),
            remove_url=remove_url(m.pk),
            role_options=options.get(m.role, SafeString()),
        )
        for m in memberships
    ]


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
        "row": member_rows(request.user, team, [membership])[0],
        "member_labels": member_labels(),
        "can_manage": True,
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
