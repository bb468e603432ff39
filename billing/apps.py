from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing.selectors import namespace_suspended
        from clusters.provisioning import provide_spec_input

        provide_spec_input("suspended", namespace_suspended)
