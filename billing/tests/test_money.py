"""Guarantees 6 and 7: Decimal only, half-even at line level, explicit currencies."""

from decimal import Decimal

import pytest

from billing.money import CurrencyMismatch, Money, money_sum, round_line


def test_adding_different_currencies_raises():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal("1"), "USD") + Money(Decimal("1"), "EUR")
    with pytest.raises(CurrencyMismatch):
        money_sum([Money(Decimal("1"), "USD"), Money(Decimal("1"), "EUR")], "USD")
    with pytest.raises(CurrencyMismatch):
        Money(Decimal("1"), "USD") < Money(Decimal("2"), "EUR")  # noqa: B015


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_line(0.125, "USD")  # type: ignore[arg-type]


def test_currency_must_be_an_iso_code():
    with pytest.raises(ValueError):
        Money(Decimal("1"), "usd")
    with pytest.raises(ValueError):
        Money(Decimal("1"), "")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "USD", "0.12"),
        ("0.135", "USD", "0.14"),
        ("2.5", "JPY", "2"),
        ("3.5", "JPY", "4"),
        ("1.0005", "KWD", "1.000"),
        ("-0.125", "EUR", "-0.12"),
    ],
)
def test_lines_round_half_even_to_the_currency_minor_unit(amount, currency, expected):
    assert round_line(Decimal(amount), currency) == Decimal(expected)


def test_same_currency_sums_exactly():
    assert money_sum([Money(Decimal("0.1"), "USD")] * 3, "USD") == Money(Decimal("0.3"), "USD")
    assert sum([Money(Decimal("0.10"), "USD"), Money(Decimal("0.20"), "USD")]) == Money(
        Decimal("0.30"), "USD"
    )
