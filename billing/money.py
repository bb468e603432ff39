"""Money as ``Decimal`` with an explicit ISO 4217 currency; never float.

``Money`` refuses floats and refuses to add or compare amounts in different currencies.
Rounding happens once, at line level: half-even to the currency's minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 minor units that differ from the usual two decimals.
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def validate_currency(code: str) -> str:
    if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (three capital letters).")
    return code


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def format_amount(amount: Decimal | int | None, currency: str) -> str:
    """An amount as shown anywhere (pages, CSV, API, emails): exactly the currency's minor
    unit of decimals (0 for JPY, 3 for KWD), no exponent, no float artefacts."""
    value = Decimal(0) if amount is None else Decimal(amount)
    places = minor_unit(currency)
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):f}"


def round_line(amount: Decimal, currency: str) -> Decimal:
    """Round a line amount half-even to the currency's minor unit (the only rounding step)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"Money amounts must be Decimal, got {type(amount).__name__}")
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amounts must be Decimal, got {type(self.amount).__name__}")
        validate_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0"), currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __radd__(self, other: object) -> Money:
        if other == 0:  # lets sum() start from its default 0
            return self
        return self.__add__(other)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other).amount

    def rounded(self) -> Money:
        return Money(round_line(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{round_line(self.amount, self.currency):,} {self.currency}"


def money_sum(items, currency: str) -> Money:
    """Sum Money values, all of which must be in ``currency`` (an empty sum is zero)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
