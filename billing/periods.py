"""Time boundaries: a team's local day and month as [start, end) instants in UTC.

Pure functions over ``zoneinfo``; a daylight-saving day is 23 or 25 hours long.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_midnight_utc(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def day_window(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of ``day`` in ``tz_name``, as UTC instants."""
    return local_midnight_utc(day, tz_name), local_midnight_utc(day + timedelta(days=1), tz_name)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_window(month: date, tz_name: str) -> tuple[datetime, datetime]:
    return local_midnight_utc(month_start(month), tz_name), local_midnight_utc(next_month(month), tz_name)


def local_date(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(ZoneInfo(tz_name)).date()


def hours_in(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 3600)


def floor_hour(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(instant: datetime) -> datetime:
    floored = floor_hour(instant)
    return floored if floored == instant else floored + timedelta(hours=1)


def existed_hours(
    created_at: datetime | None, deleted_at: datetime | None, start: datetime, end: datetime
) -> int:
    """Hours of [start, end) a namespace existed (a creation time after the window means
    'unknown': the whole window)."""
    lo = start if created_at is None or created_at >= end else max(start, floor_hour(created_at))
    hi = end if deleted_at is None else min(end, ceil_hour(deleted_at))
    return max(0, hours_in(lo, hi))


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive, in order (empty when first > last)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
