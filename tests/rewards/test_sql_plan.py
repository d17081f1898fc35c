"""PostgreSQL plans a batch in one statement (``services.rewards.pg_batch``); SQLite, and PostgreSQL with
commissions on accruals, plan in Python ``Decimal`` (``domain.rewards``). Both must write the same books:
the same random scenario is run once per path and everything is compared to the wei — accruals (amount,
trimmed, rate, base, period end, session), deposits, journal keys, postings and balances per account, and
what each run reports (per user lines, completions, batches)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from sigmatrade.db.models import (
    Deposit,
    JournalEntry,
    LedgerAccount,
    LedgerPosting,
    RewardAccrual,
    RewardSession,
)
from sigmatrade.db.session import Database
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.services.rewards.engine import AccrualConflict, RewardRules, accrue
from tests.conftest import PG_URL
from tests.factories import credit, make_user
from tests.locks import someone_waits_on_a_lock
from tests.rewards.builders import (
    DepositSpec,
    SessionSpec,
    make_deposit,
    make_session,
    overlap,
    seed_scenario,
    wipe_rewards,
)

pytestmark = pytest.mark.skipif(not PG_URL, reason="the one-statement plan is PostgreSQL's")

T0 = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
AMOUNTS = [
    Decimal(10),
    Decimal("7.77"),
    Decimal("0.000000000000000001"),  # every amount rounds down to zero: nothing accrues, never completes
    Decimal("0.000000000000000333"),
    Decimal("123456789.123456789012345678"),
]
RATES = [Decimal(0), Decimal("0.0001"), Decimal("1.117"), Decimal("7.5"), Decimal("33.3333"), Decimal(100)]
CAPS = [None, Decimal(500), Decimal(30), Decimal("15.5"), Decimal("0.0003")]


@dataclass
class Run:
    advance: int
    toggle: int | None
    batch: int
    most: int


@dataclass
class Scenario:
    users: int
    deposits: list[DepositSpec]
    sessions: list[SessionSpec]
    runs: list[Run]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    users = draw(st.integers(1, 3))
    deposits = draw(
        st.lists(
            st.builds(
                DepositSpec,
                user=st.integers(0, users - 1),
                level=st.integers(1, 5),
                amount=st.sampled_from(AMOUNTS),
                cap_percent=st.sampled_from(CAPS),
                offset=st.integers(-400, 2500),
                period=st.sampled_from([97, 100, 250, 600]),
            ).filter(_cap_is_money),
            min_size=1,
            max_size=7,
            unique_by=lambda d: (d.user, d.level),
        )
    )
    sessions: list[SessionSpec] = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(-600, 3000))
        spec = SessionSpec(
            start,
            start + draw(st.integers(1, 5000)),
            tuple(draw(st.sampled_from(RATES)) for _ in range(5)),
            False,
        )
        spec.active = draw(st.booleans()) and not any(overlap(spec, o) for o in sessions if o.active)
        sessions.append(spec)
    runs = [
        Run(
            advance=draw(st.integers(0, 2500)),
            toggle=draw(st.sampled_from([None, None, *range(len(sessions))])),
            batch=draw(st.sampled_from([1, 2, 3, 1000])),
            most=draw(st.sampled_from([1, 2, 5, 20_000])),
        )
        for _ in range(draw(st.integers(1, 5)))
    ]
    return Scenario(users, deposits, sessions, runs)


def _cap_is_money(dep: DepositSpec) -> bool:
    """The deposit's cap (amount × percent / 100) must fit 18 decimals, as a real level's does."""
    if dep.cap_percent is None:
        return True
    cap = dep.amount * dep.cap_percent / 100
    return cap == cap.quantize(Decimal("1e-18"))


async def _play(db: Database, scenario: Scenario, sql_plan: bool) -> dict[str, Any]:
    """Run the scenario on an empty database; everything written and reported, ids replaced by indexes."""
    await wipe_rewards(db)
    async with db.transaction() as session:
        users = [await make_user(session) for _ in range(scenario.users)]
        deps, sess = await seed_scenario(session, users, scenario.deposits, scenario.sessions, T0)
    user_ix = {u.id: i for i, u in enumerate(users)}
    dep_ix = {d: i for i, d in enumerate(deps)}
    sess_ix = {s: i for i, s in enumerate(sess)}
    active = [s.active for s in scenario.sessions]
    now = 0
    reports: list[object] = []
    for run in scenario.runs:
        now += run.advance
        if run.toggle is not None:
            others = [s for j, s in enumerate(scenario.sessions) if j != run.toggle and active[j]]
            if active[run.toggle] or not any(overlap(scenario.sessions[run.toggle], o) for o in others):
                active[run.toggle] = not active[run.toggle]
            async with db.transaction() as session:
                for i, sid in enumerate(sess):
                    await session.execute(
                        update(RewardSession).where(RewardSession.id == sid).values(is_active=active[i])
                    )
        result = await accrue(
            db,
            RewardRules(),
            T0 + timedelta(seconds=now),
            batch_size=run.batch,
            max_accruals=run.most,
            sql_plan=sql_plan,
        )
        reports.append(
            (
                result.accruals,
                result.total,
                result.batches,
                result.deposits_seen,
                sorted(
                    (user_ix[u], dep_ix[d], level, amount)
                    for u, lines in result.per_user.items()
                    for d, level, amount in lines
                ),
                [
                    (dep_ix[c.deposit_id], user_ix[c.user_id], c.level, c.amount, c.cap_amount)
                    for c in result.completions
                ],
            )
        )
    async with db.session() as session:
        accruals = {
            (dep_ix[r.deposit_id], r.period_index): (
                sess_ix[r.session_id],
                user_ix[r.user_id],
                r.level,
                r.base_amount,
                r.rate,
                r.amount,
                r.trimmed,
                r.accrued_at_period_end,
            )
            for r in (await session.scalars(select(RewardAccrual))).all()
        }
        deposits = {
            dep_ix[d.id]: (d.accrued_total, d.status, d.completed_at is not None)
            for d in (await session.scalars(select(Deposit))).all()
        }
        entries = {}
        for entry in (
            await session.scalars(select(JournalEntry).where(JournalEntry.entry_type == "reward_accrual"))
        ).all():
            _, dep_id, sess_id, period = entry.idempotency_key.split(":")
            entries[(dep_ix[int(dep_id)], sess_ix[int(sess_id)], int(period))] = entry.reference_id == int(
                dep_id
            )
        code_of = {a.id: a.code for a in (await session.scalars(select(LedgerAccount))).all()}
        postings: dict[tuple[int, str], Decimal] = {}
        accrual_entry = {
            r.journal_entry_id: (dep_ix[r.deposit_id], r.period_index)
            for r in (await session.scalars(select(RewardAccrual))).all()
        }
        for p in (await session.scalars(select(LedgerPosting))).all():
            if p.entry_id in accrual_entry:
                code = code_of[p.account_id]
                for uid, i in user_ix.items():
                    code = code.replace(f"user:{uid}:", f"user#{i}:")
                postings[(accrual_entry[p.entry_id][0] * 100_000 + accrual_entry[p.entry_id][1], code)] = (
                    p.amount
                )
        balances = {}
        for a in (await session.scalars(select(LedgerAccount))).all():
            key = a.code if a.user_id is None else f"user#{user_ix[a.user_id]}:{a.kind}"
            balances[key] = a.balance
        report = await run_check(session)
        assert report.ok, report.render()
    return {
        "reports": reports,
        "accruals": accruals,
        "deposits": deposits,
        "entries": entries,
        "postings": postings,
        "balances": balances,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
async def test_sql_plan_equals_python_plan(db: Database, scenario: Scenario) -> None:
    in_python = await _play(db, scenario, sql_plan=False)
    in_sql = await _play(db, scenario, sql_plan=True)
    for part in in_python:
        assert in_sql[part] == in_python[part], part


async def test_sql_plan_edge_cases(db: Database) -> None:
    """Fixed cases: a cap reached mid-run by a trimmed accrual, a back-fill with a hole, a zero amount,
    a deposit already at its cap, and a batch cut by ``max_accruals`` — equal on both paths."""
    scenario = Scenario(
        users=2,
        deposits=[
            DepositSpec(0, 1, Decimal(10), Decimal("15.5"), 0, 100),
            DepositSpec(0, 4, Decimal("0.000000000000000001"), None, 50, 100),
            DepositSpec(1, 3, Decimal("123456789.123456789012345678"), Decimal(500), -300, 97),
            DepositSpec(1, 1, Decimal("7.77"), Decimal("0.0003"), 10, 250),
        ],
        sessions=[
            SessionSpec(
                0, 5000, (Decimal("7.5"), Decimal(100), Decimal("33.3333"), Decimal(1), Decimal(1)), False
            ),
            SessionSpec(200, 400, (Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(1)), True),
        ],
        runs=[Run(500, None, 2, 1), Run(0, 1, 1000, 20_000), Run(0, 0, 3, 2), Run(3000, None, 1000, 20_000)],
    )
    in_python = await _play(db, scenario, sql_plan=False)
    in_sql = await _play(db, scenario, sql_plan=True)
    assert in_sql == in_python
    accruals = in_python["accruals"]
    assert {k for k in accruals if k[0] == 0} == {(0, 0), (0, 1), (0, 2), (0, 3)}  # hole 0 filled after 1, 2
    assert sorted(k for k, v in accruals.items() if v[6]) == [(0, 3), (2, 19), (3, 0)]  # trimmed to the cap
    assert not any(k[0] == 1 for k in accruals)  # 1 wei × 1 % rounds down to nothing
    assert [len(r[5]) for r in in_python["reports"]] == [1, 0, 1, 1]  # completions, once each
    assert [r[2] for r in in_python["reports"]] == [4, 0, 2, 1]  # batches (max_accruals cuts them)


@pytest.mark.parametrize("sql_plan", [True, False])
async def test_a_deposit_changed_under_the_plan_rolls_the_batch_back(db: Database, sql_plan: bool) -> None:
    """Another transaction holds the deposit row and changes ``accrued_total`` while the batch waits for
    it: the guarded update does not apply, the batch fails and nothing of it is written."""
    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(session, user, confirmed_at=T0, cap_percent=None)
        await make_session(session, starts_at=T0, ends_at=T0 + timedelta(days=30))
    held = asyncio.Event()

    async def other_writer() -> None:
        async with db.session() as session, session.begin():
            await session.execute(text("SELECT id FROM deposits WHERE id = :d FOR UPDATE"), {"d": dep.id})
            held.set()
            assert await someone_waits_on_a_lock(db)  # the batch waits for the row
            await session.execute(
                update(Deposit).where(Deposit.id == dep.id).values(accrued_total=Decimal("0.5"))
            )

    async def calculator() -> None:
        await held.wait()
        with pytest.raises(AccrualConflict):
            await accrue(db, RewardRules(), T0 + timedelta(days=1), sql_plan=sql_plan)

    await asyncio.wait_for(asyncio.gather(other_writer(), calculator()), 60)
    async with db.session() as session:
        assert (await session.scalars(select(RewardAccrual))).all() == []
        kinds = (await session.scalars(select(JournalEntry.entry_type))).all()
        assert "reward_accrual" not in kinds
        assert (await user_balances(session, user.id)).available == 0


@pytest.mark.parametrize("sql_plan", [True, False])
async def test_batch_takes_users_before_accounts(db: Database, sql_plan: bool) -> None:
    """The lock order (docs/decisions.md): a transaction holding a user row and then posting to that
    user's account must not deadlock with a batch accruing to the same user — the batch waits for the
    user row before it locks any ledger account."""
    async with db.transaction() as session:
        user = await make_user(session)
        await make_deposit(session, user, confirmed_at=T0, cap_percent=None)
        await make_session(session, starts_at=T0, ends_at=T0 + timedelta(days=30))
    held = asyncio.Event()

    async def withdrawal_like() -> None:
        async with db.session() as session, session.begin():
            await session.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": user.id})
            held.set()
            assert await someone_waits_on_a_lock(db)  # the batch waits for the user row
            await credit(session, user, Decimal(1))  # locks the user's available account

    async def calculator() -> int:
        await held.wait()
        return (await accrue(db, RewardRules(), T0 + timedelta(days=1), sql_plan=sql_plan)).accruals

    _, accruals = await asyncio.wait_for(asyncio.gather(withdrawal_like(), calculator()), 60)
    assert accruals == 1
    async with db.session() as session:
        assert (await user_balances(session, user.id)).available == Decimal("1.1117")
        report = await run_check(session)
    assert report.ok, report.render()
