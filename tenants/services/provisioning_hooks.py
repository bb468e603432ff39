"""The seam between console changes and the cluster workers.

Every change that alters what a namespace should look like on the cluster calls
``namespace_changed`` inside its transaction; the provisioning task runs after commit.
"""

from django.db import transaction

from tenants.models import Namespace


def namespace_changed(namespace: Namespace) -> None:
    namespace_id = namespace.pk

    def enqueue() -> None:
        from clusters.tasks import schedule_provisioning

        schedule_provisioning(namespace_id)

    transaction.on_commit(enqueue)
