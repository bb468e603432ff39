from allauth.account.adapter import DefaultAccountAdapter

from tenants.services.teams import personal_team_create


class AccountAdapter(DefaultAccountAdapter):
    """Gives every new account its personal team and namespace (unless switched off)."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            personal_team_create(user=user)
        return user
