from django.apps import AppConfig


class NamespacesConfig(AppConfig):
    """The namespace lifecycle: pages, services and API that bring tenancy, clusters and metering
    together (creating a namespace checks its name on the cluster and gives it a quota)."""

    name = "namespaces"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from namespaces.adapters import provision_if_verified

        user_signed_up.connect(provision_if_verified, dispatch_uid="namespaces.provision_if_verified")
