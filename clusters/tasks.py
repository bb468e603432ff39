"""Celery tasks that drive the cluster. Thin: take ids, load, call a service."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def schedule_provisioning(namespace_id: int) -> None:
    """Called on commit of any change to a namespace's desired state.

    If the broker is unreachable the change is already committed and the namespace's
    desired state differs from what was applied, so the periodic reconcile picks it up.
    """
    try:
        provision_namespace.delay(namespace_id)
    except OperationalError:
        logger.warning(
            "broker unreachable; namespace %s will be provisioned by the next reconcile", namespace_id
        )


@shared_task(name="clusters.provision_namespace")
def provision_namespace(namespace_id: int) -> None:
    from clusters.provisioning import namespace_provision

    namespace_provision(namespace_id=namespace_id)
