"""manage.py reconcile: synchronous provisioning with one line per namespace and an exit status."""

import io

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Namespace, NamespaceStatus

pytestmark = pytest.mark.django_db


def reconcile(*args) -> str:
    out = io.StringIO()
    call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_one_namespace_is_provisioned(world, cluster):
    out = reconcile("--namespace", "acme-dev")
    assert out.strip() == "acme-dev: applied"
    assert Namespace.objects.get(name="acme-dev").status == NamespaceStatus.READY
    assert cluster.get_object("v1", "Namespace", "acme-dev") is not None
    assert cluster.get_object("v1", "Namespace", "globex-prod") is None


def test_all_live_namespaces_and_then_nothing_is_due(world, cluster):
    assert reconcile("--all").splitlines() == ["acme-dev: applied", "globex-prod: applied"]
    assert reconcile("--all").splitlines() == ["acme-dev: unchanged", "globex-prod: unchanged"]
    assert reconcile() == "Nothing to reconcile.\n"


def test_by_default_the_due_namespaces_are_reconciled(world, cluster):
    assert sorted(reconcile().splitlines()) == ["acme-dev: applied", "globex-prod: applied"]


def test_failures_are_printed_and_exit_non_zero(world, cluster):
    cluster.fail_next(100, 403, message="the console lost its ClusterRoleBinding")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 2 namespace"):
        call_command("reconcile", "--all", stdout=out)
    assert "acme-dev: failed (the console lost its ClusterRoleBinding)" in out.getvalue()
    assert Namespace.objects.get(name="acme-dev").status == NamespaceStatus.ERROR


def test_transient_errors_count_as_failures(world, cluster):
    cluster.fail_next(100, 503)
    with pytest.raises(CommandError, match="1 of 1"):
        reconcile("--namespace", "acme-dev")


def test_unknown_namespace_is_an_error(world):
    with pytest.raises(CommandError, match="No live namespace called 'nope'"):
        reconcile("--namespace", "nope")


def test_exit_status_is_non_zero_from_the_shell(world, cluster):
    cluster.fail_next(100, 403)
    with pytest.raises(SystemExit) as excinfo:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "reconcile", "--all"])
    assert excinfo.value.code == 1
