from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from billing.selectors import latest_notices_for_user
from console.celery import app as celery_app
from console.dashboard import (
    NAMESPACE_FIELDS,
    NAMESPACES_PAGE,
    TEAM_FIELDS,
    TEAMS_PAGE,
    namespace_rows,
    page_reader,
    team_rows,
)
from console.homes import role_home
from console.observability.state import ConsoleStateCollector
from core.http import HtmxHttpRequest
from core.metrics import CONTENT_TYPE, bearer_ok, exposition
from core.pages import paginate, render_page
from metering.selectors import namespaces_near_limits, quota_requests_for_dashboard
from tenants import selectors
from tenants.views.invitations import dashboard_invitations_context

NOT_FOUND_REASON = gettext_noop("There is nothing here, or it belongs to a team you are not a member of.")


@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """My teams and namespaces, and what needs me: invitations, namespaces near their limits,
    quota requests to decide or waiting, balance notices of teams whose billing I see."""
    user = request.user

    # Each page read by a compiled query when the user's scope reaches anything (the querysets
    # are then built only to find a page past the end).
    def teams_of_user() -> QuerySet:
        return selectors.teams_for_user(user=user).values(*TEAM_FIELDS)

    def namespaces_of_user() -> QuerySet:
        return selectors.namespaces_for_user(user=user).values(*NAMESPACE_FIELDS)

    read = page_reader(TEAMS_PAGE, user)
    teams_found = teams_of_user if read else teams_of_user()
    teams = paginate(request, teams_found, param="teams_page", one_query=True, read=read)
    read = page_reader(NAMESPACES_PAGE, user)
    namespaces_found = namespaces_of_user if read else namespaces_of_user()
    namespaces = paginate(request, namespaces_found, param="namespaces_page", one_query=True, read=read)
    context = {
        "teams": teams,
        "team_rows": team_rows(teams),
        "namespaces": namespaces,
        "namespace_rows": namespace_rows(namespaces),
        "near_limits": namespaces_near_limits(user=user),
        "quota_requests": quota_requests_for_dashboard(user=user),
        "billing_notices": latest_notices_for_user(user=user),
        **dashboard_invitations_context(request),
        **role_home(user),
    }
    # Finance and staff have a home of their own; the tenant onboarding is not for them.
    has_role_home = "staff_home" in context or "finance_home" in context
    context["first_run"] = not (teams.paginator.count or namespaces.paginator.count or has_role_home)
    return render_page(
        request, "console/dashboard.html", context, partials=["my-teams", "my-namespaces", "my-invitations"]
    )


@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """The process is alive; checks nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HtmxHttpRequest) -> JsonResponse:
    """Database and broker are reachable; 503 naming the failing part otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready"
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@require_GET
def metrics(request: HtmxHttpRequest) -> HttpResponse:
    """Prometheus metrics of every web process, plus the console's state from the database.

    Only for ``Authorization: Bearer $METRICS_TOKEN``; anyone else (and everyone while no
    token is set) gets 404, as if there were nothing here.
    """
    if not bearer_ok(request.headers.get("Authorization", ""), settings.METRICS_TOKEN):
        raise Http404
    return HttpResponse(exposition(ConsoleStateCollector()), content_type=CONTENT_TYPE)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A styled 403 with the reason the code gave ("Your role in this team does not allow
    that."): a 403 only reaches people who may see the object, so its reason is theirs to read."""
    message = exception.args[0] if exception is not None and exception.args else ""
    reason = (
        message if isinstance(message, str) and message.strip() else _("Your account may not do that here.")
    )
    return render(request, "console/error.html", {"title": _("Not allowed"), "reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A styled 404 that says the same whatever the cause: "no such team" and "not your team"
    must read alike, or the page would tell outsiders which names exist."""
    context = {"title": _("Not found"), "reason": _(NOT_FOUND_REASON)}
    return render(request, "console/error.html", context, status=404)
