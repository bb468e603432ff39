from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from tenants.adapters import provision_if_verified

        user_signed_up.connect(provision_if_verified, dispatch_uid="tenants.provision_if_verified")
