"""The language and time zone that pages and emails are rendered in.

Pages: the account's stored choice (copied into the session at sign-in and by the switcher),
else the language cookie, else Accept-Language (both read by Django's LocaleMiddleware).
Emails: the recipient's stored choice, whatever language the sender's page was in.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from tenants.models import AccountPreferences

SESSION_LANGUAGE = "tenantry_language"
SESSION_TIME_ZONE = "tenantry_time_zone"


def supported_language(code: str | None) -> str:
    """``code`` when the console speaks it (``zh-hans`` for ``zh-Hans`` too), else ``""``."""
    if not code:
        return ""
    code = code.lower()
    return code if code in dict(settings.LANGUAGES) else ""


def time_zone_names() -> list[str]:
    return sorted(available_timezones())


def preferences_of(user) -> AccountPreferences | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return AccountPreferences.objects.filter(user=user).first()


def remember_in_session(session, preferences: AccountPreferences | None) -> None:
    """Copy the stored choices into the session, which the middleware reads on every request."""
    if preferences is None:
        return
    if preferences.language:
        session[SESSION_LANGUAGE] = preferences.language
    if preferences.time_zone:
        session[SESSION_TIME_ZONE] = preferences.time_zone
    else:
        session.pop(SESSION_TIME_ZONE, None)


def user_for_email(email: str):
    """The account that owns ``email`` (a verified address first), or None."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(email__iexact=email).order_by("-verified", "-primary").first()
    if address is not None:
        return address.user
    return get_user_model().objects.filter(email__iexact=email).first()


@contextmanager
def recipient_locale(user=None, *, default_language: str = "") -> Iterator[None]:
    """Render (an email) in ``user``'s stored language and time zone.

    Without a stored language: ``default_language`` (say an invitation's), else English.
    """
    preferences = preferences_of(user)
    language = (
        (preferences and supported_language(preferences.language))
        or supported_language(default_language)
        or settings.LANGUAGE_CODE
    )
    zone = ZoneInfo((preferences and preferences.time_zone) or settings.TIME_ZONE)
    with translation.override(language), timezone.override(zone):
        yield


def remember_preferences_at_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: from now on the session speaks the account's language."""
    if request is not None and hasattr(request, "session"):
        remember_in_session(request.session, preferences_of(user))
