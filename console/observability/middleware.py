"""Per-request observability: request id, log context, one log line and metrics per request.

Requests are labelled by the view's URL name, never by the path: paths carry object names
and invitation tokens, which would leak secrets into logs and explode metric cardinality.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import Token

from django.http import HttpRequest, HttpResponse

from console.observability import logs
from core.metrics import HTTP_LATENCY, HTTP_REQUESTS

logger = logging.getLogger("tenantry.request")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNRESOLVED = "<unresolved>"


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match._func_path) if match else UNRESOLVED


def _team_of(request: HttpRequest) -> str:
    """The team a page or API call is about, when its URL names one (by slug)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return str(match.kwargs.get("slug") or match.kwargs.get("team_slug") or "")


def _set_user(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    logs.user_id.set(user.pk if user is not None and user.is_authenticated else None)


class RequestObservabilityMiddleware:
    """Placed after authentication, so the user is known when the line is written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _CLIENT_REQUEST_ID.match(given) else uuid.uuid4().hex
        resets: list[Token] = [logs.request_id.set(rid), logs.user_id.set(None), logs.team.set("")]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            _set_user(request)  # API tokens authenticate inside the view
            view = _view_name(request)
            HTTP_REQUESTS.labels(view, request.method, str(response.status_code)).inc()
            HTTP_LATENCY.labels(view, request.method).observe(elapsed)
            logger.info("%s %s %s %.1fms", request.method, view, response.status_code, elapsed * 1000)
            response["X-Request-ID"] = rid
            return response
        finally:
            for token in reversed(resets):
                token.var.reset(token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        """The URL is resolved and the session user known: lines from the view carry both."""
        _set_user(request)
        logs.team.set(_team_of(request))
