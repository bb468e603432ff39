"""``get_<field>_display()`` without translating every choice on every call."""

from django.utils.encoding import force_str


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
