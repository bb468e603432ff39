from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from tenants.account_security import two_factor_deadline, two_factor_required
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


# What a staff member past the grace period without two-factor authentication may still
# reach: allauth's account and two-factor pages (setting it up asks for the password first,
# signing out), and the probes.
TWO_FACTOR_OPEN_PREFIXES = ("account_", "mfa_")
TWO_FACTOR_OPEN_NAMES = {"healthz", "readyz", "metrics", "favicon"}


def _open_without_two_factor(request: HttpRequest) -> bool:
    try:
        name = resolve(request.path_info).url_name or ""
    except Resolver404:
        return False
    return name.startswith(TWO_FACTOR_OPEN_PREFIXES) or name in TWO_FACTOR_OPEN_NAMES


class StaffTwoFactorMiddleware:
    """Staff accounts must use two-factor authentication. In the grace period pages say so
    (``request.two_factor_deadline``); after it, a signed-in staff member without it is sent
    to set it up, and the API refuses their session (403). Bearer API tokens are not sessions:
    they never ask for the second factor (see README)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        deadline = two_factor_deadline(user) if user is not None and two_factor_required(user) else None
        request.two_factor_deadline = deadline  # type: ignore[attr-defined]
        if deadline is None or timezone.now() < deadline or _open_without_two_factor(request):
            return self.get_response(request)
        message = _("Staff accounts must use two-factor authentication: set it up to continue.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(reverse("mfa_activate_totp"))
        return redirect("mfa_activate_totp")
