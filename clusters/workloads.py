"""What runs in a namespace, read with the viewer's own identity (``clusters.identity``).

Each section is one kind, listed a page at a time (``limit``/``continue``, so a namespace with
thousands of pods costs one bounded request per page) and boiled down to the row a person
reads (pure functions below). Secrets are summarised by name, type and key count; their
values are dropped as soon as they arrive. Failures stay inside their section: a 403 on
Secrets does not hide the pods.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clusters.identity import as_viewer
from clusters.kube.errors import ForbiddenError, KubeError, NotFoundError
from tenants.models import Namespace

LOG_TAIL_DEFAULT = 200
LOG_TAIL_MAX = 2000
LOG_LIMIT_BYTES = 256 * 1024  # what one page of a log may carry, whatever the line count

Row = dict[str, Any]


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: datetime) -> str:
    created = _meta(obj).get("creationTimestamp")
    if not created:
        return ""
    seconds = max(0, int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _base(obj: dict, now: datetime) -> Row:
    return {"name": _meta(obj).get("name", ""), "age": _age(obj, now)}


def replicas_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    return {**_base(obj, now), "ready": f"{ready}/{wanted}", "healthy": ready >= wanted, "detail": ""}


def daemonset_row(obj: dict, now: datetime) -> Row:
    status = obj.get("status") or {}
    wanted, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    return {**_base(obj, now), "ready": f"{ready}/{wanted}", "healthy": ready >= wanted, "detail": ""}


def job_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    completions = spec.get("completions", 1)
    succeeded, failed = status.get("succeeded", 0), status.get("failed", 0)
    detail = f"{status.get('active', 0)} active" + (f", {failed} failed" if failed else "")
    return {
        **_base(obj, now),
        "ready": f"{succeeded}/{completions}",
        "healthy": not failed,
        "detail": detail,
    }


def cronjob_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    detail = f"schedule {spec.get('schedule', '?')}"
    if spec.get("suspend"):
        detail += ", suspended"
    if status.get("lastScheduleTime"):
        detail += f", last run {status['lastScheduleTime']}"
    active = len(status.get("active") or [])
    return {**_base(obj, now), "ready": f"{active} active", "healthy": True, "detail": detail}


def pod_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    phase = status.get("phase", "Pending")
    waiting = next(
        (
            (s.get("state") or {}).get("waiting", {}).get("reason")
            for s in statuses
            if (s.get("state") or {}).get("waiting")
        ),
        None,
    )
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    ready = sum(1 for s in statuses if s.get("ready"))
    return {
        **_base(obj, now),
        "phase": waiting or phase,
        "healthy": phase in ("Running", "Succeeded") and not waiting,
        "ready": f"{ready}/{len(containers)}",
        "restarts": sum(int(s.get("restartCount", 0)) for s in statuses),
        "runtime_class": spec.get("runtimeClassName") or "",
        "node": spec.get("nodeName") or "",
        "containers": containers,
    }


def service_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ports = ", ".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    external = [
        i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []
    ]
    return {
        **_base(obj, now),
        "type": spec.get("type", "ClusterIP"),
        "address": spec.get("clusterIP", ""),
        "ports": ports,
        "external": ", ".join(e for e in external if e),
    }


def ingress_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [rule.get("host") for rule in spec.get("rules") or [] if rule.get("host")]
    addresses = [
        i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []
    ]
    return {
        **_base(obj, now),
        "hosts": hosts,
        "class": spec.get("ingressClassName") or "",
        "address": ", ".join(a for a in addresses if a),
        "tls": bool(spec.get("tls")),
    }


def pvc_row(obj: dict, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    size = (status.get("capacity") or {}).get("storage") or (
        (spec.get("resources") or {}).get("requests") or {}
    ).get("storage", "")
    return {
        **_base(obj, now),
        "phase": status.get("phase", "Pending"),
        "healthy": status.get("phase") == "Bound",
        "storage_class": spec.get("storageClassName") or "(cluster default)",
        "size": size,
        "access_modes": ", ".join(spec.get("accessModes") or []),
    }


def event_row(obj: dict, now: datetime) -> Row:
    involved = obj.get("involvedObject") or {}
    last = obj.get("lastTimestamp") or obj.get("eventTime") or _meta(obj).get("creationTimestamp")
    return {
        **_base(obj, now),
        "type": obj.get("type", "Normal"),
        "reason": obj.get("reason", ""),
        "object": f"{involved.get('kind', '')}/{involved.get('name', '')}",
        "message": obj.get("message", ""),
        "count": obj.get("count") or 1,
        "last_seen": last or "",
    }


def secret_row(obj: dict, now: datetime) -> Row:
    # Only names and counts leave this function: the values are the viewer's, not the page's.
    return {**_base(obj, now), "type": obj.get("type", "Opaque"), "keys": len(obj.get("data") or {})}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    api_version: str
    kind: str
    row: Callable[[dict, datetime], Row]
    template: str  # the table's columns, in clusters/_workload_section.html
    field_selector: str = ""


SECTIONS: tuple[Section, ...] = (
    Section("deployments", "Deployments", "apps/v1", "Deployment", replicas_row, "controllers"),
    Section("statefulsets", "StatefulSets", "apps/v1", "StatefulSet", replicas_row, "controllers"),
    Section("daemonsets", "DaemonSets", "apps/v1", "DaemonSet", daemonset_row, "controllers"),
    Section("jobs", "Jobs", "batch/v1", "Job", job_row, "controllers"),
    Section("cronjobs", "CronJobs", "batch/v1", "CronJob", cronjob_row, "controllers"),
    Section("pods", "Pods", "v1", "Pod", pod_row, "pods"),
    Section("services", "Services", "v1", "Service", service_row, "services"),
    Section("ingresses", "Ingresses", "networking.k8s.io/v1", "Ingress", ingress_row, "ingresses"),
    Section("pvcs", "Persistent volume claims", "v1", "PersistentVolumeClaim", pvc_row, "pvcs"),
    Section("warnings", "Warning events", "v1", "Event", event_row, "events", "type=Warning"),
    Section("events", "Other events", "v1", "Event", event_row, "events", "type!=Warning"),
    Section("secrets", "Secrets", "v1", "Secret", secret_row, "secrets"),
)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


@dataclass
class SectionPage:
    section: Section
    rows: list[Row] = field(default_factory=list)
    next_token: str = ""
    continued: bool = False  # not the first page
    error: str = ""
    refused: bool = False  # Kubernetes RBAC said no

    @property
    def key(self) -> str:
        return self.section.key


def _explain(error: KubeError, section: Section) -> tuple[str, bool]:
    if isinstance(error, ForbiddenError):
        return f"Kubernetes refused to list {section.title.lower()} for you: {error.message}", True
    if isinstance(error, NotFoundError):
        return "The namespace is not on the cluster (yet).", False
    return f"The cluster did not answer: {error.message}", False


def section_page(
    *,
    user,
    namespace: Namespace,
    section: Section,
    limit: int,
    continue_token: str = "",
    now: datetime | None = None,
) -> SectionPage:
    """One page of one section, read as ``user``; a refusal or failure becomes the page's message."""
    now = now or datetime.now(UTC)
    page = SectionPage(section=section, continued=bool(continue_token))
    try:
        items, page.next_token = as_viewer(
            user=user,
            namespace=namespace,
            read=lambda gateway: gateway.list_page(
                section.api_version,
                section.kind,
                namespace.name,
                limit=limit,
                continue_token=continue_token,
                field_selector=section.field_selector,
            ),
        )
    except KubeError as error:
        page.error, page.refused = _explain(error, section)
        return page
    page.rows = [section.row(item, now) for item in items]
    return page


