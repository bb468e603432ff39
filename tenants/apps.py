from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tenants.locale import remember_preferences_at_login

        user_logged_in.connect(remember_preferences_at_login, dispatch_uid="tenants.locale.login")
