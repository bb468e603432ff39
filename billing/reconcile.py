"""What a re-rated team-day changes, as a pure function (no database): ``day_plan``.

A rating is reconciled against **every** line that exists for the team-day, not only the keys
the rating produced: a key that disappeared is rated zero, so less usage is credited just as
more is charged. A line in an open month is re-rated in place (its ledger entry is the
difference); a line in a finalized month is never touched: the difference between what it
should be now and what it and its earlier adjustments already billed becomes an adjustment
line pointing to it, in the next open statement. The ledger movement of every write is the
amount it adds to the bill, so the ledger always equals the sum of the current lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.models import Charge, ChargeKind, Statement

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class LineTarget:
    """What one line of a team-day should be now, from the latest rating."""

    namespace_id: int
    metric: str
    price_book_id: int
    runtime_class: str
    storage_class: str
    multiplier: Decimal | None
    unit_price: Decimal
    quantity: Decimal
    billable_quantity: Decimal
    amount: Decimal
    hours: int
    coverage: Decimal
    provisional: bool

    def values(self) -> dict:
        """The fields a re-rating may change on a line."""
        return {
            "quantity": self.quantity,
            "billable_quantity": self.billable_quantity,
            "amount": self.amount,
            "coverage": self.coverage,
            "provisional": self.provisional,
            "hours": self.hours,
        }


RERATED_FIELDS = ["quantity", "billable_quantity", "amount", "coverage", "provisional", "hours", "revision"]


@dataclass(frozen=True, slots=True)
class Adjusted:
    """What earlier adjustments already added to a finalized line."""

    count: int = 0
    amount: Decimal = ZERO
    quantity: Decimal = ZERO
    billable_quantity: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class DayFacts:
    """The team-day a plan is for, and the quantity rule it is rated with (``QuantityRule``)."""

    team_id: int
    currency: str
    day: date
    start: datetime
    end: datetime
    rule_id: int


@dataclass
class DayPlan:
    """The writes that bring a team-day's lines to a rating.

    ``inserts`` are new lines (usage lines and adjustments); those in ``to_next_open`` still
    need the next open statement. ``updates`` are re-rated open lines (fields already set).
    ``movements`` are (line, amount it adds to the bill, ledger key) for every write.
    """

    inserts: list[Charge] = field(default_factory=list)
    to_next_open: list[Charge] = field(default_factory=list)
    updates: list[Charge] = field(default_factory=list)
    movements: list[tuple[Charge, Decimal, str]] = field(default_factory=list)
    adjustments: int = 0


# What identifies a line besides its team-day, and the price terms it was rated with.
LINE_TERMS = (
    "namespace_id",
    "metric",
    "price_book_id",
    "runtime_class",
    "storage_class",
    "multiplier",
    "unit_price",
)


def vanished(old: Charge, *, coverage: Decimal, provisional: bool) -> LineTarget:
    """The target of a line whose key the rating no longer produces: zero usage."""
    return LineTarget(
        **{name: getattr(old, name) for name in LINE_TERMS},
        quantity=ZERO,
        billable_quantity=ZERO,
        amount=ZERO,
        hours=0,
        coverage=coverage,
        provisional=provisional,
    )


def _line(facts: DayFacts, key: str, target: LineTarget, **fields) -> Charge:
    return Charge(
        key=key,
        team_id=facts.team_id,
        day=facts.day,
        window_start=facts.start,
        window_end=facts.end,
        currency=facts.currency,
        rule_id=facts.rule_id,
        **{name: getattr(target, name) for name in LINE_TERMS},
        **fields,
    )


def day_plan(
    *,
    facts: DayFacts,
    targets: Mapping[str, LineTarget],
    existing: Mapping[str, Charge],
    adjusted: Mapping[str, Adjusted],
    statement: Statement,
) -> DayPlan:
    """The writes for one team-day. ``targets`` holds a target for every key to reconcile: the
    rated keys and every key of ``existing`` (the day's usage lines, with their statements);
    ``adjusted`` sums the adjustments made so far to finalized lines, by the original's key;
    ``statement`` is the day's own statement."""
    plan = DayPlan()
    for key, target in targets.items():
        old = existing.get(key)
        if old is None:
            line = _line(facts, key, target, statement=statement, **target.values())
            if not statement.is_open:  # a late line for a closed month without an original
                plan.to_next_open.append(line)
            plan.inserts.append(line)
            plan.movements.append((line, target.amount, f"{key}#r1"))
        elif old.statement.is_open:
            values = target.values()
            if any(getattr(old, name) != value for name, value in values.items()):
                delta = target.amount - old.amount
                for name, value in values.items():
                    setattr(old, name, value)
                old.revision += 1
                plan.updates.append(old)
                plan.movements.append((old, delta, f"{key}#r{old.revision}"))
        else:
            done = adjusted.get(key, Adjusted())
            delta = target.amount - old.amount - done.amount
            delta_quantity = target.quantity - old.quantity - done.quantity
            if delta == 0 and delta_quantity == 0:
                continue
            adjustment = _line(
                facts,
                f"{key}#adj{done.count + 1}",
                target,
                kind=ChargeKind.ADJUSTMENT,
                adjusts=old,
                quantity=delta_quantity,
                billable_quantity=target.billable_quantity - old.billable_quantity - done.billable_quantity,
                amount=delta,
                coverage=target.coverage,
                provisional=False,
                hours=target.hours,
            )
            plan.inserts.append(adjustment)
            plan.to_next_open.append(adjustment)
            plan.movements.append((adjustment, delta, f"{adjustment.key}#r1"))
            plan.adjustments += 1
    return plan
