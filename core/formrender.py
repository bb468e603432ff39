"""Django's form renderer, with the widgets every page shows drawn in Python.

Django draws each widget with a template, and each ``<option>`` and attribute list with
another ``{% include %}``: about 25 µs an option and 60 µs a text field. A select of a team's
200 namespaces cost more than the rest of its page. The templates drawn here (inputs, selects,
textareas, error lists, labels, the field groups of ``as_div`` and the paragraphs of ``as_p``) give the same HTML as Django's own, compared by
``core/tests/test_formrender.py``; every other template (radio buttons, form layouts, a
widget's own template) is rendered as before. Like Django's renderer, the HTML is
returned without surrounding whitespace. ``FORM_RENDERER`` names this class.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.forms.widgets import CheckboxInput, Select, Textarea, TextInput, Widget
from django.utils.formats import localize
from django.utils.safestring import SafeData, mark_safe

from core.html import text as conditional_escape  # Django's, without its lazy-string wrapper

WIDGETS = "django/forms/widgets/"
OPTION_TEMPLATE = WIDGETS + "select_option.html"


def _text(value) -> str:
    """``{{ value }}`` in a template: localized, then escaped unless already safe."""
    return conditional_escape(localize(value))


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``: a safe value stays as it is, anything else is escaped."""
    return str(value) if isinstance(value, SafeData) else conditional_escape(str(value))


def _attrs(attrs: Mapping) -> str:
    """``django/forms/widgets/attrs.html``: ``False`` leaves the attribute out, ``True`` writes
    its name alone."""
    parts = []
    for name, value in (attrs or {}).items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: Mapping) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _option(option: Mapping) -> str:
    return f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n'


def _select(widget: Mapping) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # an option of its own: the template draws the whole select
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def unbound_widget_html(
    widget: Widget, name: str, attrs: Mapping, choices: Iterable[tuple] = (), value=None
) -> str:
    """An unbound text input, textarea, checkbox (checked for a true ``value``) or select
    (offering ``choices``, the one whose value is ``value`` chosen) of the field ``name``, with
    ``attrs``, as the drawers above draw Django's templates: for a form drawn from its declared
    fields and initial values without being built (``QuotaRequestForm.unbound_html``)."""
    if type(widget) is TextInput:
        return _input({"type": "text", "name": name, "value": value, "attrs": attrs})
    if type(widget) is Textarea:
        return _textarea({"name": name, "value": value, "attrs": attrs})
    if type(widget) is CheckboxInput:  # as its get_context: "checked" after the others, no value
        checked = {**attrs, "checked": True} if value else attrs
        return _input({"type": "checkbox", "name": name, "value": None, "attrs": checked})
    if type(widget) is Select:
        chosen = None if value is None else str(value)
        options = [
            {
                "value": option,
                "label": label,
                "attrs": {"selected": True} if str(option) == chosen else {},
                "template_name": OPTION_TEMPLATE,
            }
            for option, label in choices
        ]
        drawn = _select({"name": name, "attrs": attrs, "optgroups": [(None, options, 0)]})
        assert drawn is not None  # every option is drawn here
        return drawn
    raise TypeError(f"{name}: {type(widget).__name__} is not drawn here")


def _error_list(context: Mapping) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = f' id="{_text(errors.field_id)}_error"' if errors.field_id else ""
    items = "".join(f"<li>{_text(error)}</li>" for error in errors)
    return f'<ul class="{_text(context["error_class"])}"{field_id}>{items}</ul>'


