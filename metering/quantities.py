"""Kubernetes quantity notation (``500m``, ``2Gi``, ``1.5``) to base units and back.

CPU is held in millicores, memory and storage in bytes, everything else as plain counts.
Parsing follows the apimachinery grammar; fractional results round up like the API server.
"""

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
# An exponent of at most three digits: 1e999 is already past any bound, and beyond the Decimal
# context's limits (1e999999) the arithmetic below would overflow instead of saying so.
_QUANTITY = re.compile(
    r"^\+?(?P<number>\d+(\.\d*)?|\.\d+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?\d{1,3})?$"
)
MAX_BASE_UNITS = 2**62

CPU = "cpu"
BYTES = "bytes"
COUNT = "count"


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """A quantity as an exact Decimal in its own unit (``500m`` → 0.5, ``1Ki`` → 1024)."""
    if isinstance(value, bool):
        raise ValidationError(_("A quantity, not true or false."), code="invalid_quantity")
    if isinstance(value, int | Decimal):
        if value < 0:
            raise ValidationError(_("Must not be negative."), code="negative")
        return Decimal(value)
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise ValidationError(
            _("'%(value)s' is not a Kubernetes quantity (examples: 500m, 2, 1.5, 512Mi, 10Gi)."),
            params={"value": text},
            code="invalid_quantity",
        )
    try:
        number = Decimal(match["number"])
    except InvalidOperation as exc:  # pragma: no cover - the pattern only admits digits
        raise ValidationError(_("Not a number."), code="invalid_quantity") from exc
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


def parse(value: str | int | Decimal, kind: str) -> int:
    """Base units for ``kind``: millicores for CPU, bytes for BYTES, whole numbers for COUNT."""
    amount = parse_decimal(value)
    if kind == CPU:
        amount *= 1000
    elif kind == COUNT and amount != amount.to_integral_value():
        raise ValidationError(_("Must be a whole number."), code="not_whole")
    result = int(amount.to_integral_value(rounding=ROUND_CEILING))
    if result > MAX_BASE_UNITS:
        raise ValidationError(_("That is more than any cluster has."), code="too_large")
    return result


def format_quantity(amount: int | None, kind: str) -> str:
    """Back to the notation people type: ``500m``/``2`` for CPU, ``512Mi``/``10Gi`` for bytes."""
    if amount is None:
        return ""
    amount = int(amount)
    if kind == CPU:
        return str(amount // 1000) if amount % 1000 == 0 else f"{amount}m"
    if kind == BYTES and amount:
        for suffix, size in reversed(_BINARY.items()):
            if amount % size == 0:
                return f"{amount // size}{suffix}"
    return str(amount)


def humanize(amount: Decimal | int | float | None, kind: str) -> str:
    """An approximate, readable form for measured values (``1.5 GiB``, ``0.25 cores``)."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    if kind == CPU:
        return _("%(cores)s cores") % {"cores": f"{value:.2f}"}
    if kind == BYTES:
        for suffix, size in reversed(_BINARY.items()):
            if abs(value) >= size:
                return f"{value / size:.1f} {suffix}B"
        return f"{value:.0f} B"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _trimmed(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def readable(amount: int | None, kind: str) -> str:
    """Base units for people, always with a unit: ``8 cores``, ``0.25 cores``, ``96 GiB``, ``4.04 GiB``.

    Binary units for bytes (KiB to EiB, whichever keeps the number at or above 1), cores for CPU.
    """
    if amount is None:
        return ""
    value = Decimal(int(amount))
    if kind == CPU:
        cores = value / 1000
        return ngettext("%(cores)s core", "%(cores)s cores", 1 if cores == 1 else 2) % {
            "cores": _trimmed(cores)
        }
    if kind == BYTES:
        for suffix, size in reversed(_BINARY.items()):
            if value >= size:
                return f"{_trimmed(value / size)} {suffix}B"
        return f"{value} B"
    return str(int(value))
