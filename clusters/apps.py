from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from clusters import tasks
        from clusters.connections import create_default_cluster
        from clusters.models import Cluster
        from domains.apps_domains import provide_cluster_apps_domains
        from tenants.services.accounts import credentials_revoked
        from tenants.services.provisioning_hooks import desired_state_changed

        provide_cluster_apps_domains(
            lambda: Cluster.objects.exclude(apps_domain="").values_list("apps_domain", flat=True).distinct()
        )
        desired_state_changed.connect(tasks.provision_on_change, dispatch_uid="clusters.provision_on_change")
        credentials_revoked.connect(
            tasks.revoke_on_credentials_revoked, dispatch_uid="clusters.revoke_on_credentials_revoked"
        )
        post_migrate.connect(
            create_default_cluster, sender=self, dispatch_uid="clusters.create_default_cluster"
        )
