"""Team pages: list, create, the team page itself, audit log, leaving and ownership transfer."""

from collections.abc import Iterable
from dataclasses import dataclass

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
from core.pages import local_day, paginate, redirect_to, render_page
from core.translations import per_language
from core.urls import row_urls, urls
from tenants import permissions, selectors
from tenants.forms import (
    AuditFilterForm,
    TeamCreateForm,
    TransferOwnershipForm,
)
from tenants.models import NamespaceStatus
from tenants.services.memberships import membership_remove, ownership_transfer
from tenants.services.teams import team_create as team_create_service
from tenants.views.members import MEMBER_ROW_FIELDS, member_labels, member_rows, member_rows_html

# What the team page's namespace table shows.
NAMESPACE_ROW_FIELDS = (
    "name",
    "display_name",
    "status",
    "created_at",
    "cluster__name",
    "cluster__reachable",
)


@dataclass  # not frozen: a frozen dataclass costs three times as much to make, on each row
class NamespaceRow:
    """A line of the team page's namespace table, with its links and labels worked out."""

    name: str
    display_name: str
    status: str
    status_label: str
    created: str
    cluster_name: str
    cluster_unreachable: bool
    detail_url: str
    usage_url: str


@per_language
def _namespace_words() -> tuple[dict[str, str], str, str]:
    """The namespace table's words: each status's label, the usage link's and the unreachable
    cluster's."""
    statuses = {value: str(label) for value, label in NamespaceStatus.choices}
    return statuses, _("Usage"), _("%(cluster)s unreachable")


def namespace_rows(namespaces: Iterable[dict]) -> list[NamespaceRow]:
    """Rows of ``namespaces`` (dicts of ``NAMESPACE_ROW_FIELDS``)."""
    statuses = _namespace_words()[0]
    detail_url, usage_url = row_urls("namespace_detail"), row_urls("metering:namespace_usage")
    zone = get_current_timezone()
    return [
        NamespaceRow(
            name=ns["name"],
            display_name=ns["display_name"],
            status=ns["status"],
            status_label=statuses.get(ns["status"], ns["status"]),  # a status no longer known shows as stored
            created=local_day(ns["created_at"], zone),
            cluster_name=ns["cluster__name"],
            cluster_unreachable=ns["cluster__reachable"] is False,
            detail_url=detail_url(ns["name"]),
            usage_url=usage_url(ns["name"]),
        )
        for ns in namespaces
    ]


def namespace_rows_html(rows: Iterable[NamespaceRow]) -> SafeString:
    """The namespace table's rows as its ``{% for %}`` loop drew them (whitespace included),
    about a tenth of the template's cost; each value escaped as ``{{ value }}`` escapes it,
    the link words translated once for the table."""
    _statuses, usage, unreachable = _namespace_words()
    usage = escape(usage)
    parts = []
    for row in rows:
        name = escape(row.name)
        cluster = (
            f' <span class="badge badge-error">{unreachable % {"cluster": escape(row.cluster_name)}}</span>'
            if row.cluster_unreachable
            else ""
        )
        parts.append(
            f"""
    <tr>
      <td><a href="{escape(row.detail_url)}"><code>{name}</code></a></td>
      <td>{escape(row.display_name)}</td>
      <td><span class="badge badge-{escape(row.status)}">{escape(row.status_label)}</span>{cluster}</td>
      <td>{escape(row.created)}</td>
      <td class="actions"><a href="{escape(row.usage_url)}">{usage}<span class="visually-hidden"> · {name}</span></a></td>
    </tr>
    """
        )
    return SafeString("".join(parts))


def team_actions_html(user, team, *, can_manage_owners: bool) -> SafeString:
    """The team page's buttons beside its name, as ``tenants/_team_actions.html`` drew them
    (the team header shows them, ``console_tags.team_header``); the words are not escaped, as
    ``{% translate %}`` did not escape them."""
    slug, url_of = team.slug, urls()
    transfer = placement = ""
    if can_manage_owners:
        label = _("Transfer ownership")
        transfer = f'<a class="btn" href="{escape(url_of("team_transfer", slug))}">{label}</a>'
    if permissions.is_staff(user):
        label = _("Cluster placement")
        placement = f'<a class="btn" href="{escape(url_of("team_placement", slug))}">{label}</a>'
    label = _("Leave team")
    leave = f'<a class="btn" href="{escape(url_of("team_leave", slug))}">{label}</a>'
    return SafeString(f"{transfer}\n{leave}\n{placement}\n")


