"""The form renderer draws the common widgets in Python: the HTML must be Django's, byte for byte."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.formrender import FormRenderer
from metering.amounts import empty_amounts
from metering.forms import AmountsForm, QuotaRequestForm

TRICKY = "<b>\"Tom\" & 'Jerry'</b>"


class EverythingForm(forms.Form):
    name = forms.CharField(max_length=10, help_text="Help & <hints>", label=TRICKY)
    count = forms.IntegerField(min_value=0, required=False)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "data-x": TRICKY}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    flag = forms.BooleanField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    kind = forms.ChoiceField(choices=[("", "—"), ("a", TRICKY), ("b", mark_safe("<i>safe</i>")), (3, 3)])
    grouped = forms.ChoiceField(
        choices=[
            ("Fruit", [("apple", "Apple"), ("pear", "Pear")]),
            ("none", "None"),
            ("Veg", [("kale", "Kale")]),
        ]
    )
    many = forms.MultipleChoiceField(choices=[(n, f"n{n}") for n in range(5)], required=False)
    disabled = forms.CharField(disabled=True, initial="fixed", required=False)
    radio = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect, required=False)

    def clean(self):
        raise forms.ValidationError(["Whole form & <wrong>", "Second"])


BOUND = {
    "name": TRICKY,
    "count": "-1",
    "email": "not an email",
    "secret": "s3cret&",
    "hidden": "h<1>",
    "flag": "on",
    "day": "2026-02-30",
    "notes": "line one\n<line two>",
    "kind": "b",
    "grouped": "pear",
    "many": ["1", "3"],
    "radio": "y",
}


class Namespace:
    def __init__(self, name):
        self.name, self.label = name, f"{name} <team>"


def forms_to_compare(renderer):
    namespaces = [Namespace(f"acme-{n}") for n in range(30)]
    return [
        EverythingForm(renderer=renderer),
        EverythingForm(renderer=renderer, initial={"day": datetime.date(2026, 1, 2), "many": [2]}),
        EverythingForm(BOUND, renderer=renderer),
        EverythingForm({}, renderer=renderer, prefix="p"),
        AmountsForm(initial_amounts=empty_amounts(), prefix="acme-dev", renderer=renderer),
        AmountsForm(
            {"acme-dev-cpu": "lots", "acme-dev-storage_classes": "x"}, prefix="acme-dev", renderer=renderer
        ),
        QuotaRequestForm(namespaces=namespaces, renderer=renderer),
        QuotaRequestForm({"namespace": "acme-3", "cpu": "1"}, namespaces=namespaces, renderer=renderer),
    ]


@pytest.mark.parametrize("index", range(8))
def test_forms_render_the_same_html_as_djangos_templates(index):
    ours, django = forms_to_compare(FormRenderer())[index], forms_to_compare(DjangoTemplates())[index]
    ours.is_bound and ours.is_valid()
    django.is_bound and django.is_valid()
    assert str(ours.as_div()) == str(django.as_div())
    assert str(ours.as_p()) == str(django.as_p())
    for field in ours:
        theirs = django[field.name]
        assert str(field) == str(theirs)
        assert str(field.errors) == str(theirs.errors)
    assert str(ours.non_field_errors()) == str(django.non_field_errors())


def test_widgets_errors_and_div_layouts_are_drawn_without_templates(monkeypatch):
    form = EverythingForm(BOUND, renderer=FormRenderer())
    form.is_valid()
    amounts = AmountsForm({"acme-dev-cpu": "lots"}, prefix="acme-dev", renderer=FormRenderer())
    amounts.is_valid()
    drawn = []
    monkeypatch.setattr(DjangoTemplates, "render", lambda self, name, *args, **kw: drawn.append(name) or "")
    str(form["kind"]), str(form["grouped"]), str(form["name"]), str(form["notes"]), str(form["count"].errors)
    str(form.non_field_errors()), str(form["name"].label_tag()), str(amounts.as_div())
    str(amounts.as_p())
    assert drawn == []
    str(form.as_p())  # every field of it, in paragraphs: only the radio buttons take a template
    assert drawn == ["django/forms/widgets/radio.html"]
