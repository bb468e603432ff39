"""``get_<field>_display()`` through ``ChoiceDisplayMixin`` says what Django's own says."""

import pytest
from django.db import models
from django.utils import translation

from core.choices import labels_of
from tenants.models import Invitation, Namespace, NamespaceMembership, NamespaceStatus, Team, TeamMembership

MODELS = (Team, TeamMembership, Namespace, NamespaceMembership, Invitation)


def _fields_with_choices():
    for model in MODELS:
        for field in model._meta.get_fields():
            if getattr(field, "choices", None):
                yield model, field


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_choice_and_an_unknown_value_display_as_django_displays_them(language):
    checked = 0
    with translation.override(language):
        for model, field in _fields_with_choices():
            for value in [choice for choice, _label in field.flatchoices] + ["not-a-choice", ""]:
                instance = model(**{field.attname: value})
                ours = getattr(instance, f"get_{field.name}_display")()
                djangos = models.Model._get_FIELD_display(instance, field)
                assert ours == djangos and type(ours) is type(djangos), (model, field.name, value)
                checked += 1
    assert checked > 40
    with translation.override("zh-hans"):
        assert Namespace(status="ready").get_status_display() != "Ready"


def test_labels_of_translates_each_value_and_shows_a_value_no_longer_a_choice():
    label = labels_of(NamespaceStatus)
    with translation.override("zh-hans"):
        assert label(NamespaceStatus.READY) == str(NamespaceStatus.READY.label)
        assert label(NamespaceStatus.READY) != "Ready"
    assert label(NamespaceStatus.READY) == "Ready"
    assert label("retired-status") == "retired-status"
