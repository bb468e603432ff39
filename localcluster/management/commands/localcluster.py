"""Run the local control plane in the foreground (``make run CLUSTER=local`` starts it)."""

import shutil
import signal
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clusters.kube.gateway import KubeGateway
from localcluster import gatewayapi
from localcluster.binaries import BUILD_HINT, binaries
from localcluster.identity import prepare
from localcluster.launcher import LocalCluster, LocalClusterError


def _publish(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` atomically: whoever waits for the file never reads half of it."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    partial.replace(target)


class Command(BaseCommand):
    help = "Start etcd, kube-apiserver and kube-controller-manager on loopback until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        var = Path(settings.VAR_DIR)
        parser.add_argument(
            "--kubeconfig",
            default=str(var / "localcluster.kubeconfig"),
            help="where to write the console's kubeconfig (its own ServiceAccount, not an admin)",
        )
        parser.add_argument(
            "--admin-kubeconfig",
            default=str(var / "localcluster-admin.kubeconfig"),
            help="where to write the cluster administrator's kubeconfig (system:masters)",
        )

    def handle(self, *args: Any, kubeconfig: str, admin_kubeconfig: str, **options: Any) -> None:
        bins = binaries()
        if bins.missing():
            raise CommandError(f"Kubernetes {bins.kube_version} is not built: {BUILD_HINT}.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        written = [Path(kubeconfig), Path(admin_kubeconfig)]
        cluster = LocalCluster(bins, log=self.stdout.write)
        try:
            cluster.start()
            console_kubeconfig = prepare(cluster)
            if gatewayapi.fetched():  # `make run CLUSTER=local` fetches them
                admin = KubeGateway.from_kubeconfig(str(cluster.admin_kubeconfig))
                gatewayapi.install(admin)
                admin.close()
            for path in written:
                path.parent.mkdir(parents=True, exist_ok=True)
            _publish(cluster.admin_kubeconfig, written[1])
            # The console's kubeconfig last: its appearance tells devstack the cluster is ready.
            _publish(console_kubeconfig, written[0])
            self.stdout.write(
                self.style.SUCCESS(
                    f"kube-apiserver {bins.kube_version} at {cluster.url}\n"
                    f"  console kubeconfig: {written[0]}\n"
                    f"  admin kubeconfig:   {written[1]}  (kubectl: {bins.kubectl})"
                )
            )
            while True:
                time.sleep(1)
        except LocalClusterError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            pass
        finally:
            for path in written:
                path.unlink(missing_ok=True)
            cluster.stop()
