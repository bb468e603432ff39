"""Namespace pages: create, the overview (status, runtime, quota), access with members, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clusters.forms import KubeconfigForm
from clusters.kubeconfigs import KUBECONFIG_FILENAME, kubeconfig_limit_for_user
from clusters.placement import team_placement
from core.errors import add_service_errors
from core.http import HtmxHttpRequest
from core.pages import paginate, redirect_to, render_page
from domains.routes import ACCEPTED
from domains.selectors import namespace_routes
from metering.runtime_selection import namespace_runtime
from metering.selectors import namespace_quota_bars
from namespaces.services import namespace_create as create_service
from namespaces.services import namespace_delete as delete_service
from namespaces.services import team_delete as team_delete_service
from tenants import permissions, selectors
from tenants.forms import (
    ConfirmNameForm,
    NamespaceCreateForm,
    NamespaceMemberAddForm,
    NamespaceRoleForm,
    TeamDeleteForm,
)
from tenants.models import NamespaceRole
from tenants.services.memberships import namespace_membership_remove, namespace_membership_set


def _role_label(role: str | None) -> str:
    return str(NamespaceRole(role).label) if role else ""


@login_required
def namespace_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_NAMESPACES)
    placement = team_placement(team=team)
    form = NamespaceCreateForm(request.POST or None, clusters=placement.allowed, default=placement.default)
    if request.method == "POST" and form.is_valid():
        try:
            namespace = create_service(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Namespace %(namespace)s is being provisioned.") % {"namespace": namespace.name}
            )
            return redirect_to(request, reverse("namespace_detail", args=[namespace.name]))
    template = "tenants/namespace_form.html#namespace-form" if request.htmx else "tenants/namespace_form.html"
    return render(request, template, {"team": team, "namespace_form": form})


def namespace_access_context(request: HtmxHttpRequest, namespace, add_form=None) -> dict:
    """The Access tab: who has a role here, and the kubeconfig that reaches it."""
    can_admin = permissions.has_namespace_perm(request.user, permissions.ADMIN_NAMESPACE, namespace)
    context = {
        "namespace": namespace,
        "team": namespace.team,
        "my_role": _role_label(permissions.namespace_role(request.user, namespace)),
        "can_admin": can_admin,
        "members": paginate(request, selectors.namespace_members(namespace=namespace)),
        "role_choices": NamespaceRole.choices,
        "kubeconfig_form": KubeconfigForm(limit=kubeconfig_limit_for_user(user=request.user)),
        "kubeconfig_filename": KUBECONFIG_FILENAME,
    }
    if can_admin:
        candidates = selectors.team_members_outside_namespace(namespace=namespace)
        context["add_form"] = add_form or NamespaceMemberAddForm(candidates=candidates)
    return context


@login_required
def namespace_detail(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """The Overview tab: live provisioning status, the runtime in use, the quota bars and routes."""
    # The quota and the cluster's metering state come in the namespace's query, which the quota
    # bars and the runtime selection read instead of three queries of their own.
    namespace = selectors.namespace_for_user(
        user=request.user,
        name=name,
        related=("provisioning", "runtime_policy", "quota", "cluster__metering_state"),
    )
    context = {
        "namespace": namespace,
        "team": namespace.team,
        "my_role": _role_label(permissions.namespace_role(request.user, namespace)),
        "can_delete": permissions.has_team_perm(request.user, permissions.MANAGE_NAMESPACES, namespace.team),
        "selection": namespace_runtime(namespace),
        "bars": namespace_quota_bars(namespace=namespace),
        "routes": namespace_routes(namespace=namespace),
        "accepted": ACCEPTED,
    }
    return render(request, "tenants/namespace_detail.html", context)


@login_required
def namespace_access(request: HtmxHttpRequest, name: str) -> HttpResponse:
    namespace = selectors.namespace_for_user(user=request.user, name=name)
    return render_page(
        request,
        "tenants/namespace_access.html",
        namespace_access_context(request, namespace),
        partials=["ns-members"],
    )


@login_required
def namespace_member_add(request: HtmxHttpRequest, name: str) -> HttpResponse:
    namespace = selectors.namespace_for_user(user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE)
    candidates = selectors.team_members_outside_namespace(namespace=namespace)
    form = NamespaceMemberAddForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            namespace_membership_set(
                actor=request.user, namespace=namespace, user=member.user, role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s was added to %(namespace)s.")
                % {"email": member.user.email, "namespace": namespace.name},
            )
            return redirect_to(request, reverse("namespace_access", args=[namespace.name]))
    template = "tenants/namespace_member_form.html"
    return render(
        request,
        f"{template}#ns-member-form" if request.htmx else template,
        {"namespace": namespace, "team": namespace.team, "add_form": form},
    )


@login_required
def namespace_member_role(request: HtmxHttpRequest, name: str, membership_id: int) -> HttpResponse:
    """GET confirms (the no-JS path), POST changes; htmx gets the member's row back."""
    namespace = selectors.namespace_for_user(user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE)
    membership = selectors.namespace_membership_for_user(namespace=namespace, membership_id=membership_id)
    form = NamespaceRoleForm(request.POST or request.GET or None, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        membership = namespace_membership_set(
            actor=request.user, namespace=namespace, user=membership.user, role=form.cleaned_data["role"]
        )
        if not request.htmx:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display()},
            )
            return redirect_to(request, reverse("namespace_access", args=[namespace.name]))
    if request.htmx:
        context = {
            "namespace": namespace,
            "m": membership,
            "can_admin": True,
            "role_choices": NamespaceRole.choices,
            "row_errors": form.errors.get("role", []),
            "row_status": _("Role changed.") if form.is_bound and form.is_valid() else "",
        }
        return render(request, "tenants/namespace_access.html#ns-member-row", context)
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": namespace.team,
            "namespace": namespace,
            "form": form,
            "button": _("Change role"),
            "title": _("Change the role of %(email)s in %(namespace)s")
            % {"email": membership.user.email, "namespace": namespace.name},
            "question": _("%(email)s is %(role)s in %(namespace)s now.")
            % {
                "email": membership.user.email,
                "role": membership.get_role_display(),
                "namespace": namespace.name,
            },
            "cancel_url": reverse("namespace_access", args=[namespace.name]),
        },
    )


