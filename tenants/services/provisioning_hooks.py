"""The seam between console changes and the cluster workers.

Every change that alters what a namespace should look like on the cluster calls
``namespace_changed`` inside its transaction. Once it commits, ``desired_state_changed`` is
sent; the clusters app, a floor above, connects its provisioning scheduler to it, so this
floor never imports the one that listens.
"""

from django.db import transaction
from django.dispatch import Signal

from tenants.models import Namespace

# Sent after commit with ``namespace_id``: the namespace's desired state on its cluster changed.
desired_state_changed = Signal()
# Sent after commit: something runtime selection depends on (a team's trust level) changed;
# metering re-selects every namespace's runtime (connected in ``MeteringConfig.ready``).
runtime_inputs_changed = Signal()


def namespace_changed(namespace: Namespace) -> None:
    namespace_id = namespace.pk

    def announce() -> None:
        desired_state_changed.send(sender=Namespace, namespace_id=namespace_id)

    transaction.on_commit(announce)


def runtime_inputs_changed_on_commit() -> None:
    transaction.on_commit(lambda: runtime_inputs_changed.send(sender=Namespace))
