"""Celery tasks that drive the cluster. Thin: take ids, load, call a service."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from kombu.exceptions import OperationalError

from clusters.bootstrap import cluster_bootstrap_check
from clusters.kube.errors import TransientKubeError
from clusters.kubeconfigs import kubeconfig_tokens_revoke
from clusters.models import Cluster
from clusters.provisioning import (
    Outcome,
    namespace_provision,
    namespace_provision_failed,
    namespaces_due_for_reconcile,
)
from clusters.services import clusters_check_connectivity

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: 1 s, 2 s, 4 s … capped at 5 minutes."""
    return random.uniform(0.5, 1.0) * min(300, 2**retries)


def schedule_provisioning(namespace_id: int, countdown: float = 0) -> None:
    """Called on commit of any change to a namespace's desired state.

    If the broker is unreachable the change is already committed and the namespace's
    desired state differs from what was applied, so the periodic reconcile picks it up.
    """
    try:
        provision_namespace.apply_async((namespace_id,), countdown=countdown)
    except OperationalError:
        logger.warning(
            "broker unreachable; namespace %s will be provisioned by the next reconcile", namespace_id
        )


def provision_on_change(sender, *, namespace_id: int, **kwargs) -> None:
    """Receives ``desired_state_changed`` (connected in ``ClustersConfig.ready``)."""
    schedule_provisioning(namespace_id)


@shared_task(bind=True, name="clusters.provision_namespace", max_retries=MAX_RETRIES)
def provision_namespace(self, namespace_id: int) -> str:
    try:
        outcome = namespace_provision(namespace_id=namespace_id)
    except TransientKubeError as exc:
        if self.request.retries >= self.max_retries:
            namespace_provision_failed(
                namespace_id=namespace_id, message=f"Gave up after {self.max_retries} retries: {exc}"
            )
            return Outcome.FAILED
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    if outcome in (Outcome.BUSY, Outcome.TERMINATING) and not self.request.is_eager:
        # Another worker holds the lease (it may have read older state), or the API server is
        # still emptying the namespace: look again shortly.
        schedule_provisioning(namespace_id, countdown=5)
    return outcome


@shared_task(name="clusters.check_bootstrap")
def check_bootstrap(cluster_id: int) -> list[str]:
    """Read one cluster's bootstrap objects and restore what is missing or changed."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    return cluster_bootstrap_check(cluster=cluster).restored if cluster is not None else []


@shared_task(name="clusters.reconcile_all")
def reconcile_all() -> int:
    """Re-check every cluster's bootstrap objects (disabled clusters too: their namespaces
    stay), then the namespaces not reconciled recently, spread over the next beat period."""
    for cluster_id in Cluster.objects.order_by("pk").values_list("pk", flat=True):
        try:
            check_bootstrap.delay(cluster_id)
        except OperationalError:
            logger.warning("broker unreachable; cluster %s is checked at the next beat", cluster_id)
    interval = timedelta(seconds=settings.TENANTRY_RECONCILE_INTERVAL_SECONDS)
    due = namespaces_due_for_reconcile(
        now=timezone.now(), interval=interval, limit=settings.TENANTRY_RECONCILE_BATCH
    )
    spread = settings.TENANTRY_RECONCILE_BEAT_SECONDS
    for namespace_id in due:
        schedule_provisioning(namespace_id, countdown=random.uniform(0, spread))
    return len(due)


@shared_task(name="clusters.check_connectivity")
def check_connectivity() -> int:
    """Record every cluster's reachability and server version; staff are told of changes."""
    return len(clusters_check_connectivity())


def revoke_on_credentials_revoked(sender, *, user_id: int, **kwargs) -> None:
    """Receives ``credentials_revoked`` (a password reset, two-factor turned off)."""
    try:
        revoke_kubeconfig_tokens.delay(user_id)
    except OperationalError:
        logger.warning("broker unreachable; revoking user %s's kubeconfig tokens in this process", user_id)
        revoke_kubeconfig_tokens.apply(args=(user_id,))


@shared_task(bind=True, name="clusters.revoke_kubeconfig_tokens", max_retries=MAX_RETRIES)
def revoke_kubeconfig_tokens(self, user_id: int, cluster_names: list[str] | None = None) -> list[str]:
    """Revoke the user's kubeconfig tokens everywhere; clusters that could not be reached are
    tried again (only they: a token issued since on the others is not revoked twice)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return []
    result = kubeconfig_tokens_revoke(user=user, cluster_names=cluster_names)
    if result.failed and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(
            args=(user_id, sorted(result.failed)), countdown=backoff_seconds(self.request.retries)
        )
    return result.revoked
