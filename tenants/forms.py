"""Forms for the console pages. They validate input shape; services enforce the rules."""

from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import limits
from core.translations import per_language
from tenants import permissions
from tenants.locale import time_zone_names
from tenants.models import DNS1123_LABEL, NamespaceRole, TeamRole
from tenants.services.tokens import DEFAULT_TOKEN_DAYS


@per_language
def team_role_labels() -> dict[str, str]:
    """Each team role's label, in the roles' order (the team page's member table asks on every
    visit)."""
    return {value: str(label) for value, label in TeamRole.choices}


def team_role_choices(user, team, *, current: str | None = None) -> list[tuple[str, str]]:
    """The team roles this user may hand out (managers cannot grant or take away owner)."""
    return [
        (value, label)
        for value, label in team_role_labels().items()
        if value == current or permissions.may_assign_team_role(user, team, current=current, new=value)
    ]


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.CharField(
        label=_("Address"),
        max_length=50,
        required=False,
        validators=[DNS1123_LABEL],
        help_text=_("Used in URLs. Leave empty to derive it from the name."),
    )


class NamespaceCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=63,
        validators=[DNS1123_LABEL],
        help_text=_("Kubernetes name: lowercase letters, digits and '-', at most 63 characters."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)

    def __init__(self, *args, clusters: Sequence = (), default=None, **kwargs):
        """``clusters``: those the team may use; a choice is offered when there are several.
        The namespace stays on the chosen cluster for its whole life."""
        super().__init__(*args, **kwargs)
        self._clusters = {cluster.name: cluster for cluster in clusters}
        if len(self._clusters) > 1:
            default_label = (
                _("The team's default (%(cluster)s)") % {"cluster": default.name}
                if default is not None
                else _("The team's default")
            )
            self.fields["cluster"] = forms.ChoiceField(
                label=_("Cluster"),
                choices=[("", default_label), *((name, name) for name in self._clusters)],
                required=False,
                help_text=_("Where the namespace runs, for its whole life (it cannot be moved later)."),
            )

    def clean_cluster(self):
        return self._clusters.get(self.cleaned_data["cluster"])


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    team_role = forms.ChoiceField(label=_("Team role"), choices=TeamRole.choices, initial=TeamRole.MEMBER)
    namespace: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Namespace"),
        empty_label=_("No namespace"),
        help_text=_("Optional."),
    )
    namespace_role = forms.ChoiceField(
        label=_("Namespace role"), choices=[("", "—"), *NamespaceRole.choices], required=False
    )

    language = forms.ChoiceField(
        label=_("Invitation language"),
        required=False,
        help_text=_("The language of the email and of the pages its link opens."),
    )

    def __init__(self, *args, user, team, namespaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The invitee's own, else the language of this page")),
            *settings.LANGUAGES,
        ]
        self.fields["team_role"].choices = team_role_choices(user, team)
        self.fields["namespace"].queryset = namespaces

    def clean(self):
        data = super().clean()
        if data.get("namespace") and not data.get("namespace_role"):
            self.add_error("namespace_role", _("Choose the role in the namespace."))
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)

    def __init__(self, *args, user, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = team_role_choices(user, membership.team, current=membership.role)
        self.fields["role"].initial = membership.role


class NamespaceRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=NamespaceRole.choices)


class NamespaceMemberAddForm(forms.Form):
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Team member"), empty_label=None
    )
    role = forms.ChoiceField(label=_("Role"), choices=NamespaceRole.choices, initial=NamespaceRole.DEVELOPER)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        self.fields["member"].label_from_instance = lambda m: m.user.email


class TransferOwnershipForm(forms.Form):
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("New owner"), empty_label=None
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        self.fields["member"].label_from_instance = lambda m: f"{m.user.email} ({m.get_role_display()})"


class ConfirmNameForm(forms.Form):
    """Destructive actions on named things ask for the name to be typed."""

    confirm_name = forms.CharField(label=_("Type the name to confirm"))

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm_name(self):
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.expected:
            raise ValidationError(_("Type '%(name)s' exactly to confirm.") % {"name": self.expected})
        return value


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        help_text=_("Prefix, e.g. 'member.' or 'namespace.created'."),
    )
    actor = forms.CharField(
        label=_("Actor"), required=False, max_length=254, help_text=_("Part of the actor's email.")
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. 'CI deploys'.")
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires in (days)"),
        min_value=1,
        max_value=limits.MAX_API_TOKEN_DAYS,
        required=False,
        initial=DEFAULT_TOKEN_DAYS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request: a lazy string with % would be fixed in English at import.
        self.fields["expires_in_days"].help_text = _("%(days)s unless you change it; empty: never.") % {
            "days": DEFAULT_TOKEN_DAYS
        }


class TeamRenameForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Team name"))


class TeamTimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        label=_("Billing time zone"),
        help_text=_("Your billing day runs from midnight to midnight here."),
    )
    confirm = forms.BooleanField(required=False, label=_("Change it although the current day is affected"))


class TrustRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who you are and what you run: trusted teams may use plain containers (runc)."),
    )


class TeamDeleteForm(forms.Form):
    confirm_slug = forms.CharField(max_length=50, label=_("Type the team's address to confirm"))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Same as the browser")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = [("", "UTC"), *((name, name) for name in time_zone_names())]
