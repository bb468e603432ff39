from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone, translation

from tenants.locale import SESSION_LANGUAGE, SESSION_TIME_ZONE, supported_language
from tenants.services.audit import request_origin


class AccountLocaleMiddleware:
    """The language and time zone kept in the session (the account's stored choice, or the
    invitation's language for a visitor who came from its link) override the cookie and
    Accept-Language that LocaleMiddleware went by. Reads the session only: no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        language = supported_language(session.get(SESSION_LANGUAGE)) if session is not None else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        zone = session.get(SESSION_TIME_ZONE) if session is not None else None
        if zone:
            timezone.activate(ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


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
