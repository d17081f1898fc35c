"""Deposit levels (SPEC §3.2): the level table, the activation check (first failing rule, in order)
and the level statuses of the Deposits screen. Property-tested against an independent statement of
each rule."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain import levels as L
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.services.settings import CATALOGUE

STATUSES = [s.value for s in DepositStatus]
WALLET = "0x" + "ab" * 20


def default_snapshot(**overrides: object) -> dict[str, object]:
    snap: dict[str, object] = {key: spec.default for key, spec in CATALOGUE.items()}
    snap["deposit.system_wallet_address"] = WALLET
    snap.update(overrides)
    return snap


# ------------------------------------------------------------------------------------------ table
def test_default_table() -> None:
    table = L.level_table(default_snapshot())
    assert [s.amount for s in table.levels] == [Decimal(v) for v in (10, 50, 100, 150, 300)]
    assert [s.required_referrals for s in table.levels] == [0, 1, 2, 3, 4]
    assert table.spec(1).cap_percent == Decimal(500) and table.spec(1).cap_amount == Decimal(50)
    assert all(table.spec(n).cap_amount is None for n in (2, 3, 4, 5))
    assert table.max_open_level == 1 and [s.level for s in table.open_levels] == [1]
    assert table.enabled and table.wallet_configured
    assert not L.level_table(default_snapshot(**{"deposit.system_wallet_address": None})).wallet_configured
    with pytest.raises(ValueError):
        table.spec(6)


amounts = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2), min_size=5, max_size=5
)
caps = st.lists(
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100000), places=4)),
    min_size=5,
    max_size=5,
)


@given(amounts, st.lists(st.integers(0, 1000), min_size=5, max_size=5), caps, st.integers(1, 5))
def test_table_snapshot_values_and_exact_cap(
    values: list[Decimal], refs: list[int], cap_values: list[Decimal | None], max_level: int
) -> None:
    table = L.level_table(
        default_snapshot(
            **{
                "deposit.level_amounts": values,
                "deposit.level_required_referrals": refs,
                "reward.level_caps_percent": cap_values,
                "deposit.max_open_level": max_level,
            }
        )
    )
    for i, spec in enumerate(table.levels):
        assert (spec.level, spec.amount, spec.required_referrals) == (i + 1, values[i], refs[i])
        if cap_values[i] is None:
            assert spec.cap_amount is None
        else:
            assert spec.cap_amount == values[i] * cap_values[i] / 100
            assert isinstance(spec.cap_amount, Decimal)
    assert [s.level for s in table.open_levels] == list(range(1, max_level + 1))
    assert all(table.is_open(n) == (1 <= n <= max_level) for n in range(-2, 8))


# ---------------------------------------------------------------------------------- the check
tables = st.builds(
    lambda refs, max_level, enabled, wallet: L.LevelTable(
        levels=tuple(
            L.LevelSpec(i + 1, Decimal(10 * (i + 1)), refs[i], Decimal(500) if i == 0 else None)
            for i in range(5)
        ),
        max_open_level=max_level,
        enabled=enabled,
        wallet_configured=wallet,
    ),
    st.lists(st.integers(0, 6), min_size=5, max_size=5),
    st.integers(1, 5),
    st.booleans(),
    st.booleans(),
)
facts = st.builds(
    L.UserFacts,
    registered=st.booleans(),
    verified=st.booleans(),
    banned=st.booleans(),
    deposits=st.lists(st.tuples(st.integers(1, 5), st.sampled_from(STATUSES)), max_size=8).map(tuple),
    verified_referrals=st.integers(0, 8),
)
level_numbers = st.integers(-1, 7)


def _rules(table: L.LevelTable, user: L.UserFacts, level: int) -> list[tuple[str, Callable[[], bool]]]:
    """Each rule of §3.2 stated on its own: (code, "this rule fails")."""

    def statuses(lvl: int) -> set[str]:
        return {s for lv, s in user.deposits if lv == lvl}

    return [
        (L.DISABLED, lambda: not table.enabled),
        (L.NO_WALLET, lambda: not table.wallet_configured),
        (L.NOT_REGISTERED, lambda: not user.registered),
        (L.NOT_VERIFIED, lambda: not user.verified),
        (L.BANNED, lambda: user.banned),
        (L.LEVEL_CLOSED, lambda: not 1 <= level <= table.max_open_level),
        (L.CYCLE_OPEN, lambda: level == 1 and bool(statuses(1) & {"pending", "detected", "confirmed"})),
        (
            L.ALREADY_BOUGHT,
            lambda: level >= 2 and bool(statuses(level) & {"pending", "detected", "confirmed", "completed"}),
        ),
        (L.PREVIOUS_LEVEL, lambda: level >= 2 and not statuses(level - 1) & {"confirmed", "completed"}),
        (
            L.REFERRALS,
            lambda: 2 <= level <= 5 and user.verified_referrals < table.levels[level - 1].required_referrals,
        ),
    ]


@given(tables, facts, level_numbers)
def test_first_failing_rule_is_reported(table: L.LevelTable, user: L.UserFacts, level: int) -> None:
    failing = [code for code, fails in _rules(table, user, level) if fails()]
    result = L.check_activation(table, user, level)
    if not failing:
        assert result is None
    else:
        assert result is not None and result.code == failing[0]
    assert [code for code, _ in _rules(table, user, level)] == list(L.RULE_ORDER)


@given(tables, facts, level_numbers)
def test_refusal_data(table: L.LevelTable, user: L.UserFacts, level: int) -> None:
    result = L.check_activation(table, user, level)
    if result is None:
        return
    if result.code == L.REFERRALS:
        assert result.params == {
            "level": level,
            "required": table.spec(level).required_referrals,
            "current": user.verified_referrals,
        }
        assert result.params["current"] < result.params["required"]
    elif result.code == L.PREVIOUS_LEVEL:
        assert result.params == {"level": level, "previous": level - 1}
    elif result.code in (L.CYCLE_OPEN, L.ALREADY_BOUGHT):
        assert result.params["status"] in user.statuses(level)
    elif result.code == L.LEVEL_CLOSED:
        assert result.params == {"level": level, "max_level": table.max_open_level}
    else:
        assert result.params == {}


@given(tables, facts, st.integers(1, 5), st.integers(0, 5))
def test_more_referrals_or_open_levels_never_refuse_an_allowed_level(
    table: L.LevelTable, user: L.UserFacts, level: int, extra: int
) -> None:
    if L.check_activation(table, user, level) is not None:
        return
    richer = L.UserFacts(
        user.registered, user.verified, user.banned, user.deposits, user.verified_referrals + extra
    )
    assert L.check_activation(table, richer, level) is None
    wider = L.LevelTable(table.levels, min(5, table.max_open_level + extra), table.enabled, True)
    assert L.check_activation(wider, user, level) is None


@given(tables, facts, st.integers(1, 5))
def test_level_state_matches_the_check(table: L.LevelTable, user: L.UserFacts, level: int) -> None:
    state = L.level_state(table, user, level)
    statuses = user.statuses(level)
    refusal = L.check_activation(table, user, level)
    if statuses & L.OPEN:
        assert state.kind == L.PENDING and state.deposit_status in statuses & L.OPEN
    elif "confirmed" in statuses:
        assert state.kind == L.ACTIVE
    elif level >= 2 and "completed" in statuses:
        assert state.kind == L.COMPLETED
    elif refusal is None:
        assert state.kind == L.AVAILABLE
    else:
        assert state.kind == L.LOCKED and state.refusal == refusal
        assert refusal.code not in (L.CYCLE_OPEN, L.ALREADY_BOUGHT)  # those show as pending/active
    expected_cycles = sum(1 for lv, s in user.deposits if lv == 1 and s == "completed") if level == 1 else 0
    assert state.completed_cycles == expected_cycles


# ------------------------------------------------------------------------- the scenarios of §3.2
def _user(*deposits: tuple[int, str], refs: int = 0, **kw: bool) -> L.UserFacts:
    return L.UserFacts(deposits=deposits, verified_referrals=refs, **kw)


def test_scenario_14_rules() -> None:
    one = L.level_table(default_snapshot())
    five = L.level_table(default_snapshot(**{"deposit.max_open_level": 5}))
    # A second level 1 while pending or confirmed is refused; after completion it is allowed again.
    for status in ("pending", "detected", "confirmed"):
        refusal = L.check_activation(one, _user((1, status)), 1)
        assert refusal == L.Refusal(L.CYCLE_OPEN, {"level": 1, "status": status})
    for status in ("completed", "expired", "cancelled"):
        assert L.check_activation(one, _user((1, status)), 1) is None
    # Level 2 is hidden at max level 1.
    assert L.check_activation(one, _user((1, "confirmed"), refs=9), 2) == L.Refusal(
        L.LEVEL_CLOSED, {"level": 2, "max_level": 1}
    )
    assert [s.level for s in one.open_levels] == [1]
    # At max level 5, level 2 needs a confirmed/completed level 1 and one verified referral.
    assert L.check_activation(five, _user(refs=1), 2) == L.Refusal(
        L.PREVIOUS_LEVEL, {"level": 2, "previous": 1}
    )
    assert L.check_activation(five, _user((1, "pending"), refs=1), 2) == L.Refusal(
        L.PREVIOUS_LEVEL, {"level": 2, "previous": 1}
    )
    assert L.check_activation(five, _user((1, "confirmed")), 2) == L.Refusal(
        L.REFERRALS, {"level": 2, "required": 1, "current": 0}
    )
    assert L.check_activation(five, _user((1, "confirmed"), refs=1), 2) is None
    assert L.check_activation(five, _user((1, "completed"), refs=1), 2) is None
    # Levels 2–5 are bought once.
    assert L.check_activation(five, _user((1, "confirmed"), (2, "completed"), refs=4), 2) == L.Refusal(
        L.ALREADY_BOUGHT, {"level": 2, "status": "completed"}
    )
    assert L.check_activation(five, _user((1, "confirmed"), (2, "cancelled"), refs=4), 2) is None


def test_user_rules_come_first() -> None:
    table = L.level_table(default_snapshot(**{"deposit.enabled": False}))
    assert L.check_activation(table, L.GUEST, 9) == L.Refusal(L.DISABLED)
    table = L.level_table(default_snapshot())
    assert L.check_activation(table, L.GUEST, 1) == L.Refusal(L.NOT_REGISTERED)
    assert L.check_activation(table, _user(verified=False, banned=True), 1) == L.Refusal(L.NOT_VERIFIED)
    assert L.check_activation(table, _user(banned=True), 1) == L.Refusal(L.BANNED)
    assert L.check_activation(table, _user(), 0) == L.Refusal(L.LEVEL_CLOSED, {"level": 0, "max_level": 1})
    nowallet = L.level_table(default_snapshot(**{"deposit.system_wallet_address": None}))
    assert L.check_activation(nowallet, _user(), 1) == L.Refusal(L.NO_WALLET)


@given(
    st.decimals(min_value=0, max_value=Decimal(10000), places=18),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10000), places=2),
)
def test_progress_is_bounded(accrued: Decimal, cap: Decimal) -> None:
    percent, cells = L.progress(accrued, cap)
    assert Decimal(0) <= percent <= Decimal(100) and 0 <= cells <= 10
    if accrued >= cap:
        assert (percent, cells) == (Decimal(100), 10)
    else:
        assert percent == accrued * 100 / cap and cells == int(percent // 10)
