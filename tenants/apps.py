from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import password_reset
        from allauth.mfa.signals import authenticator_removed
        from django.contrib.auth.signals import user_logged_in

        from tenants.account_security import (
            grace_from_first_sign_in,
            revoke_after_password_reset,
            revoke_after_two_factor_removed,
        )
        from tenants.locale import remember_preferences_at_login

        user_logged_in.connect(remember_preferences_at_login, dispatch_uid="tenants.locale.login")
        user_logged_in.connect(grace_from_first_sign_in, dispatch_uid="tenants.two_factor.grace")
        password_reset.connect(revoke_after_password_reset, dispatch_uid="tenants.revoke.password_reset")
        authenticator_removed.connect(
            revoke_after_two_factor_removed, dispatch_uid="tenants.revoke.two_factor_removed"
        )