@login_required
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    teams = paginate(request, selectors.teams_for_user(user=request.user))
    return render_page(request, "tenants/team_list.html", {"teams": teams}, partials=["teams"])


@login_required
def team_create(request: HtmxHttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create_service(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Team %(team)s created. Create a namespace or invite people next.") % {"team": team.name},
            )
            return redirect_to(request, reverse("team_detail", args=[team.slug]))
    return render_page(request, "tenants/team_form.html", {"form": form}, partials=["team-form"])


def team_page_context(request: HtmxHttpRequest, team) -> dict:
    """Everything the team page shows; the management parts only for owners and managers.
    ``team`` as ``selectors.team_for_user(counted=True)`` gives it, with its counts.

    Inviting and creating a namespace are buttons to their own pages: their forms list every
    namespace of the team and every cluster it may use, which the page would draw on each
    visit for the rare one that invites or creates.
    """
    user = request.user
    can_manage = permissions.has_team_perm(user, permissions.MANAGE_MEMBERS, team)
    can_manage_owners = permissions.has_team_perm(user, permissions.MANAGE_OWNERS, team)
    visible, count = selectors.team_namespace_rows_for_user(user=user, team=team, fields=NAMESPACE_ROW_FIELDS)
    namespaces = paginate(request, visible, param="namespaces_page", count=count)
    members = paginate(
        request,
        selectors.team_member_rows(team=team, fields=MEMBER_ROW_FIELDS),
        param="members_page",
        count=team.counted_members,
    )
    url_of = urls()
    context = {
        "team": team,
        "my_role": permissions.team_role(user, team),
        "can_manage": can_manage,
        "can_manage_namespaces": permissions.has_team_perm(user, permissions.MANAGE_NAMESPACES, team),
        "can_manage_owners": can_manage_owners,
        "actions_html": team_actions_html(user, team, can_manage_owners=can_manage_owners),
        "can_view_audit": permissions.has_team_perm(user, permissions.VIEW_AUDIT, team),
        "members": members,
        "member_rows_html": member_rows_html(
            member_rows(user, team, members), member_labels(), can_manage=can_manage
        ),
        "namespaces": namespaces,
        "namespace_rows_html": namespace_rows_html(namespace_rows(namespaces)),
        "new_namespace_url": url_of("namespace_create", team.slug),
        "invite_url": url_of("invitation_create", team.slug),
    }
    if can_manage:
        context["invitations"] = paginate(
            request,
            selectors.team_pending_invitation_pages(team=team),
            param="invitations_page",
            count=team.counted_pending_invitations,
        )
    return context


@login_required
def team_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, counted=True)
    context = team_page_context(request, team)
    # The invitations' part only for those the page shows it to (others asking get the page).
    invitations = ["invitations"] if context["can_manage"] else []
    return render_page(
        request, "tenants/team_detail.html", context, partials=["members", "namespaces", *invitations]
    )


@login_required
def team_audit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.VIEW_AUDIT)
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.team_audit_events(
        team=team, action=filters.get("action", ""), actor=filters.get("actor", "")
    )
    context = {"team": team, "form": form, "events": paginate(request, events)}
    return render_page(request, "tenants/team_audit.html", context, partials=["audit-events"])


@login_required
def team_leave(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug)
    membership = selectors.own_team_membership(user=request.user, team=team)
    errors: list[str] = []
    if request.method == "POST":
        try:
            membership_remove(actor=request.user, membership=membership)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("You left %(team)s.") % {"team": team.name})
            return redirect_to(request, reverse("dashboard"))
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": team,
            "title": _("Leave %(team)s") % {"team": team.name},
            "question": _("You will lose access to %(team)s and all of its namespaces.")
            % {"team": team.name},
            "button": _("Leave team"),
            "errors": errors,
            "cancel_url": reverse("team_detail", args=[team.slug]),
        },
    )


@login_required
def team_transfer(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_OWNERS)
    candidates = selectors.transferable_memberships(user=request.user, team=team)
    form = TransferOwnershipForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            ownership_transfer(actor=request.user, team=team, new_owner=form.cleaned_data["member"])
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ownership transferred. You are now a manager of this team."))
            return redirect_to(request, reverse("team_detail", args=[team.slug]))
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": team,
            "title": _("Transfer ownership of %(team)s") % {"team": team.name},
            "question": _("The member you choose becomes an owner and you become a manager."),
            "form": form,
            "button": _("Transfer ownership"),
            "cancel_url": reverse("team_detail", args=[team.slug]),
        },
    )
