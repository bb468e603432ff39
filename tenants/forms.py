"""Forms for the console pages. They validate input shape; services enforce the rules."""

from django import forms
from django.core.exceptions import ValidationError

from core import limits
from tenants import permissions
from tenants.models import DNS1123_LABEL, NamespaceRole, TeamRole
from tenants.services.tokens import DEFAULT_TOKEN_DAYS


def team_role_choices(user, team, *, current: str | None = None) -> list[tuple[str, str]]:
    """The team roles this user may hand out (managers cannot grant or take away owner)."""
    return [
        (value, label)
        for value, label in TeamRole.choices
        if value == current or permissions.may_assign_team_role(user, team, current=current, new=value)
    ]


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.CharField(
        label="Address",
        max_length=50,
        required=False,
        validators=[DNS1123_LABEL],
        help_text="Used in URLs. Leave empty to derive it from the name.",
    )


class NamespaceCreateForm(forms.Form):
    name = forms.CharField(
        max_length=63,
        validators=[DNS1123_LABEL],
        help_text="Kubernetes name: lowercase letters, digits and '-', at most 63 characters.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    display_name = forms.CharField(max_length=100, required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField()
    team_role = forms.ChoiceField(label="Team role", choices=TeamRole.choices, initial=TeamRole.MEMBER)
    namespace: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="No namespace", help_text="Optional."
    )
    namespace_role = forms.ChoiceField(
        label="Namespace role", choices=[("", "—"), *NamespaceRole.choices], required=False
    )

    def __init__(self, *args, user, team, namespaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team_role"].choices = team_role_choices(user, team)
        self.fields["namespace"].queryset = namespaces

    def clean(self):
        data = super().clean()
        if data.get("namespace") and not data.get("namespace_role"):
            self.add_error("namespace_role", "Choose the role in the namespace.")
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=TeamRole.choices)

    def __init__(self, *args, user, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = team_role_choices(user, membership.team, current=membership.role)
        self.fields["role"].initial = membership.role


class NamespaceRoleForm(forms.Form):
    role = forms.ChoiceField(choices=NamespaceRole.choices)


class NamespaceMemberAddForm(forms.Form):
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label="Team member", empty_label=None
    )
    role = forms.ChoiceField(choices=NamespaceRole.choices, initial=NamespaceRole.DEVELOPER)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        self.fields["member"].label_from_instance = lambda m: m.user.email


class TransferOwnershipForm(forms.Form):
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label="New owner", empty_label=None
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        self.fields["member"].label_from_instance = lambda m: f"{m.user.email} ({m.get_role_display()})"


class ConfirmNameForm(forms.Form):
    """Destructive actions on named things ask for the name to be typed."""

    confirm_name = forms.CharField(label="Type the name to confirm")

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm_name(self):
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.expected:
            raise ValidationError(f"Type '{self.expected}' exactly to confirm.")
        return value


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        required=False, max_length=64, help_text="Prefix, e.g. 'member.' or 'namespace.created'."
    )
    actor = forms.CharField(required=False, max_length=254, help_text="Part of the actor's email.")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'CI deploys'.")
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=limits.MAX_API_TOKEN_DAYS,
        required=False,
        initial=DEFAULT_TOKEN_DAYS,
        help_text=f"{DEFAULT_TOKEN_DAYS} unless you change it; empty: never.",
    )


class TeamRenameForm(forms.Form):
    name = forms.CharField(max_length=100, label="Team name")


class TeamTimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        label="Billing time zone",
        help_text="Your billing day runs from midnight to midnight here.",
    )
    confirm = forms.BooleanField(required=False, label="Change it although the current day is affected")


class TrustRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who you are and what you run: trusted teams may use plain containers (runc).",
    )


class TeamDeleteForm(forms.Form):
    confirm_slug = forms.CharField(max_length=50, label="Type the team's address to confirm")
