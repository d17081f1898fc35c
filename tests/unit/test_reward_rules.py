"""Pure reward rules: session input parsing (rates, moments, windows) and the period arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.reward_sessions import (
    SessionInputError,
    check_draft,
    overlaps,
    parse_moment,
    parse_rates,
)
from sigmatrade.domain.rewards import DepositState, Window, due_range, period_end, plan_deposit

rates = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)


@given(
    st.lists(rates, min_size=5, max_size=5),
    st.lists(st.sampled_from([" ", "|", " | ", "  "]), min_size=4, max_size=4),
    st.booleans(),
)
def test_rates_round_trip_with_any_separator_and_decimal_mark(
    values: list[Decimal], seps: list[str], comma: bool
) -> None:
    texts = [format(v.normalize(), "f") for v in values]
    if comma:
        texts = [t.replace(".", ",") for t in texts]
    line = texts[0] + "".join(s + t for s, t in zip(seps, texts[1:], strict=True))
    if not any(v > 0 for v in values):
        with pytest.raises(SessionInputError) as err:
            parse_rates(line)
        assert err.value.code == "rates_all_zero"
        return
    assert parse_rates(line) == tuple(values)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1 2 3 4", "rates_count"),
        ("1 2 3 4 5 6", "rates_count"),
        ("", "rates_count"),
        ("1 2 3 4 x", "rate_format"),
        ("1 2 3 4 -1", "rate_format"),
        ("1 2 3 4 1e2", "rate_format"),
        ("1 2 3 4 100.5", "rate_too_large"),
        ("1 2 3 4 0.12345", "rate_places"),
        ("0 0 0 0 0", "rates_all_zero"),
        ("1,2,3 4 5 6 7", "rate_format"),
    ],
)
def test_bad_rates_are_refused_with_the_rule(text: str, code: str) -> None:
    with pytest.raises(SessionInputError) as err:
        parse_rates(text)
    assert err.value.code == code


def test_moments_in_the_display_timezone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_moment("01.03.2026 10:00", berlin) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert parse_moment("2026-07-01 10:00", berlin) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert parse_moment("2026-07-01", UTC) == datetime(2026, 7, 1, tzinfo=UTC)
    for text, code in [
        ("29.03.2026 02:30", "moment_nonexistent"),
        ("25.10.2026 02:30", "moment_ambiguous"),
        ("31.02.2026 10:00", "moment_invalid"),
        ("tomorrow", "moment_format"),
    ]:
        with pytest.raises(SessionInputError) as err:
            parse_moment(text, berlin)
        assert err.value.code == code


def test_draft_window_and_name() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    r = (Decimal(1),) * 5
    with pytest.raises(SessionInputError, match="window_order"):
        check_draft("x", t, t, r)
    with pytest.raises(SessionInputError, match="name_empty"):
        check_draft("   ", t, t + timedelta(days=1), r)
    assert check_draft("  a   b ", t, t + timedelta(days=1), r).name == "a b"
    assert overlaps(t, t + timedelta(days=1), t + timedelta(hours=23), t + timedelta(days=2))
    assert not overlaps(t, t + timedelta(days=1), t + timedelta(days=1), t + timedelta(days=2))


@given(
    st.integers(0, 10**7),
    st.integers(1, 10**5),
    st.integers(-(10**7), 10**7),
    st.integers(1, 10**7),
    st.integers(-(10**6), 2 * 10**7),
)
def test_due_range_equals_the_period_by_period_definition(
    c: int, p: int, s: int, length: int, n: int
) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    confirmed, start, end, now = (base + timedelta(seconds=x) for x in (c, s, s + length, n))
    got = due_range(confirmed, p, start, end, now)
    upper = max(0, (n - c) // p + 1)
    expected = [
        k
        for k in range(min(upper, 3000))
        if start <= period_end(confirmed, p, k) < end and period_end(confirmed, p, k) <= now
    ]
    if got is None:
        assert expected == []
    elif got[1] < 3000:
        assert expected == list(range(got[0], got[1] + 1))


def test_cap_trimming_example() -> None:
    """SPEC §3.2/§3.6.4: 10 USDT at level 1 (cap 500 % = 50); with 33.3333 % per period the 16th accrual is
    the exact remainder and completes the deposit."""
    dep = DepositState(1, 1, 1, Decimal(10), Decimal(50), Decimal(0), datetime(2026, 1, 1, tzinfo=UTC), 60)
    window = Window(
        1,
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        (Decimal("33.3333"),) + (Decimal(0),) * 4,
    )
    plan = plan_deposit(dep, [(k, window) for k in range(40)])
    assert len(plan.accruals) == 16 and plan.completed and plan.accrued_total == Decimal(50)
    assert plan.accruals[-1].trimmed and plan.accruals[-1].amount == Decimal("0.00005")
    assert sum(a.amount for a in plan.accruals) == Decimal(50)