@login_required
def namespace_member_remove(request: HtmxHttpRequest, name: str, membership_id: int) -> HttpResponse:
    namespace = selectors.namespace_for_user(user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE)
    membership = selectors.namespace_membership_for_user(namespace=namespace, membership_id=membership_id)
    if request.method == "POST":
        namespace_membership_remove(actor=request.user, membership=membership)
        messages.success(
            request,
            _("%(email)s was removed from %(namespace)s.")
            % {"email": membership.user.email, "namespace": namespace.name},
        )
        return redirect_to(request, reverse("namespace_access", args=[namespace.name]))
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": namespace.team,
            "namespace": namespace,
            "button": _("Remove from namespace"),
            "danger": True,
            "title": _("Remove %(email)s from %(namespace)s")
            % {"email": membership.user.email, "namespace": namespace.name},
            "question": _("They stay in the team but lose their RoleBinding in this namespace."),
            "cancel_url": reverse("namespace_access", args=[namespace.name]),
        },
    )


@login_required
def namespace_delete(request: HtmxHttpRequest, name: str) -> HttpResponse:
    namespace = selectors.namespace_for_user(user=request.user, name=name)
    permissions.require_team_perm(request.user, permissions.MANAGE_NAMESPACES, namespace.team)
    form = ConfirmNameForm(request.POST or None, expected=namespace.name)
    if request.method == "POST" and form.is_valid():
        delete_service(actor=request.user, namespace=namespace)
        messages.success(
            request,
            _("Namespace %(namespace)s is being deleted with everything in it.")
            % {"namespace": namespace.name},
        )
        return redirect_to(request, reverse("team_detail", args=[namespace.team.slug]))
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": namespace.team,
            "namespace": namespace,
            "form": form,
            "button": _("Delete namespace"),
            "danger": True,
            "title": _("Delete namespace %(namespace)s") % {"namespace": namespace.name},
            "question": _(
                "Every workload, volume and secret in it is deleted from the cluster. This cannot be undone."
            ),
            "cancel_url": reverse("namespace_detail", args=[namespace.name]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_OWNERS)
    form = TeamDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team_delete_service(actor=request.user, team=team, confirm_slug=form.cleaned_data["confirm_slug"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(team)s is deleted; its namespaces are being removed from the cluster.")
                % {"team": team.name},
            )
            return redirect("dashboard")
    context = {"team": team, "form": form, "live_namespaces": selectors.team_live_namespace_count(team=team)}
    return render(request, "tenants/team_delete.html", context, status=400 if form.errors else 200)