def pod_log(*, user, namespace: Namespace, pod: str, container: str, tail: int) -> str:
    """The tail of one container's log, bounded in lines and bytes, read as ``user``."""
    tail = max(1, min(tail, LOG_TAIL_MAX))
    return as_viewer(
        user=user,
        namespace=namespace,
        read=lambda gateway: gateway.pod_log(
            namespace.name, pod, container=container, tail_lines=tail, limit_bytes=LOG_LIMIT_BYTES
        ),
    )


def pod_containers(*, user, namespace: Namespace, pod: str) -> list[str]:
    """The pod's container names (404 from the cluster: NotFoundError)."""
    obj = as_viewer(
        user=user, namespace=namespace, read=lambda gateway: gateway.get("v1", "Pod", pod, namespace.name)
    )
    if obj is None:
        raise NotFoundError(f'pods "{pod}" not found', code=404)
    return [c.get("name", "") for c in (obj.get("spec") or {}).get("containers") or []]


# Workload sections: when all of these are empty, the namespace runs nothing yet.
RUNNING_SECTIONS = frozenset(
    {"deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "pods", "services", "ingresses", "pvcs"}
)


def nothing_runs(pages: list[SectionPage]) -> bool:
    return all(not page.rows and not page.error for page in pages if page.key in RUNNING_SECTIONS)


def first_deployment_snippet(namespace: str) -> str:
    """A copyable first deployment that passes Pod Security ``restricted`` and the default quota."""
    return f"""kubectl --context {namespace} apply -f - <<'EOF'
{FIRST_DEPLOYMENT}EOF"""


FIRST_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: nginxinc/nginx-unprivileged:1.27-alpine
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 50m, memory: 64Mi}
          limits: {cpu: 200m, memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
"""
