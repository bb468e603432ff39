"""Pages for cluster access (every user), namespace provisioning state, and clusters (staff)."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from clusters import selectors
from clusters.bootstrap import cluster_bootstrap_check
from clusters.forms import ClusterForm, KubeconfigForm, TeamPlacementForm
from clusters.kube.errors import KubeError
from clusters.kube.spec import platform_settings_from_django
from clusters.kubeconfigs import (
    KUBECONFIG_FILENAME,
    ClusterAccessError,
    kubeconfig_issue,
    kubeconfig_limit,
    kubeconfig_tokens_revoke,
)
from clusters.placement import team_placement
from clusters.provisioning import desired_objects, namespace_retry_provisioning
from clusters.services import (
    cluster_check_connectivity,
    cluster_create,
    cluster_delete,
    cluster_set_enabled,
    cluster_update,
    team_placement_set,
)
from clusters.yamltext import dump_plain
from core.http import HtmxHttpRequest
from core.pages import paginate, render_page
from tenants import permissions
from tenants.models import NamespaceStatus
from tenants.selectors import namespace_for_user


def staff_required(view: Callable) -> Callable:
    """Signed-in staff only; everyone else is told the page does not exist."""

    @login_required
    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        permissions.require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper


# --- Access: kubeconfigs and token revocation ---------------------------------------------------
def _access_page(
    request: HtmxHttpRequest,
    overview: selectors.AccessOverview,
    form: KubeconfigForm,
    *,
    error: str = "",
    status: int = 200,
):
    context = {
        "clusters": overview.clusters,
        "namespaces": paginate(
            request, overview.namespaces, param="namespaces_page", count=overview.namespaces.count
        ),
        "form": form,
        "error": error,
        "first_namespace": overview.first_namespace,
        "kubeconfig_filename": KUBECONFIG_FILENAME,
    }
    return render(request, "clusters/access.html", context, status=status)


@login_required
@require_GET
def access(request: HtmxHttpRequest) -> HttpResponse:
    overview = selectors.access_overview(user=request.user)
    return _access_page(request, overview, KubeconfigForm(limit=kubeconfig_limit(overview.clusters)))


@login_required
@require_http_methods(["GET", "POST"])
def access_kubeconfig(request: HtmxHttpRequest) -> HttpResponse:
    overview = selectors.access_overview(user=request.user)
    data = request.POST if request.method == "POST" else None
    form = KubeconfigForm(data, limit=kubeconfig_limit(overview.clusters))
    if not form.is_valid():
        return _access_page(request, overview, form)
    try:
        issued = kubeconfig_issue(user=request.user, hours=form.cleaned_data["hours"])
    except ValidationError as exc:
        form.add_error(None, exc)
        return _access_page(request, overview, form)
    except ClusterAccessError as exc:
        return _access_page(request, overview, form, error=str(exc), status=503)
    response = HttpResponse(issued.text, content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="{KUBECONFIG_FILENAME}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def access_revoke(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "clusters/access_revoke.html", {})
    result = kubeconfig_tokens_revoke(user=request.user)
    if result.failed:
        failures = "; ".join(f"{name}: {message}" for name, message in result.failed.items())
        messages.error(
            request,
            _("Tokens could not be revoked on some clusters (%(failures)s). Try again later.")
            % {"failures": failures},
        )
    else:
        messages.success(request, _("Every kubeconfig token issued to you has been revoked."))
    return redirect("access")


# --- Namespace provisioning state -------------------------------------------------------------
@login_required
@require_GET
def namespace_status(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """The status page; htmx polls get the ``namespace-status`` fragment, and 286 once it is final."""
    try:
        namespace = namespace_for_user(user=request.user, name=name, related=("provisioning",))
    except Http404:
        if not request.htmx:
            raise
        # A poll outlived its namespace (deleted): stop polling rather than fetch a 404 every 2 s.
        return HttpResponseStopPolling(render_to_string("clusters/_namespace_gone.html"))
    if not request.htmx:
        return render(request, "clusters/namespace_status.html", {"namespace": namespace})
    response = render(request, "clusters/_namespace_status.html", {"namespace": namespace})
    if namespace.status in selectors.IN_PROGRESS_STATUSES:
        return response
    return HttpResponseStopPolling(response.content)


@login_required
@require_POST
def namespace_retry(request: HtmxHttpRequest, name: str) -> HttpResponse:
    namespace = namespace_for_user(user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE)
    if namespace.status == NamespaceStatus.ERROR:
        namespace_retry_provisioning(actor=request.user, namespace=namespace)
        namespace.refresh_from_db()
    if request.htmx:
        return render(request, "clusters/_namespace_status.html", {"namespace": namespace})
    messages.success(
        request, _("Provisioning of %(namespace)s will be retried.") % {"namespace": namespace.name}
    )
    return redirect("namespace_status", name=namespace.name)


@login_required
@require_GET
def namespace_objects(request: HtmxHttpRequest, name: str) -> HttpResponse:
    namespace = namespace_for_user(user=request.user, name=name)
    objects = desired_objects(namespace, platform_settings_from_django(settings))
    manifests = "---\n".join(dump_plain(obj) for obj in objects)
    context = {"namespace": namespace, "manifests": manifests, "bindings": None, "bindings_error": ""}
    # Who can reach the namespace, as the cluster says: for the people who manage its access.
    if permissions.has_namespace_perm(request.user, permissions.ADMIN_NAMESPACE, namespace):
        try:
            context["bindings"] = selectors.namespace_role_bindings(namespace=namespace)
        except KubeError as exc:
            context["bindings_error"] = str(exc)
    return render(request, "clusters/namespace_objects.html", context)


# --- Staff: clusters and failed namespaces -----------------------------------------------------
@staff_required
@require_GET
def cluster_list(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        "clusters": selectors.clusters_with_usage(),
        "console_max_token_hours": settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS,
    }
    return render(request, "clusters/cluster_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def cluster_new(request: HtmxHttpRequest) -> HttpResponse:
    form = ClusterForm(request.POST or None)
    if form.is_valid():
        try:
            cluster = cluster_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Cluster %(cluster)s added. Check its connectivity next.") % {"cluster": cluster.name},
            )
            return redirect("cluster_list")
    return render(request, "clusters/cluster_form.html", {"form": form, "cluster": None})


@staff_required
@require_http_methods(["GET", "POST"])
def cluster_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_for_staff(pk=pk)
    fields = (
        "name",
        "api_url",
        "kubeconfig_path",
        "context",
        "is_default",
        "max_token_hours",
        "placement_trust_levels",
        "placement_plans",
        "apps_domain",
    )
    initial = {f: getattr(cluster, f) for f in fields}
    stored = bool(cluster.kubeconfig_encrypted)
    form = ClusterForm(request.POST or None, initial=initial, has_stored_kubeconfig=stored)
    if form.is_valid():
        try:
            cluster_update(actor=request.user, cluster=cluster, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Cluster %(cluster)s saved.") % {"cluster": cluster.name})
            return redirect("cluster_list")
    return render(request, "clusters/cluster_form.html", {"form": form, "cluster": cluster, "stored": stored})


@staff_required
@require_POST
def cluster_check(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_check_connectivity(cluster=selectors.cluster_for_staff(pk=pk))
    if request.htmx:
        row = selectors.clusters_with_usage(pk=cluster.pk)[0]
        context = {"cluster": row, "console_max_token_hours": settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS}
        return render(request, "clusters/cluster_list.html#cluster-row", context)
    if cluster.reachable:
        messages.success(
            request,
            _("%(cluster)s answered: Kubernetes %(server_version)s.")
            % {"cluster": cluster.name, "server_version": cluster.server_version},
        )
    elif cluster.credentials_rejected:
        messages.error(
            request,
            _("%(cluster)s rejected the console's credentials: %(error)s")
            % {"cluster": cluster.name, "error": cluster.last_error},
        )
    else:
        messages.error(
            request,
            _("%(cluster)s is not reachable: %(last_error)s")
            % {"cluster": cluster.name, "last_error": cluster.last_error},
        )
    return redirect("cluster_list")


@staff_required
@require_POST
def cluster_enable(request: HtmxHttpRequest, pk: int, enabled: bool) -> HttpResponse:
    """Disable (no new namespaces; those there stay) or enable a cluster again."""
    cluster = selectors.cluster_for_staff(pk=pk)
    try:
        cluster_set_enabled(actor=request.user, cluster=cluster, enabled=enabled)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = (
            _("Cluster %(name)s enabled.")
            if enabled
            else _("Cluster %(name)s disabled: it takes no new namespaces.")
        )
        messages.success(request, done % {"name": cluster.name})
    return redirect("cluster_list")


@staff_required
@require_http_methods(["GET", "POST"])
def cluster_recheck(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Staff: read the cluster's bootstrap objects now and restore what is missing or changed."""
    cluster = selectors.cluster_for_staff(pk=pk)
    if request.method == "POST":
        result = cluster_bootstrap_check(cluster=cluster, actor=request.user)
        if result.error:
            messages.error(
                request, _("%(cluster)s: %(error)s") % {"cluster": cluster.name, "error": result.error}
            )
        elif result.restored:
            done = _("%(cluster)s: restored %(objects)s; %(count)s namespace(s) are reconciled again.")
            messages.success(
                request,
                done
                % {
                    "cluster": cluster.name,
                    "objects": ", ".join(result.restored),
                    "count": result.namespaces,
                },
            )
        else:
            messages.success(
                request, _("%(cluster)s: every bootstrap object is in place.") % {"cluster": cluster.name}
            )
        return redirect("cluster_list")
    context = {
        "title": _("Re-check cluster %(cluster)s") % {"cluster": cluster.name},
        "question": _(
            "The console reads its once-per-cluster objects on %(cluster)s (system namespace, "
            "ClusterRoles, admission policies) and restores those that are missing or changed. "
            "Objects it did not create are left alone. If anything is restored, every namespace on "
            "the cluster is reconciled again."
        )
        % {"cluster": cluster.name},
        "button": _("Re-check now"),
        "cancel_url": reverse("cluster_list"),
    }
    return render(request, "tenants/confirm.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def team_placement_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_staff(slug=slug)
    current = selectors.team_placement_for_staff(team=team)
    initial = {"clusters": list(current.clusters.all()), "default": current.default} if current else {}
    form = TeamPlacementForm(
        request.POST or None, initial=initial, clusters=selectors.clusters_for_placement()
    )
    if form.is_valid():
        try:
            team_placement_set(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Placement of %(team)s saved.") % {"team": team.name})
            return redirect("team_placement", slug=team.slug)
    context = {"team": team, "form": form, "placement": team_placement(team=team)}
    return render(request, "clusters/team_placement.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def cluster_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_for_staff(pk=pk)
    error = ""
    if request.method == "POST":
        try:
            cluster_delete(actor=request.user, cluster=cluster)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Cluster %(cluster)s removed.") % {"cluster": cluster.name})
            return redirect("cluster_list")
    return render(request, "clusters/cluster_confirm_delete.html", {"cluster": cluster, "error": error})


@staff_required
@require_GET
def namespace_error_list(request: HtmxHttpRequest) -> HttpResponse:
    page = paginate(request, selectors.namespaces_in_error())
    return render_page(
        request, "clusters/namespace_errors.html", {"page": page}, partials=["namespace-errors"]
    )


@staff_required
@require_POST
def namespace_error_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    namespace = selectors.namespace_for_staff(pk=pk)
    if namespace.status == NamespaceStatus.ERROR:
        namespace_retry_provisioning(actor=request.user, namespace=namespace)
        messages.success(
            request, _("Provisioning of %(namespace)s will be retried.") % {"namespace": namespace.name}
        )
    return redirect("namespace_error_list")