def _label(context: Mapping) -> str:
    label = _text(context["label"])
    if not context["use_tag"]:
        return label
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _field_group(context: Mapping) -> str:
    """``django/forms/field.html``: label or legend, help text, errors and the widget. The
    line breaks are the template's, so the HTML is the same."""
    field = context["field"]
    parts = []
    if field.use_fieldset:
        describedby = field.aria_describedby
        describedby = f' aria-describedby="{_text(describedby)}"' if describedby else ""
        parts.append(f"\n  <fieldset{describedby}>\n  {field.legend_tag() if field.label else ''}\n")
    else:
        parts.append(f"\n  {field.label_tag() if field.label else ''}\n")
    parts.append("\n")
    if field.help_text:
        helptext_id = f' id="{_text(field.auto_id)}_helptext"' if field.auto_id else ""
        parts.append(f'<div class="helptext"{helptext_id}>{field.help_text}</div>')
    parts.append(f"\n{conditional_escape(field.errors)}\n{conditional_escape(field)}")
    if field.use_fieldset:
        parts.append("</fieldset>")
    return "".join(parts).strip()


def _form(context: Mapping, tag: str, row: Callable[[Any, Any, str, str], str]) -> str:
    """What Django's ``div.html`` and ``p.html`` share: the form's own errors (with the hidden
    fields in a ``<tag>`` when no field is visible), then ``row(field, its errors, its class
    attribute, the hidden fields if it is the last)`` per visible field."""
    errors, fields = context["errors"], context["fields"]
    hidden = "".join(conditional_escape(field) for field in context["hidden_fields"])
    parts = [conditional_escape(errors), "\n"]
    if errors and not fields:
        parts.append(f"\n  <{tag}>{hidden}</{tag}>\n")
    parts.append("\n")
    for index, (field, field_errors) in enumerate(fields):
        classes = field.css_classes()
        classes = f' class="{_text(classes)}"' if classes else ""
        last = f"\n      {hidden}\n    " if index == len(fields) - 1 else ""
        parts.append(row(field, field_errors, classes, last))
    if not fields and not errors:
        parts.append(f"\n\n  {hidden}\n")
    return "".join(parts).strip()


def _form_div(context: Mapping) -> str:
    """``django/forms/div.html``: a ``<div>`` per visible field with its field group."""

    def row(field, _errors, classes: str, last: str) -> str:
        return f"\n  <div{classes}>\n    {field.as_field_group()}\n    {last}\n</div>\n"

    return _form(context, "div", row)


def _form_p(context: Mapping) -> str:
    """``django/forms/p.html``: each field's errors, then a ``<p>`` with its label, widget and
    help text."""

    def row(field, field_errors, classes: str, last: str) -> str:
        label = conditional_escape(field.label_tag()) if field.label else ""
        help_text = ""
        if field.help_text:
            helptext_id = f' id="{_text(field.auto_id)}_helptext"' if field.auto_id else ""
            help_text = f'\n      <span class="helptext"{helptext_id}>{field.help_text}</span>\n    '
        return (
            f"\n  {conditional_escape(field_errors)}\n  <p{classes}>\n    {label}\n    {conditional_escape(field)}"
            f"\n    {help_text}\n    {last}\n  </p>\n"
        )

    return _form(context, "p", row)


DRAWN: dict[str, Callable[[Mapping], str | None]] = {
    **{
        f"{WIDGETS}{kind}.html": lambda context: _input(context["widget"])
        for kind in (
            "input",
            "text",
            "number",
            "email",
            "url",
            "password",
            "hidden",
            "checkbox",
            "date",
            "datetime",
            "time",
            "search",
            "tel",
            "color",
        )
    },
    WIDGETS + "select.html": lambda context: _select(context["widget"]),
    WIDGETS + "textarea.html": lambda context: _textarea(context["widget"]),
    "django/forms/errors/list/default.html": _error_list,
    "django/forms/errors/list/ul.html": _error_list,
    "django/forms/label.html": _label,
    "django/forms/field.html": _field_group,
    "django/forms/div.html": _form_div,
    "django/forms/p.html": _form_p,
}


class FormRenderer(DjangoTemplates):
    """Draws the templates in ``DRAWN`` in Python and renders every other one as Django does."""

    def render(self, template_name, context, request=None) -> str:
        draw = DRAWN.get(template_name)
        html = draw(context) if draw is not None else None
        if html is None:
            return super().render(template_name, context, request)
        return mark_safe(html)  # noqa: S308 - every value above went through conditional_escape
