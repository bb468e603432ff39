"""The lease every background job claims its work with."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clusters.models import NamespaceProvisioning
from core.claims import Lease

pytestmark = pytest.mark.django_db
LEASE = Lease("lease_owner", "lease_until")
MINUTE = timedelta(minutes=1)


def test_a_row_held_by_one_worker_is_not_taken_by_another(world):
    rows = NamespaceProvisioning.objects.filter(pk__in=[world.namespace.pk, world.other_namespace.pk])
    assert LEASE.claim(rows.filter(pk=world.namespace.pk), owner="a", duration=MINUTE) == 1
    assert LEASE.claim(rows, owner="b", duration=MINUTE) == 1  # only the free one
    assert list(LEASE.held(rows, owner="a").values_list("pk", flat=True)) == [world.namespace.pk]
    assert list(LEASE.held(rows, owner="b").values_list("pk", flat=True)) == [world.other_namespace.pk]


def test_an_expired_lease_is_free_again(world):
    row = NamespaceProvisioning.objects.filter(pk=world.namespace.pk)
    past = timezone.now() - 2 * MINUTE
    assert LEASE.claim(row, owner="crashed", duration=MINUTE, now=past) == 1
    assert LEASE.claim(row, owner="next", duration=MINUTE) == 1
    assert row.get().lease_owner == "next"


def test_a_worker_releases_only_its_own_lease(world):
    row = NamespaceProvisioning.objects.filter(pk=world.namespace.pk)
    LEASE.claim(row, owner="a", duration=MINUTE)
    assert LEASE.release(row, owner="b") == 0
    assert row.get().lease_owner == "a"
    assert LEASE.release(row, owner="a") == 1
    assert (row.get().lease_owner, row.get().lease_until) == ("", None)
    assert LEASE.claim(row, owner="b", duration=MINUTE) == 1
