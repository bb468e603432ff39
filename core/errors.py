"""Showing a service's refusal to the person who asked: on the form, or as page messages."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


def add_service_errors(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Show a service's refusal on the form: per field when it names one, else on top."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("Your role does not allow that."))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def message_service_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page, one per problem."""
    for message in exc.messages:
        messages.error(request, message)
