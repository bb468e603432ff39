"""Forms: quantities are typed in Kubernetes notation and validated by ``metering.quantities``."""

import functools
from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from core import limits
from core.formrender import unbound_widget_html
from core.html import text as escape
from metering.amounts import RESOURCES, Resource, format_amounts, maximum_text, parse_amounts
from metering.models import Isolation, RuntimeClassProfile


def _maximum_help(resource: Resource) -> str:
    return gettext("At most %(resource)s.") % {"resource": maximum_text(resource)}


class AmountsForm(forms.Form):
    """One text field per resource plus ``storage_classes`` as ``name=size`` pairs."""

    storage_classes = forms.CharField(
        required=False,
        max_length=limits.MAX_STORAGE_CLASSES * 300,
        help_text=_("Per storage class, e.g. standard=10Gi, fast=5Gi"),
        label=_("Storage per class"),
    )

    def __init__(self, *args, initial_amounts=None, **kwargs):
        if initial_amounts is not None:
            text = format_amounts(initial_amounts)
            kwargs.setdefault("initial", {})
            kwargs["initial"].update({r.key: text[r.key] for r in RESOURCES})
            kwargs["initial"]["storage_classes"] = ", ".join(
                f"{k}={v}" for k, v in text["storage_classes"].items()
            )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        classes = {}
        for pair in filter(None, (p.strip() for p in (data.get("storage_classes") or "").split(","))):
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                self.add_error("storage_classes", _("'%(pair)s' is not name=size.") % {"pair": pair})
                continue
            classes[name.strip()] = value.strip()
        try:
            data["amounts"] = parse_amounts(
                {**{r.key: data.get(r.key) for r in RESOURCES}, "storage_classes": classes}
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                self.add_error("storage_classes" if key.startswith("storage_classes") else key, messages)
        return data


# One text field per resource, in the order of ``RESOURCES``, before ``storage_classes``:
# declared once (the class's ``base_fields``, which each form copies), labels and help texts
# translated when drawn, so that a form built on a request copies them rather than building
# seven fields, and the quota page can draw the request form from them (``unbound_html``).
AmountsForm.base_fields = AmountsForm.declared_fields = {
    **{
        resource.key: forms.CharField(
            required=False,
            label=_(resource.label),  # msgids marked by gettext_noop in RESOURCES
            max_length=30,
            help_text=lazy(_maximum_help, str)(resource),
        )
        for resource in RESOURCES
    },
    **AmountsForm.declared_fields,
}


class TeamQuotaForm(AmountsForm):
    """The whole team quota, set by staff: every resource is required, so a blank is never a zero."""

    max_namespaces = forms.IntegerField(
        min_value=0, max_value=limits.MAX_NAMESPACES_PER_TEAM, label=_("Maximum namespaces")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for resource in RESOURCES:
            self.fields[resource.key].required = True


class QuotaRequestForm(AmountsForm):
    namespace = forms.ChoiceField(
        label=_("Namespace"),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.MAX_REASON_LENGTH
    )

    def __init__(self, *args, namespaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["namespace"].choices = [(ns.name, ns.label) for ns in namespaces]

    @classmethod
    def unbound_html(cls, namespaces: Iterable) -> SafeString:
        """``QuotaRequestForm(namespaces=namespaces).as_div()``, byte for byte, drawn from the
        declared fields without building the form: the quota page shows it on every visit, never
        bound (a request that fails is told in a message after the redirect), and building and
        drawing it through Django's fields cost about 0.9 ms of the page
        (``metering/tests/test_request_form_html.py`` compares the two)."""
        return _unbound_as_div(cls, {"namespace": [(ns.name, ns.label) for ns in namespaces]})


class RuntimePolicyForm(forms.Form):
    min_isolation = forms.ChoiceField(
        choices=[("", _("Team default")), *Isolation.choices], required=False, label=_("Minimum isolation")
    )
    needs_gpu = forms.BooleanField(required=False, label=_("Needs GPUs"))

    @classmethod
    def unbound_html(cls, *, min_isolation: str, needs_gpu: bool) -> SafeString:
        """``RuntimePolicyForm(initial=...).as_div()``, byte for byte, drawn from the declared
        fields: the usage page shows it to namespace admins on every visit, never bound (a
        policy that fails is told in a message after the redirect); building and drawing it
        through Django's fields cost about 0.3 ms of the page
        (``metering/tests/test_request_form_html.py`` compares the two)."""
        return _unbound_as_div(cls, {}, {"min_isolation": min_isolation, "needs_gpu": needs_gpu})


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=limits.MAX_REASON_LENGTH)


class RuntimeProfileForm(forms.ModelForm):
    class Meta:
        model = RuntimeClassProfile
        fields = [
            "handler",
            "isolation",
            "supports_gpu",
            "gpu_note",
            "price_multiplier",
            "enabled",
            "description",
        ]
        labels = {
            "handler": _("Handler"),
            "isolation": _("Isolation"),
            "supports_gpu": _("Supports GPUs"),
            "gpu_note": _("GPU note"),
            "price_multiplier": _("Price multiplier"),
            "enabled": _("Enabled"),
            "description": _("Description"),
        }


# Django's own msgids for a label's suffix and the characters that make it unneeded (its
# catalog translates them): held in names so that makemessages does not copy them into ours.
LABEL_SUFFIX = ":"
LABEL_ENDS = ":?.!"


@functools.lru_cache(maxsize=64)
def _field_words(form_class: type[forms.Form], language: str | None) -> tuple[tuple[str, str], ...]:
    """Each declared field's label (with Django's suffix, as ``label_tag`` adds it) and help
    text in ``language``, the active one: translated once per process and language (the 22
    ``gettext`` calls of the request form cost 60 µs on every quota page)."""
    suffix, ends = gettext(LABEL_SUFFIX), gettext(LABEL_ENDS)
    words = []
    for field in form_class.base_fields.values():
        label = str(field.label or "")
        if label and suffix and label[-1] not in ends:
            label += suffix
        words.append((label, str(field.help_text)))
    return tuple(words)


def _unbound_as_div(
    form_class: type[forms.Form], choices: Mapping[str, list[tuple[str, str]]], initial: Mapping | None = None
) -> SafeString:
    """``as_div()`` of an unbound ``form_class(initial=initial)`` (ids ``id_<name>``, no
    prefix), as ``core.formrender`` draws Django's templates: text inputs, textareas, checkboxes
    and selects offering ``choices[name]`` (or the field's own), the initial values shown."""
    initial = initial or {}
    rows = []
    fields = form_class.base_fields.items()
    for (name, field), (label, help_text) in zip(
        fields, _field_words(form_class, get_language()), strict=True
    ):
        widget, field_id = field.widget, f"id_{name}"
        if label:
            label = f'<label for="{field_id}">{escape(label)}</label>'
        attrs = dict(widget.attrs)
        offered = choices[name] if name in choices else list(getattr(field, "choices", ()))
        # A select asks for a choice only when its first option is an empty one (Django's rule).
        if field.required and (type(widget) is not forms.Select or (offered and offered[0][0] in ("", None))):
            attrs["required"] = True
        help_html = ""
        if help_text:
            help_html = f'<div class="helptext" id="{field_id}_helptext">{help_text}</div>'
            attrs["aria-describedby"] = f"{field_id}_helptext"
        attrs["id"] = field_id
        drawn = unbound_widget_html(widget, name, attrs, offered, initial.get(name))
        rows.append(f"<div>\n    {label}\n\n{help_html}\n\n{drawn}\n    ")
    # As Django's div.html: the last row ends with the (absent) hidden fields.
    return SafeString("\n</div>\n\n  ".join(rows) + "\n      \n    \n</div>")
