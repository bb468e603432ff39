"""Persona fixtures shared by every app's tests.

One team ("acme", namespace "acme-dev") holds owner, manager, member, billing and the
namespace-level personas; the outsider owns a different team ("globex", namespace
"globex-prod"). finance is in the finance group; admin is staff.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from console.celery import app as celery_app
from tests.factories import (
    NamespaceFactory,
    NamespaceMembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)

pytest_plugins = ["kubeemu.testing", "localcluster.testing", "tests.browser_plugin"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """Each test counts throttles in its own memory cache, not in the shared one under var/."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tests run tasks in-process; the broker test switches this off to use a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English and UTC: LocaleMiddleware leaves a request's language active
    in the thread (a server sets it anew per request), which would leak into the next test."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def world(db):
    team = TeamFactory(name="Acme", slug="acme", trust_level="trusted")
    namespace = NamespaceFactory(team=team, name="acme-dev")
    other_team = TeamFactory(name="Globex", slug="globex")
    other_namespace = NamespaceFactory(team=other_team, name="globex-prod")

    def member(username, role, ns_role=None):
        user = UserFactory(username=username)
        TeamMembershipFactory(team=team, user=user, role=role)
        if ns_role:
            NamespaceMembershipFactory(namespace=namespace, user=user, role=ns_role)
        return user

    outsider = UserFactory(username="outsider")
    TeamMembershipFactory(team=other_team, user=outsider, role="owner")
    finance = UserFactory(username="finance")
    finance.groups.add(Group.objects.get_or_create(name="finance")[0])
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return SimpleNamespace(
        team=team,
        namespace=namespace,
        other_team=other_team,
        other_namespace=other_namespace,
        owner=member("owner", "owner"),
        manager=member("manager", "manager"),
        member=member("member", "member"),
        billing=member("billing", "billing"),
        ns_admin=member("nsadmin", "member", "admin"),
        developer=member("developer", "member", "developer"),
        viewer=member("viewer", "member", "viewer"),
        outsider=outsider,
        finance=finance,
        admin=admin,
    )


@pytest.fixture
def cluster(kube_emulator, kube_kubeconfig, settings):
    """The default cluster is the emulator, reached through a kubeconfig like a real one."""
    from clusters.connections import forget_gateways
    from clusters.identity import forget_viewer_gateways

    settings.KUBECONFIG = str(kube_kubeconfig)
    forget_gateways()
    forget_viewer_gateways()
    yield kube_emulator
    forget_gateways()
    forget_viewer_gateways()
