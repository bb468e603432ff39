"""Forms: quantities are typed in Kubernetes notation and validated by ``metering.quantities``."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import limits
from metering.amounts import RESOURCES, format_amounts, maximum_text, parse_amounts
from metering.models import Isolation, RuntimeClassProfile


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
        for resource in reversed(RESOURCES):
            self.fields = {
                resource.key: forms.CharField(
                    required=False,
                    label=gettext(resource.label),
                    max_length=30,
                    help_text=_("At most %(resource)s.") % {"resource": maximum_text(resource)},
                ),
                **self.fields,
            }

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


class RuntimePolicyForm(forms.Form):
    min_isolation = forms.ChoiceField(
        choices=[("", _("Team default")), *Isolation.choices], required=False, label=_("Minimum isolation")
    )
    needs_gpu = forms.BooleanField(required=False, label=_("Needs GPUs"))


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
