"""A person's console preferences: language and time zone."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.locale import supported_language, time_zone_names
from tenants.models import AccountPreferences

UNSET = object()


@transaction.atomic
def preferences_set(*, user, language=UNSET, time_zone=UNSET) -> AccountPreferences:
    """Store the language (``""``: follow the browser) and/or the time zone (``""``: UTC)."""
    preferences, _created = AccountPreferences.objects.select_for_update().get_or_create(user=user)
    if language is not UNSET:
        if language and not supported_language(language):
            raise ValidationError({"language": _("This language is not available.")})
        preferences.language = supported_language(language)
    if time_zone is not UNSET:
        if time_zone and time_zone not in time_zone_names():
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        preferences.time_zone = time_zone
    preferences.save()
    return preferences
