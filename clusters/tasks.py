"""Celery tasks that drive the cluster. Thin: take ids, load, call a service."""

from celery import shared_task


def schedule_provisioning(namespace_id: int) -> None:
    """Called on commit of any change to a namespace's desired state."""
    provision_namespace.delay(namespace_id)


@shared_task(name="clusters.provision_namespace")
def provision_namespace(namespace_id: int) -> None:
    from clusters.provisioning import namespace_provision

    namespace_provision(namespace_id=namespace_id)
