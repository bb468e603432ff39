"""Late usage: find billed days whose usage changed after they were billed.

The rollup stamps ``UsageHourly.updated_at`` when it changes a row. Each hourly run looks at
the rows stamped since the previous run looked (``BillRun.usage_checked_until``) and flags
the ``BilledDay`` their hour falls in when the change is newer than the usage that day was
billed from. Flagged days are billed again by the same run: re-rated while their month is
open, adjusted (lines pointing to the originals) once it is finalized.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max, Min, Q

from billing.models import BilledDay, BillRun
from billing.rating import SOURCE_METRICS, STORAGE_CLASS_METRIC
from metering.models import UsageHourly

# The rollup stamps ``updated_at`` before its transaction commits, so a row stamped shortly
# before a read may only become visible after it. Reads are dated this much earlier.
ROLLUP_COMMIT_MARGIN = timedelta(minutes=5)


def _checked_since() -> datetime | None:
    """Where to resume: the previous run's mark, or the oldest billed day's usage time."""
    previous = BillRun.objects.aggregate(t=Max("usage_checked_until"))["t"]
    if previous is not None:
        return previous - ROLLUP_COMMIT_MARGIN
    return BilledDay.objects.aggregate(t=Min("usage_as_of"))["t"]


def usage_changes_flag(*, now: datetime) -> tuple[datetime, int]:
    """Flag billed days with usage rows changed after they were billed.

    Returns the instant changes were looked for up to (for ``BillRun.usage_checked_until``)
    and the number of days newly flagged.
    """
    since = _checked_since()
    if since is None:  # nothing billed yet, so nothing can be late
        return now, 0
    changed: dict[int, dict[datetime, datetime]] = defaultdict(dict)
    for team_id, hour, updated in (
        UsageHourly.objects.filter(updated_at__gt=since, metric__in=[*SOURCE_METRICS, STORAGE_CLASS_METRIC])
        .values_list("namespace__team_id", "hour")
        .annotate(updated=Max("updated_at"))
        .order_by()
    ):
        changed[team_id][hour] = updated
    if not changed:
        return now, 0
    first = min(hour for hours in changed.values() for hour in hours)
    last = max(hour for hours in changed.values() for hour in hours)
    latest: dict[int, datetime] = {}  # BilledDay id -> newest change inside its window
    for billed in BilledDay.objects.filter(
        team_id__in=changed, window_end__gt=first, window_start__lte=last
    ).only("pk", "team_id", "window_start", "window_end", "usage_as_of"):
        for hour, updated in changed[billed.team_id].items():
            if billed.window_start <= hour < billed.window_end and updated > billed.usage_as_of:
                latest[billed.pk] = max(updated, latest.get(billed.pk, updated))
    flagged = 0
    for pk, updated in latest.items():
        # Conditional, so a concurrent re-bill or a newer flag is never overwritten.
        flagged += BilledDay.objects.filter(
            Q(usage_changed_at__isnull=True) | Q(usage_changed_at__lt=updated),
            pk=pk,
            usage_as_of__lt=updated,
        ).update(usage_changed_at=updated)
    return now, flagged
