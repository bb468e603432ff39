"""``get_<field>_display()`` without translating every choice on every call, and the labels
of values read without their model (``values()`` rows)."""

from collections.abc import Callable

from django.db.models import Choices
from django.utils.encoding import force_str
from django.utils.translation import get_language


def labels_of(choices: type[Choices]) -> Callable[[str], str]:
    """``label(value)``: the translated label of a stored value of ``choices``, or the value
    itself when it is not (or no longer) one of them, so a row stored under older choices
    still shows. The labels are looked up once, for a table's rows, and each value's is
    translated once per language: a table translates each status it shows once, not once a
    row."""
    labels = dict(choices.choices)
    translated: dict[tuple[str | None, str], str] = {}

    def label(value: str) -> str:
        key = (get_language(), value)
        if key not in translated:
            translated[key] = force_str(labels.get(value, value))
        return translated[key]

    return label


class ChoiceDisplayMixin:
    """A model mixin: Django's ``get_<field>_display()`` builds a dict of all the field's
    choices on each call, translating every label to hash it (about 30 µs for a namespace's
    eight statuses, on each row of a table). This finds the value's label and translates
    that one; the result is the same (``core/tests/test_choices.py``)."""

    def _get_FIELD_display(self, field) -> str:
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)
