"""The Workloads tab: what runs in a namespace and pod logs, read with the viewer's identity."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clusters import workloads
from clusters.kube.errors import KubeError
from core.http import HtmxHttpRequest
from tenants.selectors import namespace_for_user

FOLLOW_SECONDS = 2


@login_required
@require_GET
def namespace_workloads(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """Every section's first page; ``?section=KEY&continue=TOKEN`` pages one section (htmx: only it)."""
    namespace = namespace_for_user(user=request.user, name=name)
    key, token = request.GET.get("section", ""), request.GET.get("continue", "")
    if key and key not in workloads.SECTIONS_BY_KEY:
        return HttpResponseBadRequest(f"Unknown section {key!r}.")
    sections = [workloads.SECTIONS_BY_KEY[key]] if key and request.htmx else workloads.SECTIONS
    pages = [
        workloads.section_page(
            user=request.user,
            namespace=namespace,
            section=section,
            limit=settings.TENANTRY_PAGE_SIZE,
            continue_token=token if section.key == key else "",
        )
        for section in sections
    ]
    context = {
        "namespace": namespace,
        "pages": pages,
        "snippet": workloads.first_deployment_snippet(namespace.name),
    }
    if key and request.htmx:
        return render(
            request, "clusters/namespace_workloads.html#workload-section", {**context, "page": pages[0]}
        )
    template = "clusters/namespace_workloads.html" + ("#workloads" if request.htmx else "")
    return render(request, template, {**context, "empty": workloads.nothing_runs(pages)})


@login_required
@require_GET
def namespace_pod_logs(request: HtmxHttpRequest, name: str, pod: str) -> HttpResponse:
    """The tail of one container's log; with ``follow=1`` the fragment re-polls every 2 s."""
    namespace = namespace_for_user(user=request.user, name=name)
    try:
        tail = int(request.GET.get("tail") or workloads.LOG_TAIL_DEFAULT)
    except ValueError:
        return HttpResponseBadRequest("tail: a whole number of lines, please.")
    tail = max(1, min(tail, workloads.LOG_TAIL_MAX))
    container, follow = request.GET.get("container", ""), request.GET.get("follow") == "1"
    containers: list[str] = []
    log = error = ""
    try:
        if not request.htmx:  # a poll already knows the containers
            containers = workloads.pod_containers(user=request.user, namespace=namespace, pod=pod)
            container = container or next(iter(containers), "")
        log = workloads.pod_log(
            user=request.user, namespace=namespace, pod=pod, container=container, tail=tail
        )
    except KubeError as exc:
        error, follow = exc.message, False
    context = {
        "namespace": namespace,
        "pod": pod,
        "container": container,
        "containers": containers,
        "tail": tail,
        "tail_max": workloads.LOG_TAIL_MAX,
        "follow": follow,
        "follow_seconds": FOLLOW_SECONDS,
        "limit_kib": workloads.LOG_LIMIT_BYTES // 1024,
        "log": log,
        "error": error,
    }
    template = "clusters/pod_logs.html" + ("#pod-log" if request.htmx else "")
    return render(request, template, context)
