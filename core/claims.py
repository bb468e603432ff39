"""The one way background work is claimed: a lease taken by a conditional UPDATE.

A worker takes rows by writing its token and an expiry into them, only where no live lease is
written already. The UPDATE is atomic on every database, so two workers never both take a
row; no lock is held while the work runs (it may talk to a cluster for minutes); a crashed
worker's lease simply runs out; a worker that is done clears its own lease, never another's.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone


def new_owner() -> str:
    """A worker's token for one piece of work."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Lease:
    """The two columns of a model that hold its lease: who holds it and until when."""

    owner_field: str = "lease_owner"
    until_field: str = "lease_until"

    def free(self, now: datetime) -> Q:
        """Rows nobody holds: never leased, released, or the holder's time ran out."""
        return Q(**{f"{self.until_field}__isnull": True}) | Q(**{f"{self.until_field}__lt": now})

    def claim(
        self, queryset: QuerySet, *, owner: str, duration: timedelta, now: datetime | None = None
    ) -> int:
        """Take every free row of ``queryset`` for ``owner`` until ``now + duration``; how many."""
        now = now or timezone.now()
        return queryset.filter(self.free(now)).update(
            **{self.owner_field: owner, self.until_field: now + duration}
        )

    def held(self, queryset: QuerySet, *, owner: str) -> QuerySet:
        """The rows of ``queryset`` that ``owner`` holds (what ``claim`` took)."""
        return queryset.filter(**{self.owner_field: owner})

    def release(self, queryset: QuerySet, *, owner: str) -> int:
        """Give back the rows of ``queryset`` that ``owner`` holds."""
        return self.held(queryset, owner=owner).update(**{self.owner_field: "", self.until_field: None})
