"""Demo data for `make run`: people, teams, namespaces, two weeks of usage, bills and a
quota request, so every page of a fresh console has something to show.

``demo_load`` is idempotent: a second run finds everything and writes nothing new.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from console.demo.cluster import cluster_seed
from console.demo.money import billing_ensure
from console.demo.people import DEMO_PASSWORD, DOMAIN, Cast, cast_ensure
from console.demo.usage import history_write

__all__ = ["DEMO_PASSWORD", "DOMAIN", "DemoSummary", "demo_load"]


@dataclass
class DemoSummary:
    cast: Cast
    lines: list[str] = field(default_factory=list)


def demo_load(*, now: datetime, seed_cluster: bool = True) -> DemoSummary:
    """Create (or keep) the demo data; the emulator is seeded after the database commits."""
    with transaction.atomic():
        cast = cast_ensure(now=now)
        history = history_write(namespaces=cast.namespaces, now=now)
        billing = billing_ensure(finance=cast.finance, teams=cast.teams, now=now)
    summary = DemoSummary(cast=cast)
    teams = ", ".join(f"{t.slug} ({t.trust_level}, {t.billing_mode})" for t in cast.teams)
    summary.lines.append(f"Teams: {teams}; {cast.created} teams or namespaces created now")
    summary.lines.append(
        f"Usage history: {history.namespaces} namespaces written ({history.hourly} hourly rows, "
        f"{history.samples} samples), {history.skipped} already had theirs"
    )
    book = billing.price_book
    summary.lines.append(
        f"Billing: price book {book} ({'created' if billing.price_book_created else 'kept'}), "
        f"{billing.topups} top-ups, {billing.lines} charge lines written, {billing.finalized} statements finalized"
    )
    request = cast.quota_request
    summary.lines.append(
        f"Quota request #{request.pk} for {request.namespace.name}: {request.get_status_display().lower()}"
    )
    summary.lines.append(
        "Cluster: " + (cluster_seed(namespaces=cast.namespaces, now=now) if seed_cluster else "not asked")
    )
    return summary
