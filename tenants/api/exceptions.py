"""Turn the services' Django exceptions into DRF responses.

Services raise django ``ValidationError`` (often with a field dict) and ``PermissionDenied``;
the API answers them as 400 with field details and 403, the same way DRF answers its own,
and every 404 with the same words.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        # Keep the service's reason ("Only owners can remove an owner.").
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, Http404):
        # One message for "does not exist" and "not yours" ("No Team matches…" vs "No such
        # team."), so outsiders cannot probe which slugs and names are taken.
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
