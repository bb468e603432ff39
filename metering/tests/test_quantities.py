import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from metering.amounts import parse_amounts
from metering.quantities import BYTES, COUNT, CPU, format_quantity, parse, readable


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("500m", CPU, 500),
        ("2", CPU, 2000),
        ("1.5", CPU, 1500),
        ("0.1", CPU, 100),
        ("2Gi", BYTES, 2 * 2**30),
        ("512Mi", BYTES, 512 * 2**20),
        ("1G", BYTES, 10**9),
        ("1e3", COUNT, 1000),
        ("10", COUNT, 10),
    ],
)
def test_kubernetes_notation_parses_to_base_units(text, kind, expected):
    assert parse(text, kind) == expected


@pytest.mark.parametrize("text", ["", "abc", "2gi", "-1", "1.2.3", "Gi", "5 Gi", "1Qi"])
def test_nonsense_is_refused(text):
    with pytest.raises(ValidationError):
        parse(text, BYTES)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("1e999999", CPU), ("1e9999999", BYTES), ("0e99999999", COUNT), ("1e" + "9" * 5000, BYTES)],
)
def test_exponents_past_three_digits_are_refused_not_overflowed(text, kind):
    """Decimal arithmetic overflowed (1e999999 millicores) and ``int()`` refused 5,000 digits."""
    with pytest.raises(ValidationError, match="not a Kubernetes quantity"):
        parse(text, kind)
    with pytest.raises(ValidationError) as excinfo:
        parse_amounts({"cpu": text, "storage_classes": {"standard": text}})
    assert set(excinfo.value.message_dict) == {"cpu", "storage_classes.standard"}


def test_a_three_digit_exponent_is_too_large_not_an_error():
    with pytest.raises(ValidationError, match="more than any cluster"):
        parse("1e999", CPU)
    assert parse("1e-999", CPU) == 1


def test_fractional_counts_are_refused():
    with pytest.raises(ValidationError, match="whole"):
        parse("1.5", COUNT)


def test_field_errors_name_the_resource():
    with pytest.raises(ValidationError) as excinfo:
        parse_amounts({"cpu": "lots", "memory": "2Gi", "storage_classes": {"fast": "x"}})
    assert set(excinfo.value.message_dict) == {"cpu", "storage_classes.fast"}


@pytest.mark.parametrize(
    ("amount", "kind", "text"),
    [
        (500, CPU, "500m"),
        (2000, CPU, "2"),
        (2 * 2**30, BYTES, "2Gi"),
        (1536 * 2**20, BYTES, "1536Mi"),
        (7, COUNT, "7"),
    ],
)
def test_amounts_are_shown_in_the_same_notation(amount, kind, text):
    assert format_quantity(amount, kind) == text


@given(st.integers(min_value=0, max_value=2**50), st.sampled_from([CPU, BYTES, COUNT]))
def test_format_then_parse_round_trips(amount, kind):
    assert parse(format_quantity(amount, kind), kind) == amount


@pytest.mark.parametrize("value", [-1, True, False])
def test_parse_refuses_negative_and_boolean_numbers(value):
    with pytest.raises(ValidationError):
        parse(value, COUNT)


@pytest.mark.parametrize(
    "raw", [[], "cpu=1", 5, {"storage_classes": ["standard"]}, {"storage_classes": "1Gi"}]
)
def test_parse_amounts_refuses_what_is_not_an_object_of_amounts(raw):
    with pytest.raises(ValidationError):
        parse_amounts(raw)


@pytest.mark.parametrize(
    ("amount", "kind", "text"),
    [
        (8000, CPU, "8 cores"),
        (1000, CPU, "1 core"),
        (250, CPU, "0.25 cores"),
        (2346, CPU, "2.35 cores"),
        (96 * 2**30, BYTES, "96 GiB"),
        (4339267554, BYTES, "4.04 GiB"),  # the measured value the capacity page showed raw
        (512 * 2**20, BYTES, "512 MiB"),
        (100, BYTES, "100 B"),
        (7, COUNT, "7"),
        (None, BYTES, ""),
    ],
)
def test_readable_amounts_always_carry_a_unit(amount, kind, text):
    assert readable(amount, kind) == text
