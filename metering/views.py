"""Pages: namespace usage and runtime, team quota and requests, staff capacity and runtimes."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import add_service_errors, message_service_errors
from core.html import text as escape
from core.pages import paginate
from core.urls import row_urls, urls
from metering import selectors
from metering.forms import (
    AmountsForm,
    DecisionForm,
    QuotaRequestForm,
    RuntimePolicyForm,
    RuntimeProfileForm,
    TeamQuotaForm,
)
from metering.runtime_selection import namespace_runtime, runtime_policy_of
from metering.services.discovery import unknown_runtime_classes
from metering.services.quotas import (
    namespace_quota_set,
    quota_request_approve,
    quota_request_create,
    quota_request_deny,
    team_quota_set,
)
from metering.services.runtime import PROFILE_FIELDS, namespace_runtime_policy_set, runtime_profile_update
from metering.templatetags.metering_tags import AmountsWords, amounts_text_in
from tenants import permissions
from tenants.models import Team
from tenants.selectors import namespace_for_user, team_for_user, team_namespace, team_namespaces_for_user

GPU_QUOTA_WARNING = (
    "This namespace's quota holds no GPUs, so pods asking for one will be refused. "
    "Ask for GPUs with a quota request."
)


@login_required
@require_GET
def namespace_usage(request: HttpRequest, name: str) -> HttpResponse:
    namespace = namespace_for_user(
        user=request.user, name=name, related=("runtime_policy", "quota", "cluster__metering_state")
    )
    policy = runtime_policy_of(namespace)
    may_edit_policy = permissions.has_namespace_perm(request.user, permissions.ADMIN_NAMESPACE, namespace)
    usage = selectors.namespace_usage(
        namespace=namespace, range_key=request.GET.get("range", "24h"), now=timezone.now()
    )
    url = urls()  # the page's links at a fraction of what {% url %} costs each
    context = {
        "namespace": namespace,
        "usage": usage,
        "quota_url": url("metering:team_quota", namespace.team.slug),
        "policy_url": url("metering:namespace_runtime_policy", namespace.name),
        "selection": namespace_runtime(namespace),
        "lacks_gpu_quota": selectors.namespace_lacks_gpu_quota(namespace=namespace),
        "may_edit_policy": may_edit_policy,
        "policy_form": RuntimePolicyForm.unbound_html(
            min_isolation=policy.min_isolation, needs_gpu=policy.needs_gpu
        )
        if may_edit_policy
        else "",
        "ranges": list(selectors.RANGES),
    }
    return render(request, "metering/namespace_usage.html", context)


@login_required
@require_POST
def namespace_runtime_policy(request: HttpRequest, name: str) -> HttpResponse:
    namespace = namespace_for_user(user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE)
    form = RuntimePolicyForm(request.POST)
    if form.is_valid():
        try:
            selection = namespace_runtime_policy_set(
                actor=request.user,
                namespace=namespace,
                min_isolation=form.cleaned_data["min_isolation"],
                needs_gpu=form.cleaned_data["needs_gpu"],
            )
            messages.success(
                request,
                _("Runtime policy saved; new pods default to %(chosen)s.") % {"chosen": selection.chosen},
            )
            if selectors.namespace_lacks_gpu_quota(namespace=namespace, needs_gpu=selection.needs_gpu):
                messages.warning(request, GPU_QUOTA_WARNING)
        except ValidationError as exc:
            message_service_errors(request, exc)
    else:  # only a crafted request offers a choice the form has not
        messages.error(request, form.errors.as_text())
    return redirect("metering:namespace_usage", name=namespace.name)


@dataclass(frozen=True)
class AllocationRowsHtml:
    """The allocation table's rows as its ``{% for %}`` loop drew them (whitespace included):
    the rows before the one being edited, and after it; the template draws that one, a form."""

    before: SafeString
    after: SafeString


def _allocation_rows_html(
    rows: list[selectors.AllocationRow], editing, *, may_manage: bool, page_number: int, words: AmountsWords
) -> AllocationRowsHtml:
    """Each row's namespace (a link to its usage), its allocation and, for those who may
    manage, a link to edit it; about a tenth of the template's cost. Names are DNS labels,
    escaped all the same as ``{{ name }}`` escapes them."""
    if not rows:
        empty = escape(_("No namespaces yet"))
        colspan = "3" if may_manage else "2"
        return AllocationRowsHtml(
            SafeString(f'\n  \n    <tr><td colspan="{colspan}" class="empty">{empty}</td></tr>\n  '),
            SafeString(""),
        )
    edit = escape(_("Edit"))
    parts: list[list[str]] = [["\n  "], []]
    part = parts[0]
    for row in rows:
        if row is editing:
            part.append("\n    ")
            part = parts[1]
            part.append("\n  ")
            continue
        name = escape(row.namespace.name)
        actions = (
            f'<td class="actions"><a href="?allocations={page_number}&amp;edit={name}#allocation-{name}">'
            f'{edit}<span class="visually-hidden"> · {name}</span></a></td>'
            if may_manage
            else ""
        )
        part.append(
            f'\n    \n    <tr class="allocation" id="allocation-{name}"><th scope="row">'
            f'<a href="{escape(row.usage_url)}">{name}</a></th><td>{words.line(row.amounts)}</td>'
            f"{actions}</tr>\n    \n  "
        )
    return AllocationRowsHtml(SafeString("".join(parts[0])), SafeString("".join(parts[1])))


def _quota_facts_html(team: Team, overview: selectors.QuotaOverview, network, totals: dict) -> SafeString:
    """The team quota's facts (the ``<dl class="facts">`` of ``team_quota.html``): its totals,
    namespaces, the plan's bandwidth and gateways, as the template drew them (whitespace
    included; ``metering/tests/test_quota_rows_html.py`` keeps that template to compare); its
    fourteen tags cost about 100 µs. Words escaped as ``{% translate %}`` escapes them; the
    sentences, as ``{% blocktranslate %}`` fills them, escape only what they are filled with."""
    words = {
        key: escape(text)
        for key, text in (
            ("quota", _("Team quota")),
            ("allocated", _("Allocated")),
            ("remaining", _("Remaining")),
            ("namespaces", _("Namespaces")),
            ("bandwidth", _("Bandwidth per pod")),
            ("gateways", _("Gateways")),
            ("none", _("none")),
        )
    }
    count = _("%(count)s of %(max)s") % {
        "count": str(int(overview.namespace_count)),
        "max": str(int(overview.team_quota.max_namespaces)),
    }
    bandwidth = _("out %(egress)s, in %(ingress)s") % {
        "egress": escape(network.egress),
        "ingress": escape(network.ingress),
    }
    plan = _("plan %(plan)s; shaped where the cluster's network plugin honours it") % {
        "plan": escape(team.plan)
    }
    gateways = ", ".join(escape(gateway) for gateway in network.gateways) or words["none"]
    return SafeString(
        f"\n  <dt>{words['quota']}</dt><dd>{totals['limit']}</dd>"
        f"\n  <dt>{words['allocated']}</dt><dd>{totals['allocated']}</dd>"
        f'\n  <dt>{words["remaining"]}</dt><dd id="remaining">{totals["remaining"]}</dd>'
        f"\n  <dt>{words['namespaces']}</dt><dd>{count}</dd>"
        f'\n  <dt>{words["bandwidth"]}</dt><dd id="plan-bandwidth">{bandwidth} <span class="muted">({plan})</span></dd>'
        f"\n  <dt>{words['gateways']}</dt><dd>{gateways}</dd>\n"
    )


def _team_quota_page(
    request: HttpRequest, team: Team, *, team_quota_form: TeamQuotaForm | None = None
) -> HttpResponse:
    overview = selectors.team_quota_overview(team=team, user=request.user)
    may_manage = permissions.has_team_perm(request.user, permissions.MANAGE_NAMESPACES, team)
    # One page of namespaces at a time, each a line; the one chosen with ?edit= is a form.
    allocations = paginate(
        request, selectors.allocation_page(overview, team), param="allocations", count=overview.visible_count
    )
    rows = selectors.allocation_rows_of_values(allocations.object_list)
    usage_url = row_urls("metering:namespace_usage")
    for row in rows:
        row.usage_url = usage_url(row.namespace.name)
    editing = next(
        (row for row in rows if may_manage and row.namespace.name == request.GET.get("edit")), None
    )
    words = AmountsWords()  # the page's amounts each a line of text, its sentences translated once
    totals = {
        "limit": amounts_text_in(overview.limit, words),
        "allocated": amounts_text_in(overview.allocated, words),
        "remaining": amounts_text_in(overview.remaining, words),
    }
    context = {
        "team": team,
        "overview": overview,
        "totals": totals,
        "facts": _quota_facts_html(team, overview, selectors.plan_network_figures(team=team), totals),
        "may_manage": may_manage,
        "allocations": allocations,
        "allocation_rows": _allocation_rows_html(
            rows, editing, may_manage=may_manage, page_number=allocations.number, words=words
        ),
        "editing": editing,
        "allocation_form": AmountsForm(initial_amounts=editing.amounts, prefix=editing.namespace.name)
        if editing
        else None,
        "requests": selectors.quota_requests_page(team=team, user=request.user, remaining=overview.remaining),
        # The namespaces of this page of allocations: a team with thousands would otherwise
        # send a select of thousands; the one to ask for is found by paging the table above.
        "request_fields": QuotaRequestForm.unbound_html(row.namespace for row in rows)
        if permissions.can_see_team(request.user, team) and rows
        else None,
    }
    if permissions.has_team_perm(request.user, permissions.SET_TEAM_QUOTA, team):
        context["team_quota_form"] = team_quota_form or TeamQuotaForm(
            initial_amounts=overview.limit,
            initial={"max_namespaces": overview.team_quota.max_namespaces},
            prefix="team",
        )
    return render(request, "metering/team_quota.html", context)


@login_required
@require_GET
def team_quota(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_for_user(user=request.user, slug=slug, perm=permissions.VIEW_QUOTA, related=("quota",))
    return _team_quota_page(request, team)


@login_required
@require_POST
def team_quota_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Staff set the team quota; below the team's allocations is refused field by field."""
    team = team_for_user(user=request.user, slug=slug, perm=permissions.SET_TEAM_QUOTA)
    form = TeamQuotaForm(request.POST, prefix="team")
    if form.is_valid():
        try:
            team_quota_set(
                actor=request.user,
                team=team,
                amounts=form.cleaned_data["amounts"],
                max_namespaces=form.cleaned_data["max_namespaces"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Team quota of %(team)s saved.") % {"team": team.name})
            return redirect("metering:team_quota", slug=team.slug)
    return _team_quota_page(request, team, team_quota_form=form)


@login_required
@require_POST
def namespace_allocation(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_NAMESPACES)
    namespace = team_namespace(team=team, name=name)
    form = AmountsForm(request.POST, prefix=namespace.name)
    if form.is_valid():
        try:
            namespace_quota_set(actor=request.user, namespace=namespace, amounts=form.cleaned_data["amounts"])
            messages.success(request, _("Allocation of %(namespace)s saved.") % {"namespace": namespace.name})
        except ValidationError as exc:
            message_service_errors(request, exc)
    else:
        messages.error(request, f"{namespace.name}: {form.errors.as_text()}")
    return redirect("metering:team_quota", slug=team.slug)


@login_required
@require_POST
def quota_request_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_for_user(user=request.user, slug=slug)
    # Only the namespace asked for is read: the form offered one page of the team's namespaces.
    # A name with a NUL is no namespace's, and PostgreSQL refuses to compare text holding one.
    name = request.POST.get("namespace", "")
    namespaces = (
        []
        if "\x00" in name
        else list(team_namespaces_for_user(user=request.user, team=team).filter(name=name))
    )
    form = QuotaRequestForm(request.POST, namespaces=namespaces)
    if form.is_valid():
        namespace = namespaces[0]
        try:
            created = quota_request_create(
                actor=request.user,
                namespace=namespace,
                increments=form.cleaned_data["amounts"],
                reason=form.cleaned_data["reason"],
            )
            sent = (
                _("Request #%(number)s sent: a cluster admin decides.")
                if created.needs_staff
                else _("Request #%(number)s sent: the team's owners and managers decide.")
            )
            messages.success(request, sent % {"number": created.pk})
        except ValidationError as exc:
            message_service_errors(request, exc)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("metering:team_quota", slug=team.slug)


@login_required
@require_POST
def quota_request_decide(request: HttpRequest, slug: str, request_id: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "deny"):
        raise Http404("Unknown decision.")
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_QUOTA)
    quota_request = selectors.team_quota_request(team=team, request_id=request_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "approve":
            quota_request_approve(actor=request.user, quota_request=quota_request, note=note)
        else:
            quota_request_deny(actor=request.user, quota_request=quota_request, note=note)
        messages.success(
            request,
            (
                _("Request #%(number)s approved.")
                if decision == "approve"
                else _("Request #%(number)s denied.")
            )
            % {"number": quota_request.pk},
        )
    except ValidationError as exc:
        message_service_errors(request, exc)
    if request.POST.get("next") == "staff":
        return redirect("metering:staff_capacity")
    return redirect("metering:team_quota", slug=team.slug)


@login_required
@require_GET
def staff_capacity(request: HttpRequest) -> HttpResponse:
    permissions.require_staff(request.user)
    context = {
        "rows": selectors.capacity_by_cluster(),
        "requests": list(selectors.staff_quota_requests()[:50]),
    }
    return render(request, "metering/staff_capacity.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def staff_runtimes(request: HttpRequest) -> HttpResponse:
    permissions.require_staff(request.user)
    if request.method == "POST":
        profile = selectors.runtime_profile(pk=request.POST.get("profile"))
        form = RuntimeProfileForm(
            request.POST, instance=selectors.runtime_profile(pk=profile.pk), prefix=profile.name
        )
        if form.is_valid():
            changes = {k: form.cleaned_data[k] for k in form.changed_data if k in PROFILE_FIELDS}
            runtime_profile_update(actor=request.user, profile=profile, **changes)
            messages.success(request, f"{profile.name} saved.")
            return redirect("metering:staff_runtimes")
        messages.error(request, form.errors.as_text())
    catalog = list(selectors.runtime_catalog())
    context = {
        "forms": [(p, RuntimeProfileForm(instance=p, prefix=p.name)) for p in catalog],
        "capacity": selectors.capacity_by_cluster(),
        "unknown": unknown_runtime_classes(),
    }
    return render(request, "metering/staff_runtimes.html", context)
