from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "metering"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clusters.provisioning import provide_spec_input
        from metering import tasks
        from metering.runtime_selection import (
            namespace_min_isolation,
            namespace_needs_gpu,
            namespace_runtime_choice,
        )
        from metering.selectors import namespace_quota_hard
        from tenants.services.provisioning_hooks import runtime_inputs_changed

        provide_spec_input("runtime", namespace_runtime_choice)
        provide_spec_input("quota_overrides", namespace_quota_hard)
        provide_spec_input("min_isolation", namespace_min_isolation)
        provide_spec_input("needs_gpu", namespace_needs_gpu)
        runtime_inputs_changed.connect(tasks.refresh_on_change, dispatch_uid="metering.refresh_on_change")
