"""The header's language switcher and the preferences page (language and time zone)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import add_service_errors
from core.http import redirect_back
from tenants.forms import PreferencesForm
from tenants.locale import SESSION_LANGUAGE, preferences_of, remember_in_session, supported_language
from tenants.services.preferences import preferences_set


def _set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch language: stored on the account when signed in, in a cookie in any case; then back
    to ``next`` or the page the switch was on (the Referer), when it is on this site."""
    language = supported_language(request.POST.get("language"))
    if not language:
        return HttpResponseBadRequest(_("This language is not available."), content_type="text/plain")
    if request.user.is_authenticated:
        preferences_set(user=request.user, language=language)
    if request.user.is_authenticated or SESSION_LANGUAGE in request.session:
        request.session[SESSION_LANGUAGE] = language
    target = request.POST.get("next") or request.headers.get("Referer", "")
    return _set_language_cookie(redirect_back(request, target, fallback="/"), language)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    stored = preferences_of(request.user)
    initial = {"language": stored.language, "time_zone": stored.time_zone} if stored else {}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            stored = preferences_set(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(SESSION_LANGUAGE, None)
            remember_in_session(request.session, stored)
            messages.success(request, _("Preferences saved."))
            response = redirect("preferences")
            return _set_language_cookie(response, stored.language) if stored.language else response
    return render(request, "tenants/preferences.html", {"form": form})
