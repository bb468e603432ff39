"""`make run` (devstack): emailed links follow the port it really serves on, and the emulator
moves to a free port when 6443 is taken (kind, k3d, minikube)."""

import contextlib
import io
import socket

import kubernetes
import pytest
from django.core import mail
from django.utils import timezone

from console.management.commands.devstack import EMULATOR_PORT, Command, child_environment
from tenants.services.invitations import invitation_create


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8123, "http://127.0.0.1:8123"),  # noqa: S104 - listening everywhere
        ("console.local", 8000, "http://console.local:8000"),
    ],
)
def test_the_children_get_the_url_the_web_server_listens_on(host, port, expected):
    env = child_environment({"PATH": "/usr/bin"}, host=host, port=port)
    assert env == {"PATH": "/usr/bin", "SITE_URL": expected}


def test_a_site_url_set_from_outside_is_kept():
    env = child_environment({"SITE_URL": "https://console.example.org"}, host="127.0.0.1", port=9000)
    assert env["SITE_URL"] == "https://console.example.org"


@pytest.mark.django_db
def test_the_invitation_email_links_to_the_site_url(world, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://127.0.0.1:9000"
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=world.owner, team=world.team, email="new@example.org", now=timezone.now())
    assert "http://127.0.0.1:9000/invitations/" in mail.outbox[-1].body


def test_emulator_moves_to_a_free_port_when_6443_is_taken(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken by something else: just as good
            holder.bind(("127.0.0.1", EMULATOR_PORT))
            holder.listen()
        command = Command(stdout=io.StringIO())
        command.children = []
        stack.callback(command._stop_all)
        env = command._start_emulator()
        url = env["KUBE_EMULATOR_URL"]
        assert not url.endswith(f":{EMULATOR_PORT}")
        assert f"port {EMULATOR_PORT} is taken" in command.stdout.getvalue()
        assert url in command.stdout.getvalue()
        with kubernetes.config.new_client_from_config(env["KUBECONFIG"]) as client:
            assert kubernetes.client.VersionApi(client).get_code().git_version
