"""Changing a team member's role and removing members, and the member table's rows."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext as _

from core.errors import add_service_errors
from core.html import text as escape
from core.http import HtmxHttpRequest
from core.pages import local_day, redirect_to
from core.translations import per_language
from core.urls import row_urls
from tenants import permissions, selectors
from tenants.forms import MemberRoleForm, team_role_choices, team_role_labels
from tenants.models import Team, TeamMembership
from tenants.services.memberships import membership_remove, membership_set_role

# What a member row reads of its membership (``values()``: no model instances to build).
MEMBER_ROW_FIELDS = ("pk", "user_id", "team_id", "role", "created_at", "user__email")


@dataclass  # not frozen: a frozen dataclass costs three times as much to make, on each row
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


@per_language
def _member_words() -> tuple[dict[str, str], str]:
    """The words every member row repeats."""
    return {"change": _("Change…"), "remove": _("Remove"), "you": _("(you)")}, _("Role of %(email)s")


def member_labels() -> dict[str, str]:
    """The words every member row repeats."""
    return dict(_member_words()[0])


class _Membership(NamedTuple):
    """What ``permissions.may_manage_member`` reads of a membership (``MembershipFacts``), from a
    ``values()`` row."""

    user_id: int
    team_id: int
    role: str


def member_rows(user, team: Team, memberships: Iterable[TeamMembership | dict]) -> list[MemberRow]:
    """The rows of ``memberships`` as ``user`` sees them on the team page: memberships with
    their users loaded, or ``values(*MEMBER_ROW_FIELDS)`` dicts."""
    choices = team_role_choices(user, team)
    options = {
        current: SafeString(
            "".join(
                f'<option value="{escape(value)}"{" selected" if value == current else ""}>{escape(label)}</option>'
                for value, label in choices
            )
        )
        for current, _label in choices
    }
    labels = team_role_labels()
    role_url, remove_url = row_urls("member_role", team.slug), row_urls("member_remove", team.slug)
    field_label = _member_words()[1]
    zone = get_current_timezone()
    rows = []
    for m in memberships:
        if isinstance(m, TeamMembership):
            m = {
                "pk": m.pk,
                "user_id": m.user_id,
                "team_id": m.team_id,
                "role": m.role,
                "created_at": m.created_at,
                "user__email": m.user.email,
            }
        email, role = m["user__email"], m["role"]
        rows.append(
            MemberRow(
                pk=str(m["pk"]),
                email=email,
                is_me=m["user_id"] == user.pk,
                role_label=labels.get(role, role),  # a role no longer offered shows as stored
                role_field_label=field_label % {"email": email},
                joined=local_day(m["created_at"], zone),
                may_manage=permissions.may_manage_member(user, _Membership(m["user_id"], m["team_id"], role)),
                role_url=role_url(m["pk"]),
                remove_url=remove_url(m["pk"]),
                role_options=options.get(role, SafeString()),
            )
        )
    return rows


def member_row_html(
    row: MemberRow, labels: dict[str, str], *, can_manage: bool, status: str = "", errors: Iterable[str] = ()
) -> SafeString:
    """The member row as the page draws it, with the outcome of an htmx change (``status`` and
    ``errors``) under the role: the HTML the ``{% partialdef member-row %}`` template drew
    (whitespace included), about a tenth of its cost. Every value but the role options is
    escaped as ``{{ value }}`` escapes it."""
    pk, role_url = escape(row.pk), escape(row.role_url)
    you = f' <span class="muted">{escape(labels["you"])}</span>' if row.is_me else ""
    if row.may_manage:
        role = f"""
        <form method="get" action="{role_url}" class="inline"
              hx-post="{role_url}" hx-trigger="change" hx-target="#member-row-{pk}" hx-swap="outerHTML">
          <label class="visually-hidden" for="role-{pk}">{escape(row.role_field_label)}</label>
          <select id="role-{pk}" name="role">
            {row.role_options}
          </select>
          <noscript><button type="submit" class="btn btn-small">{escape(labels["change"])}</button></noscript>
        </form>
        """
    else:
        role = escape(row.role_label)
    status_html = f'<span class="row-status" role="status">{escape(status)}</span>' if status else ""
    errors = list(errors)
    errors_html = (
        '<span class="row-error" role="alert">' + "".join(f"{escape(e)} " for e in errors) + "</span>"
        if errors
        else ""
    )
    actions = ""
    if can_manage:
        remove = (
            f'<a href="{escape(row.remove_url)}">{escape(labels["remove"])}</a>' if row.may_manage else ""
        )
        actions = f"""
      <td class="actions">
        {remove}
      </td>
      """
    return SafeString(
        f"""
    <tr id="member-row-{pk}">
      <td>{escape(row.email)}{you}</td>
      <td>
        {role}
        {status_html}
        {errors_html}
      </td>
      <td>{escape(row.joined)}</td>
      {actions}
    </tr>
    """
    )


def member_rows_html(rows: Iterable[MemberRow], labels: dict[str, str], *, can_manage: bool) -> SafeString:
    """The member table's rows as its ``{% for %}`` loop around the row partial drew them."""
    return SafeString(
        "".join(f"\n    {member_row_html(row, labels, can_manage=can_manage)}\n    " for row in rows)
    )


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
    row = member_rows(request.user, team, [membership])[0]
    errors = form.non_field_errors() + form.errors.get("role", []) if form.errors else []
    status = _("Role changed to %(role)s.") % {"role": membership.get_role_display()} if saved else ""
    return {
        "team": team,
        "row_html": member_row_html(row, member_labels(), can_manage=True, status=status, errors=errors),
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
