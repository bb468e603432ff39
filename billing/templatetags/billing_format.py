"""Template filters that show money in its currency's minor unit and quantities with units."""

from decimal import Decimal

from django import template

from billing.models import UNIT_FOR_METRIC, BillingMetric
from billing.money import format_amount

register = template.Library()


@register.filter
def minor(amount, currency: str) -> str:
    """``{{ line.amount|minor:line.currency }}``: 3.204 for KWD, 322 for JPY, 0.96 for USD.

    A missing value (``account.balance`` of a team without an account yet) shows as zero."""
    return format_amount(None if amount == "" else amount, currency)


@register.filter(name="normalize")
def plain(value) -> str:
    """A quantity or price without trailing zeros or an exponent (24.000000 -> 24)."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def with_unit(quantity, metric: str) -> str:
    """``{{ line.quantity|with_unit:line.metric }}``: 24 core-h, 1.5 GiB-h, 3 GiB."""
    if quantity is None:
        return "—"
    return f"{plain(quantity)} {UNIT_FOR_METRIC[BillingMetric(metric)]}"


@register.filter
def metric_label(metric: str) -> str:
    """``{{ row.metric|metric_label }}``: the metric's name in the page's language."""
    return str(BillingMetric(metric).label)
