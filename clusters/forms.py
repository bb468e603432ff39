from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clusters.kubeconfigs import KubeconfigLimit
from clusters.models import APPS_DOMAIN, MAX_TOKEN_HOURS_LIMIT
from tenants.models import TrustLevel


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
    apps_domain = forms.CharField(
        label=_("Apps domain"),
        max_length=200,
        required=False,
        validators=[APPS_DOMAIN],
        help_text=_(
            "Teams own <team>.<apps domain> for their routes on this cluster; empty: the console's "
            "apps domain. Point a wildcard DNS record for it at the cluster's ingress."
        ),
    )
    max_token_hours = forms.IntegerField(
        label=_("Maximum kubeconfig token lifetime (hours)"),
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_HOURS_LIMIT,
    )
    placement_trust_levels = forms.MultipleChoiceField(
        label=_("Offered to teams with trust level"),
        choices=TrustLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Teams without a placement of their own may put new namespaces on the clusters that list "
            "their trust level or plan; a team no cluster lists uses the default cluster."
        ),
    )
    placement_plans = forms.MultipleChoiceField(
        label=_("Offered to teams on plan"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, has_stored_kubeconfig: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        plans = self.fields["placement_plans"]
        assert isinstance(plans, forms.MultipleChoiceField)
        # Plan names are configuration keys: shown as written, in every language.
        plans.choices = [(plan, format_html("<code>{}</code>", plan)) for plan in settings.TENANTRY_PLANS]
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


class ClusterChoicesField(forms.ModelMultipleChoiceField):
    """Clusters by id, where an id past what a database integer holds is no cluster's: Django
    looks such ids up with ``pk__in``, which SQLite refuses with an OverflowError (a 500)."""

    def clean(self, value):
        for pk in value or ():
            try:
                beyond = not -(2**63) <= int(pk) < 2**63
            except (TypeError, ValueError):
                continue  # Django refuses what is not a number itself
            if beyond:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super().clean(value)


class TeamPlacementForm(forms.Form):
    """Staff: the clusters a team may use and its default among them; none selected means the
    defaults per trust level and plan apply."""

    clusters: forms.ModelMultipleChoiceField = ClusterChoicesField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Clusters the team may use"),
    )
    default: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Default cluster for the team"), empty_label=_("The first one")
    )

    def __init__(self, *args, clusters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clusters"].queryset = clusters
        self.fields["default"].queryset = clusters
