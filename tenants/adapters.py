from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from tenants.services.teams import personal_team_create

# Set by the invitation pages when a visitor signs up or in from an invitation link.
SESSION_INVITATION_TOKEN = "tenantry_invitation_token"  # noqa: S105 - a session key, not a secret


class AccountAdapter(DefaultAccountAdapter):
    """Gives every new account its personal team and namespace (unless switched off), and sends
    people who came from an invitation link back to it after signing up or in."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            personal_team_create(user=user)
        return user

    def get_signup_redirect_url(self, request):
        return self._invitation_url(request) or super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request):
        return self._invitation_url(request) or super().get_login_redirect_url(request)

    def _invitation_url(self, request) -> str | None:
        token = request.session.get(SESSION_INVITATION_TOKEN)
        return reverse("invitation_accept", args=[token]) if token else None
