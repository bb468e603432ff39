from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clusters.kubeconfigs import KubeconfigLimit
from clusters.models import MAX_TOKEN_HOURS_LIMIT


class KubeconfigForm(forms.Form):
    """The token lifetime, bounded by the user's ``KubeconfigLimit``."""

    def __init__(self, *args, limit: KubeconfigLimit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours"] = forms.IntegerField(
            label=_("Token lifetime (hours)"),
            min_value=1,
            max_value=limit.max_hours,
            initial=limit.default_hours,
            error_messages={"max_value": limit.message},
            help_text=(
                _(
                    "At most %(max_hours)s hours (the limit set by %(source)s); the kubeconfig stops working after that."
                )
                % {"max_hours": limit.max_hours, "source": limit.source}
            ),
        )


class ClusterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=63)
    api_url = forms.URLField(
        assume_scheme="https",
        label=_("API URL"),
        required=False,
        help_text=_("The address users' kubeconfigs point at; without it, the server from the kubeconfig."),
    )
    kubeconfig_path = forms.CharField(
        label=_("Kubeconfig file path"),
        max_length=500,
        required=False,
        help_text=_("A file on the console's host."),
    )
    kubeconfig_content = forms.CharField(
        label=_("Kubeconfig content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Pasted kubeconfig, stored encrypted and never shown again."),
    )
    clear_stored_kubeconfig = forms.BooleanField(label=_("Remove the stored kubeconfig"), required=False)
    context = forms.CharField(
        label=_("Context"), max_length=100, required=False, help_text=_("Without it, the current context.")
    )
    is_default = forms.BooleanField(
        label=_("Default cluster"), required=False, help_text=_("New namespaces go to the default cluster.")
    )
    max_token_hours = forms.IntegerField(
        label=_("Maximum kubeconfig token lifetime (hours)"),
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_HOURS_LIMIT,
    )

    def __init__(self, *args, has_stored_kubeconfig: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["max_token_hours"].help_text = _(
            "Kubeconfigs covering a namespace here get tokens no longer than this, nor than the "
            "console's maximum (%(hours)s hours), which also applies when this is empty. Tokens "
            "already issued keep their expiry."
        ) % {"hours": settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS}
        if has_stored_kubeconfig:
            self.fields["kubeconfig_content"].label = _("Replace the stored kubeconfig")
            self.fields["kubeconfig_content"].help_text = _(
                "A kubeconfig is stored (encrypted). Paste a new one to replace it; leave empty to keep it."
            )
        else:
            del self.fields["clear_stored_kubeconfig"]
