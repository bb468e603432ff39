"""Run the Kubernetes API emulator in the foreground for local development."""

import json
import threading
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from kubeemu.registry import resource_of_kind
from kubeemu.server import KubeEmulator

DEMO_RUNTIMES = {"gvisor": "runsc", "kata-qemu": "kata-qemu", "kata-fc": "kata-fc", "kata-clh": "kata-clh"}
SAVE_INTERVAL = 2.0


class Command(BaseCommand):
    help = "Serve the Kubernetes API emulator and write an admin kubeconfig for it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=6443)
        parser.add_argument(
            "--kubeconfig", default="var/kubeemu.kubeconfig", help="admin kubeconfig to write"
        )
        parser.add_argument("--state-file", default="", help="JSON file to load state from and save it to")
        parser.add_argument("--admin-token", default="", help="fixed admin token (default: random)")
        parser.add_argument("--nodes", type=int, default=3, help="nodes to seed in an empty cluster")
        parser.add_argument("--verbose", action="store_true", help="log every request")
        parser.add_argument(
            "--plain-http",
            action="store_true",
            help="serve HTTP instead of HTTPS (kubectl will then not send the tokens of kubeconfigs)",
        )
        parser.add_argument(
            "--no-demo-runtimes", action="store_true", help="do not seed the catalog's RuntimeClasses"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        emulator = KubeEmulator(
            options["host"],
            options["port"],
            admin_token=options["admin_token"] or None,
            verbose=options["verbose"],
            tls=not options["plain_http"],
        )
        state_file = Path(options["state_file"]) if options["state_file"] else None
        if state_file and state_file.exists():
            emulator.store.restore(json.loads(state_file.read_text()))
        else:
            self._seed(emulator, options)
        emulator.start()
        kubeconfig = emulator.write_kubeconfig(options["kubeconfig"])
        self.stdout.write(f"Kubernetes API emulator at {emulator.url}")
        self.stdout.write(f"Admin kubeconfig: {kubeconfig}")
        stopped = threading.Event()
        saved_revision = None
        try:
            while not stopped.wait(SAVE_INTERVAL):
                if state_file and emulator.store.revision != saved_revision:
                    saved_revision = emulator.store.revision
                    self._save(emulator, state_file)
        except KeyboardInterrupt:
            pass
        finally:
            if state_file:
                self._save(emulator, state_file)
            emulator.stop()

    def _seed(self, emulator: KubeEmulator, options: dict[str, Any]) -> None:
        for index in range(options["nodes"]):
            allocatable = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
            emulator.add_node(f"node-{index + 1}", allocatable)
        if options["no_demo_runtimes"]:
            return
        runtime_classes = resource_of_kind("node.k8s.io/v1", "RuntimeClass")
        for name, handler in DEMO_RUNTIMES.items():
            body = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": name}}
            body["handler"] = handler
            emulator.objects.create(runtime_classes, "", body, manager="kubeemu", dry_run=False)

    def _save(self, emulator: KubeEmulator, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(emulator.store.snapshot()))
        temporary.replace(path)
