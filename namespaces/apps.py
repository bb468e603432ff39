from django.apps import AppConfig


class NamespacesConfig(AppConfig):
    """The namespace lifecycle: pages, services and API that bring tenancy, clusters and metering
    together (creating a namespace checks its name on the cluster and gives it a quota)."""

    name = "namespaces"
