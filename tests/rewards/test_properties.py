"""Property test (hypothesis): the set-based calculator equals a simple reference model computed
deposit by deposit, period by period, over random sessions, rates, deposit times, downtimes
(runs skipped), bans, earnings blocks, pauses and session toggles. After every run: the sum stays
within the cap to the wei, re-running adds nothing and ``ledger check`` passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from sigmatrade.db.models import Deposit, RewardAccrual, RewardSession, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.domain.money import HUNDRED, quantize_accrual
from sigmatrade.ledger.check import run_check
from sigmatrade.services.rewards.engine import RewardRules, accrue
from tests.factories import make_user
from tests.rewards.builders import DepositSpec, SessionSpec, overlap, seed_scenario, wipe_rewards

T0 = datetime(2026, 5, 1, tzinfo=UTC)
RATES = [Decimal(0), Decimal("1.117"), Decimal(5), Decimal("33.3333"), Decimal(100)]


@dataclass
class Step:
    advance: int
    ban: int | None
    block: int | None
    enabled: bool
    toggle_session: int | None
    on_accruals: bool


@dataclass
class Scenario:
    users: int
    deposits: list[DepositSpec]
    sessions: list[SessionSpec]
    steps: list[Step]
    referral: bool


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    users = draw(st.integers(1, 3))
    deposits = draw(
        st.lists(
            st.builds(
                DepositSpec,
                user=st.integers(0, users - 1),
                level=st.integers(1, 5),
                amount=st.sampled_from([Decimal(10), Decimal(50), Decimal("7.77")]),
                cap_percent=st.sampled_from([None, Decimal(500), Decimal(30), Decimal("15.5")]),
                offset=st.integers(0, 3000),
                period=st.sampled_from([100, 250, 600]),
            ),
            min_size=1,
            max_size=6,
            unique_by=lambda d: (d.user, d.level),  # one open deposit per user and level (schema rule)
        )
    )
    sessions: list[SessionSpec] = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(-500, 3000))
        rates = tuple(draw(st.sampled_from(RATES)) for _ in range(5))
        if not any(rates):
            rates = (Decimal(5), *rates[1:])
        wanted = draw(st.sampled_from([True, True, False]))
        spec = SessionSpec(start, start + draw(st.integers(50, 6000)), rates, False)
        spec.active = wanted and not any(overlap(spec, other) for other in sessions if other.active)
        sessions.append(spec)
    steps = [
        Step(
            advance=draw(st.integers(0, 3000)),
            ban=draw(st.sampled_from([None, None, None, *range(users)])),
            block=draw(st.sampled_from([None, None, None, *range(users)])),
            enabled=draw(st.booleans()) or draw(st.booleans()),
            toggle_session=draw(st.sampled_from([None, None, *range(len(sessions))])),
            on_accruals=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]
    return Scenario(users, deposits, sessions, steps, draw(st.booleans()))


@dataclass
class Model:
    """The reference: per deposit, per period in order, exactly the SPEC §3.6.3–4 rule."""

    accruals: dict[tuple[int, int], tuple[int, Decimal, bool]] = field(default_factory=dict)
    totals: dict[int, Decimal] = field(default_factory=dict)
    completed: set[int] = field(default_factory=set)

    def run(self, scenario: Scenario, now: int, flags: dict[int, bool], active: list[bool]) -> None:
        for d, dep in enumerate(scenario.deposits):
            if d in self.completed or flags[dep.user]:
                continue
            cap = None if dep.cap_percent is None else dep.amount * dep.cap_percent / HUNDRED
            k = 0
            while dep.offset + (k + 1) * dep.period <= now:
                t = dep.offset + (k + 1) * dep.period
                k += 1
                if (d, k - 1) in self.accruals:
                    continue
                found = [
                    (i, s) for i, s in enumerate(scenario.sessions) if active[i] and s.start <= t < s.end
                ]
                if not found:
                    continue
                sid, sess = found[0]
                amount = quantize_accrual(dep.amount * sess.rates[dep.level - 1] / HUNDRED)
                total = self.totals.get(d, Decimal(0))
                trimmed = False
                if cap is not None and amount >= cap - total:
                    trimmed = amount > cap - total
                    amount = cap - total
                    self.completed.add(d)
                if amount > 0:
                    self.accruals[(d, k - 1)] = (sid, amount, trimmed)
                    self.totals[d] = total + amount
                if d in self.completed:
                    break


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios(), batch=st.sampled_from([1, 2, 1000]), most=st.sampled_from([1, 4, 20_000]))
async def test_calculator_matches_reference_model(
    db: Database, scenario: Scenario, batch: int, most: int
) -> None:
    await wipe_rewards(db)
    async with db.transaction() as session:
        users: list[User] = []
        for i in range(scenario.users):
            users.append(await make_user(session, referrer=users[0] if scenario.referral and i else None))
        dep_ids, sess_ids = await seed_scenario(session, users, scenario.deposits, scenario.sessions, T0)
    model = Model()
    banned = dict.fromkeys(range(scenario.users), False)
    blocked = dict.fromkeys(range(scenario.users), False)
    active = [s.active for s in scenario.sessions]
    now = 0
    got: dict[tuple[int, int], tuple[int, Decimal, bool]] = {}
    for step in scenario.steps:
        now += step.advance
        if step.ban is not None:
            banned[step.ban] = not banned[step.ban]
        if step.block is not None:
            blocked[step.block] = not blocked[step.block]
        if step.toggle_session is not None:
            i = step.toggle_session
            others = [s for j, s in enumerate(scenario.sessions) if j != i and active[j]]
            # activation is refused when it would overlap an active session (SPEC §2.7)
            if active[i] or not any(overlap(scenario.sessions[i], o) for o in others):
                active[i] = not active[i]
        async with db.transaction() as session:
            for i, user in enumerate(users):
                await session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(is_banned=banned[i], earnings_blocked=blocked[i])
                )
            for i, sid in enumerate(sess_ids):
                await session.execute(
                    update(RewardSession).where(RewardSession.id == sid).values(is_active=active[i])
                )
        rules = RewardRules(enabled=step.enabled, on_accruals=step.on_accruals)
        at = T0 + timedelta(seconds=now)
        await accrue(db, rules, at, batch_size=batch, max_accruals=most)
        if step.enabled:
            flags = {u: banned[u] or blocked[u] for u in banned}
            model.run(scenario, now, flags, active)
        assert (await accrue(db, rules, at, batch_size=batch, max_accruals=most)).accruals == 0
        async with db.session() as session:
            rows = (await session.scalars(select(RewardAccrual))).all()
            got = {
                (dep_ids.index(r.deposit_id), r.period_index): (
                    sess_ids.index(r.session_id),
                    r.amount,
                    r.trimmed,
                )
                for r in rows
            }
            assert got == model.accruals
            deposits = {d.id: d for d in (await session.scalars(select(Deposit))).all()}
            for d, dep_id in enumerate(dep_ids):
                dep = deposits[dep_id]
                assert dep.accrued_total == model.totals.get(d, Decimal(0))
                assert (dep.status == DepositStatus.COMPLETED) == (d in model.completed)
                if dep.cap_amount is not None:
                    assert dep.accrued_total <= dep.cap_amount
            report = await run_check(session)
            assert report.ok, report.render()
