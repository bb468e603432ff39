from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from tenants.services.audit import request_origin


class AuditContextMiddleware:
    """Remembers where the current request came from for audit events written during it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_origin.set(
            (request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", ""))
        )
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(token)


class RejectNulMiddleware:
    """A NUL in the path or the query string is a 400.

    PostgreSQL refuses NUL in text, so a ``<str:name>`` path part or a filter such as
    ``?actor=`` carrying one would fail in the database as a 500. Bodies are covered by the
    forms' and serializers' own NUL validators.
    """

    MESSAGE = "The URL contains a NUL character."

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE}, status=400)
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain")
        return self.get_response(request)
