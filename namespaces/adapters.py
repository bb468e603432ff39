from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse
from django.utils import translation

from namespaces.services import personal_team_create
from tenants.locale import recipient_locale, supported_language, user_for_email
from tenants.selectors import user_has_verified_email
from tenants.services.preferences import preferences_set
from tenants.views.invitations import SESSION_INVITATION_TOKEN


class AccountAdapter(DefaultAccountAdapter):
    """Gives an account its personal team and namespace once its email address is verified
    (never at signup: an unverified address gets nothing on the cluster), and sends people who
    came from an invitation link back to it after signing up or in. A new account keeps the
    language it signed up in; account emails go out in the recipient's language."""

    def confirm_email(self, request, email_address) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            personal_team_create(user=email_address.user)
        return confirmed

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        language = supported_language(translation.get_language())
        if commit and language:
            preferences_set(user=user, language=language)
        return user

    def send_mail(self, template_prefix, email, context):
        user = context.get("user") or user_for_email(email)
        with recipient_locale(user, default_language=translation.get_language() or ""):
            super().send_mail(template_prefix, email, context)

    def get_signup_redirect_url(self, request):
        return self._invitation_url(request) or super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request):
        return self._invitation_url(request) or super().get_login_redirect_url(request)

    def _invitation_url(self, request) -> str | None:
        token = request.session.get(SESSION_INVITATION_TOKEN)
        return reverse("invitation_accept", args=[token]) if token else None


def provision_if_verified(*, user, **kwargs) -> None:
    """``user_signed_up`` receiver: an address verified at signup (vouched for by a single
    sign-on provider, or by the invitation link it came from) counts as confirmed."""
    if user_has_verified_email(user=user, email=user.email):
        personal_team_create(user=user)
