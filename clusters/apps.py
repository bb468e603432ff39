from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clusters import tasks
        from tenants.services.provisioning_hooks import desired_state_changed

        desired_state_changed.connect(tasks.provision_on_change, dispatch_uid="clusters.provision_on_change")
