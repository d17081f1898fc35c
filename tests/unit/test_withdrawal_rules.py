"""domain.withdrawals: amount validation, fee/net split and approval policy (SPEC §3.7.1–§3.7.4)."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.money import canonical
from sigmatrade.domain.withdrawals import (
    AmountError,
    Approval,
    Quote,
    Rejection,
    Rules,
    approval_policy,
    can_start,
    check,
    daily_remaining,
    fee_for,
    parse,
    quote,
    validate,
    withdraw_all_offer,
)

D = Decimal
DEFAULT = Rules(
    minimum=D(5),
    maximum=D(1_000_000),
    fee_percent=D(0),
    daily_limit=None,
    auto_approve_below=None,
    two_admin_threshold=D(1000),
    min_net=D("1.00"),
)

cents = st.integers(min_value=1, max_value=10**12).map(lambda n: D(n).scaleb(-2))
fee_percents = st.integers(min_value=0, max_value=500_000).map(lambda n: D(n).scaleb(-4))  # 0..50, 4 places
balances = st.integers(min_value=0, max_value=10**22).map(lambda n: D(n).scaleb(-18))
optional_cents = st.none() | cents


def rules_with(**changes: object) -> Rules:
    return replace(DEFAULT, **changes)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-1", AmountError.NOT_POSITIVE),
        ("0", AmountError.NOT_POSITIVE),
        ("0.00", AmountError.NOT_POSITIVE),
        ("4.99", AmountError.BELOW_MIN),
        ("5.001", AmountError.DECIMALS),
        ("5,001", AmountError.DECIMALS),
        ("1e3", AmountError.FORMAT),
        ("abc", AmountError.FORMAT),
        ("+5", AmountError.FORMAT),
        ("1 000", AmountError.FORMAT),
        ("NaN", AmountError.FORMAT),
        ("Infinity", AmountError.FORMAT),
        ("", AmountError.FORMAT),
        ("12.", AmountError.FORMAT),
        (".5", AmountError.FORMAT),
        ("1000000.01", AmountError.ABOVE_MAX),
        ("50.01", AmountError.ABOVE_AVAILABLE),
    ],
)
def test_scenario_37_specific_errors(text: str, error: AmountError) -> None:
    result = validate(text, DEFAULT, available=D(50), used_today=D(0))
    assert isinstance(result, Rejection) and result.error == error


def test_accepted_amounts_and_bounds() -> None:
    assert validate("12,50", DEFAULT, available=D(50), used_today=D(0)) == Quote(D("12.50"), D(0), D("12.50"))
    assert validate(" 5 ", DEFAULT, available=D(50), used_today=D(0)) == Quote(D(5), D(0), D(5))
    assert validate("50", DEFAULT, available=D(50), used_today=D(0)) == Quote(D(50), D(0), D(50))
    below = validate("4.99", DEFAULT, available=D(50), used_today=D(0))
    assert below == Rejection(AmountError.BELOW_MIN, D(5))
    assert validate("60", DEFAULT, available=D("50.129"), used_today=D(0)) == Rejection(
        AmountError.ABOVE_AVAILABLE, D("50.12")
    )


def test_fee_one_percent_of_12_50() -> None:
    """Scenario 36: fee 1 % of 12.50 = 0.125 → 0.13 (ROUND_HALF_UP), net 12.37."""
    assert quote(D("12.50"), D(1)) == Quote(D("12.50"), D("0.13"), D("12.37"))
    assert fee_for(D("0.50"), D(1)) == D("0.01")  # 0.005 rounds up
    assert fee_for(D("0.49"), D(1)) == D("0.00")


def test_daily_limit() -> None:
    rules = rules_with(daily_limit=D(100))
    assert check(D(60), rules, available=D(500), used_today=D(0)) == Quote(D(60), D(0), D(60))
    assert check(D(50), rules, available=D(500), used_today=D(60)) == Rejection(
        AmountError.DAILY_LIMIT, D(40)
    )
    assert check(D(40), rules, available=D(500), used_today=D(60)) == Quote(D(40), D(0), D(40))
    assert daily_remaining(rules, D(150)) == D(0)
    assert daily_remaining(DEFAULT, D(150)) is None


def test_net_below_minimum_payout() -> None:
    rules = rules_with(minimum=D(1), fee_percent=D(50), min_net=D(2))
    assert check(D(3), rules, available=D(10), used_today=D(0)) == Rejection(AmountError.NET_TOO_SMALL, D(2))
    assert check(D(4), rules, available=D(10), used_today=D(0)) == Quote(D(4), D(2), D(2))


def test_approval_policy_examples() -> None:
    """Scenario 42 and the two-admin threshold."""
    auto50 = rules_with(auto_approve_below=D(50))
    assert approval_policy(D(20), auto50) == Approval(0, True)
    assert approval_policy(D(50), auto50) == Approval(1, False)
    assert approval_policy(D(60), auto50) == Approval(1, False)
    assert approval_policy(D(1000), auto50) == Approval(2, False)
    assert approval_policy(D("999.99"), DEFAULT) == Approval(1, False)
    high = rules_with(auto_approve_below=D(5000))
    assert approval_policy(D(1000), high) == Approval(2, False)
    assert approval_policy(D("999.99"), high) == Approval(0, True)


def test_withdraw_all_offer_examples() -> None:
    assert withdraw_all_offer(DEFAULT, D("50.129"), D(0)) == D("50.12")
    assert withdraw_all_offer(rules_with(maximum=D(30)), D(50), D(0)) == D(30)
    assert withdraw_all_offer(rules_with(daily_limit=D(100)), D(500), D(60)) == D(40)
    assert can_start(DEFAULT, D(5)) and not can_start(DEFAULT, D("4.999"))


# ------------------------------------------------------------------------------------- properties
@given(amount=cents, percent=fee_percents)
def test_fee_and_net_split_exactly(amount: Decimal, percent: Decimal) -> None:
    result = quote(amount, percent)
    assert result.fee + result.net == amount
    assert result.fee >= 0 and result.net > 0
    assert result.fee == result.fee.quantize(D("0.01")) and result.net == result.net.quantize(D("0.01"))
    exact = amount * percent / 100
    assert abs(result.fee - exact) <= D("0.005")
    if exact - exact.quantize(D("0.01"), rounding=ROUND_DOWN) == D("0.005"):
        assert result.fee > exact  # half rounds up


@given(
    amount=cents, available=balances, used=cents | st.just(D(0)), limit=optional_cents, percent=fee_percents
)
def test_check_accepts_exactly_when_every_rule_holds(
    amount: Decimal, available: Decimal, used: Decimal, limit: Decimal | None, percent: Decimal
) -> None:
    rules = rules_with(daily_limit=limit, fee_percent=percent)
    result = check(amount, rules, available=available, used_today=used)
    net = amount - fee_for(amount, percent)
    ok = (
        rules.minimum <= amount <= rules.maximum
        and amount <= available
        and (limit is None or used + amount <= limit)
        and net >= rules.min_net
    )
    assert isinstance(result, Quote) == ok
    if isinstance(result, Quote):
        assert result.amount == amount and result.net == net


@given(amount=cents, comma=st.booleans())
def test_typed_form_of_any_cent_amount_parses_back(amount: Decimal, comma: bool) -> None:
    text = format(amount, "f")
    if comma:
        text = text.replace(".", ",")
    assert parse(text) == amount


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    frac=st.text(alphabet="0123456789", min_size=3, max_size=8),
)
def test_three_or_more_decimals_are_rejected_not_rounded(whole: int, frac: str) -> None:
    result = parse(f"{whole}.{frac}")
    assert result == Rejection(AmountError.DECIMALS)


@given(text=st.text(max_size=30) | st.from_regex(r"\A[0-9]{1,6}([.,][0-9]{0,4})?\Z"))
def test_parse_never_raises_and_accepts_only_plain_decimals(text: str) -> None:
    result = parse(text)
    if isinstance(result, Decimal):
        stripped = text.strip()
        assert stripped and all(ch.isdecimal() or ch in ".," for ch in stripped)
        assert canonical(result) == canonical(D(stripped.replace(",", ".")))
        assert result == result.quantize(D("0.01"))
    else:
        assert isinstance(result, Rejection)


@given(amount=cents, auto=optional_cents, threshold=cents)
def test_approval_policy_properties(amount: Decimal, auto: Decimal | None, threshold: Decimal) -> None:
    rules = rules_with(auto_approve_below=auto, two_admin_threshold=threshold)
    result = approval_policy(amount, rules)
    assert result.required_approvals in (0, 1, 2)
    assert result.auto_approved == (result.required_approvals == 0)
    if amount >= threshold:
        assert result.required_approvals == 2
    elif auto is not None and amount < auto:
        assert result.auto_approved
    else:
        assert result.required_approvals == 1


@given(available=balances, used=cents | st.just(D(0)), limit=optional_cents, maximum=cents)
def test_withdraw_all_offer_is_withdrawable(
    available: Decimal, used: Decimal, limit: Decimal | None, maximum: Decimal
) -> None:
    rules = rules_with(daily_limit=limit, maximum=maximum, minimum=D("0.01"), min_net=D("0.01"))
    offer = withdraw_all_offer(rules, available, used)
    assert offer == offer.quantize(D("0.01")) and D(0) <= offer <= available
    assert offer <= maximum
    if limit is None and available <= maximum:
        assert available - offer < D("0.01")
    if offer >= rules.minimum:
        assert isinstance(check(offer, rules, available=available, used_today=used), Quote)


@given(
    available=st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
    fee=st.sampled_from([Decimal(0), Decimal(1), Decimal("2.5")]),
)
def test_auto_payout_amount_rules(available: Decimal, fee: Decimal) -> None:
    from sigmatrade.domain.withdrawals import auto_payout

    rules = replace(DEFAULT, fee_percent=fee)
    threshold = Decimal(10)
    plan = auto_payout(available, rules, threshold)
    if available < threshold:
        assert plan is None
        return
    assert plan is not None
    quote, approval = plan
    assert quote.amount == min(available.quantize(Decimal("0.01"), rounding=ROUND_DOWN), rules.maximum)
    assert quote.amount <= available and quote.amount == quote.fee + quote.net
    assert approval.auto_approved == (quote.amount < rules.two_admin_threshold)
    assert approval.required_approvals == (0 if approval.auto_approved else 2)


def test_auto_slot_is_stable_within_an_interval() -> None:
    from sigmatrade.domain.withdrawals import auto_slot

    assert auto_slot(3600 * 5, 60) == auto_slot(3600 * 5 + 3599, 60) == 5
    assert auto_slot(3600 * 6, 60) == 6


@given(digits=st.integers(min_value=1, max_value=200), frac=st.sampled_from(["", ".5", ",99"]))
def test_any_long_number_is_refused_never_raises(digits: int, frac: str) -> None:
    """A number of 99+ digits made quantising raise (InvalidOperation) inside the handler; every
    length now ends in a refusal: above the maximum while it parses, a format error beyond."""
    result = parse("9" * digits + frac)
    if isinstance(result, Decimal):
        verdict = check(result, DEFAULT, available=D(10) ** 70, used_today=D(0))
        assert isinstance(verdict, Rejection) == (result > DEFAULT.maximum)
        if result > DEFAULT.maximum:
            assert verdict == Rejection(AmountError.ABOVE_MAX, DEFAULT.maximum)
    else:
        assert result == Rejection(AmountError.FORMAT) and digits > 60
