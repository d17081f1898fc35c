from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.money import (
    MoneyError,
    amount_to_raw,
    canonical,
    floor_cents,
    format_amount,
    parse_user_amount,
    quantize_accrual,
    quantize_fee,
    raw_to_amount,
    to_decimal,
)

money = st.decimals(
    min_value=Decimal("-1e19"), max_value=Decimal("1e19"), places=18, allow_nan=False, allow_infinity=False
)


def test_point_one_plus_point_two_is_point_three() -> None:
    assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")
    assert canonical(Decimal("0.1") + Decimal("0.2")) == "0.3"


def test_wide_values_do_not_lose_digits() -> None:
    a = Decimal("12345678901234567890.123456789012345678")
    b = Decimal("0.000000000000000001")
    assert a + b == Decimal("12345678901234567890.123456789012345679")


@given(money)
def test_canonical_round_trips(value: Decimal) -> None:
    assert to_decimal(canonical(value)) == value
    assert "E" not in canonical(value) and "e" not in canonical(value)


@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_raw_round_trip_18_decimals(raw: int) -> None:
    assert amount_to_raw(raw_to_amount(raw, 18), 18) == raw


def test_amount_to_raw_refuses_fractions_of_a_unit() -> None:
    with pytest.raises(MoneyError):
        amount_to_raw(Decimal("1.0000000000000000001"), 18)
    assert amount_to_raw(Decimal("12.5"), 18) == 12_500_000_000_000_000_000


def test_rounding_rules() -> None:
    assert quantize_accrual(Decimal("0.1117") * Decimal(10) / 3) == Decimal("0.372333333333333333")
    assert quantize_fee(Decimal("0.125")) == Decimal("0.13")
    assert floor_cents(Decimal("12.349")) == Decimal("12.34")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12,50", Decimal("12.50")), ("5", Decimal(5)), ("0.01", Decimal("0.01")), (" 7.5 ", Decimal("7.5"))],
)
def test_user_amount_accepted(text: str, expected: Decimal) -> None:
    assert parse_user_amount(text) == expected


@pytest.mark.parametrize("text", ["-1", "1e3", "abc", "5.001", "1 000", "NaN", "inf", "", "+5", ".5", "5."])
def test_user_amount_refused(text: str) -> None:
    assert parse_user_amount(text) is None


def test_float_is_never_money() -> None:
    with pytest.raises(MoneyError):
        to_decimal(0.1)  # type: ignore[arg-type]


def test_display_rounds_down_and_groups() -> None:
    assert format_amount(Decimal("1234567.899"), "en") == "1,234,567.89"
    assert format_amount(Decimal("1234.5"), "ru") == "1\u00a0234,50"
