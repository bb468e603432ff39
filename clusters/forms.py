from django import forms
from django.conf import settings


class KubeconfigForm(forms.Form):
    """The token lifetime; its bounds come from settings when the form is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        maximum = settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS
        self.fields["hours"] = forms.IntegerField(
            label="Token lifetime (hours)",
            min_value=1,
            max_value=maximum,
            initial=min(settings.TENANTRY_KUBECONFIG_TTL_HOURS, maximum),
            help_text=f"At most {maximum} hours; the kubeconfig stops working after that.",
        )


class ClusterForm(forms.Form):
    name = forms.CharField(max_length=63)
    api_url = forms.URLField(
        assume_scheme="https",
        label="API URL",
        required=False,
        help_text="The address users' kubeconfigs point at; without it, the server from the kubeconfig.",
    )
    kubeconfig_path = forms.CharField(
        label="Kubeconfig file path",
        max_length=500,
        required=False,
        help_text="A file on the console's host.",
    )
    kubeconfig_content = forms.CharField(
        label="Kubeconfig content",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Pasted kubeconfig, stored encrypted and never shown again.",
    )
    clear_stored_kubeconfig = forms.BooleanField(label="Remove the stored kubeconfig", required=False)
    context = forms.CharField(max_length=100, required=False, help_text="Without it, the current context.")
    is_default = forms.BooleanField(
        label="Default cluster", required=False, help_text="New namespaces go to the default cluster."
    )

    def __init__(self, *args, has_stored_kubeconfig: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_stored_kubeconfig:
            self.fields["kubeconfig_content"].label = "Replace the stored kubeconfig"
            self.fields[
                "kubeconfig_content"
            ].help_text = (
                "A kubeconfig is stored (encrypted). Paste a new one to replace it; leave empty to keep it."
            )
        else:
            del self.fields["clear_stored_kubeconfig"]
