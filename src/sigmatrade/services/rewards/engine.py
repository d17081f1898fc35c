"""The reward calculator (SPEC §3.6.3–§3.6.5, §3.4.5): set-based accrual in batches of deposits.

One transaction per batch of deposits (keyset by id; ``BATCH`` on PostgreSQL, ``BATCH_SQLITE`` on SQLite,
whose batch holds the database's only write lock), with a fixed number of SQL statements
whatever the batch holds. Two ways to plan and write a batch, with the same rules and results:

* **PostgreSQL** (``pg_batch``), unless commissions on accruals are on: two statements. The
  calculator's lock (``pg_advisory_xact_lock``, JIT off for the transaction), then one ``WITH``
  statement that loads the batch, finds the due and missing periods, computes the amounts and the cap
  in ``numeric`` and writes journal entries, accruals, postings, balances and deposits, returning
  what the messages need as one row of arrays. Nothing per accrual is built in Python:
  docs/performance.md ("Reward calculator throughput") has where the time goes.
* **Python plan** (SQLite; PostgreSQL with ``referral.on_accruals``, or ``sql_plan=False``):

  1. (PostgreSQL) the same lock; SQLite's ``BEGIN IMMEDIATE`` does the same.
  2. the batch: ``confirmed`` deposits of users neither banned nor earnings-blocked;
  3. per (deposit, due range of an active session): count and highest period already accrued, one
     statement joining a parameter table; the rare range with a hole (a back-fill below accrued
     periods) costs one more statement listing the periods present;
  4. the plan in Python ``Decimal`` (``domain.rewards.plan_deposit``: exact, cap trimmed to the wei);
  5. bulk writes: journal entries (``accrual:<deposit>:<session>:<period>``), ``reward_accruals``,
     commissions on accruals when ``referral.on_accruals`` (same rule as on deposits:
     ``domain.referrals.plan_commissions``), postings, account balances (locked in id order, new
     balances computed in Python), deposits (``accrued_total``, ``completed``).

The lock serialises accrual batches of every replica and of a recalculation run, so each batch plans
from committed, current data. A conflicting insert (an accrual or key that already exists) or a
deposit that changed under the plan rolls the batch back and fails the run: the unique keys make a
double accrual impossible, the lock makes it not happen.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.context import current_request_id
from sigmatrade.db.models import (
    Deposit,
    JournalEntry,
    LedgerAccount,
    LedgerPosting,
    Referral,
    ReferralCommission,
    RewardAccrual,
    RewardSession,
    User,
)
from sigmatrade.db.session import Database, is_postgres
from sigmatrade.domain import referrals
from sigmatrade.domain.enums import (
    CommissionSource,
    CommissionStatus,
    DepositStatus,
)
from sigmatrade.domain.rewards import (
    DepositPlan,
    DepositState,
    PlannedAccrual,
    Window,
    plan_deposit,
    windows_for,
)
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import EntrySpec
from sigmatrade.services import settings
from sigmatrade.services.rewards import bulk, pg_batch

BATCH = 5000
BATCH_SQLITE = 1000
NEVER = datetime.min.replace(tzinfo=UTC)
MAX_ACCRUALS_PER_BATCH = 20_000
ADVISORY_LOCK_ID = 0x5157_4143  # 'reward accrual' batches, one at a time across replicas


@dataclass(frozen=True)
class RewardRules:
    enabled: bool = True
    on_accruals: bool = False
    referral_rates: tuple[Decimal, ...] = (Decimal(3), Decimal(2), Decimal(5))

    KEYS: ClassVar[tuple[str, ...]] = ("reward.enabled", "referral.on_accruals", "referral.rates")

    @classmethod
    async def read(cls, session: AsyncSession) -> RewardRules:
        """The rules as stored now (past the settings cache), in the caller's transaction."""
        values = await settings.read(session, cls.KEYS)
        return cls(
            enabled=bool(values["reward.enabled"]),
            on_accruals=bool(values["referral.on_accruals"]),
            referral_rates=tuple(values["referral.rates"]),
        )


@dataclass
class Completion:
    deposit_id: int
    user_id: int
    level: int
    amount: Decimal
    cap_amount: Decimal


@dataclass
class RunResult:
    accruals: int = 0
    total: Decimal = Decimal(0)
    commissions: int = 0
    batches: int = 0
    deposits_seen: int = 0
    completions: list[Completion] = field(default_factory=list)
    # user id -> [(deposit id, level, amount)] credited this run
    per_user: dict[int, list[tuple[int, int, Decimal]]] = field(default_factory=lambda: defaultdict(list))

    def absorb(self, other: RunResult) -> None:
        self.accruals += other.accruals
        self.total += other.total
        self.commissions += other.commissions
        self.batches += other.batches
        self.deposits_seen += other.deposits_seen
        self.completions.extend(other.completions)
        for user_id, lines in other.per_user.items():
            self.per_user[user_id].extend(lines)


class AccrualConflict(RuntimeError):
    """An accrual of the batch already existed: the batch was rolled back."""


async def active_windows(session: AsyncSession, only_session: int | None = None) -> list[Window]:
    stmt = select(RewardSession).where(RewardSession.is_active.is_(True)).order_by(RewardSession.starts_at)
    if only_session is not None:
        stmt = stmt.where(RewardSession.id == only_session)
    return [
        Window(s.id, s.starts_at, s.ends_at, tuple(s.rate_for(level) for level in range(1, 6)))
        for s in (await session.scalars(stmt)).all()
    ]


async def accrue(
    db: Database,
    rules: RewardRules | None,
    now: datetime,
    *,
    only_session: int | None = None,
    batch_size: int | None = None,
    max_accruals: int = MAX_ACCRUALS_PER_BATCH,
    sql_plan: bool = True,
    after_batch: Callable[[RunResult], Awaitable[None]] | None = None,
) -> RunResult:
    """Accrue every due, missing period (of one session with ``only_session``) up to ``now``.

    ``rules=None`` (the calculator): every batch reads the stored rules after its lock, so turning
    ``reward.enabled`` off (or changing the referral rules) takes effect at the next batch of a run in
    progress. ``after_batch`` gets each batch's result once it committed (its completion messages must
    not wait for, or be lost with, a later batch). ``sql_plan=False`` plans in Python on PostgreSQL too
    (the equivalence test compares both)."""
    result = RunResult()
    if rules is not None and not rules.enabled:
        return result
    limit = batch_size or (BATCH_SQLITE if db.is_sqlite else BATCH)
    after_id = 0
    while True:
        async with db.transaction() as session:
            batch = await accrue_batch(
                session,
                rules,
                now,
                after_id=after_id,
                limit=limit,
                only_session=only_session,
                max_accruals=max_accruals,
                sql_plan=sql_plan,
            )
        if batch is None:
            break
        after_id, part = batch
        result.absorb(part)
        if after_batch is not None:
            await after_batch(part)
    return result


async def accrue_batch(
    session: AsyncSession,
    rules: RewardRules | None,
    now: datetime,
    *,
    after_id: int,
    limit: int,
    only_session: int | None = None,
    max_accruals: int = MAX_ACCRUALS_PER_BATCH,
    sql_plan: bool = True,
) -> tuple[int, RunResult] | None:
    """One batch in the caller's transaction: (last deposit id done, result), or None when done.

    The active sessions are read after the lock, so a session deactivated (committed) before a batch
    starts accrues nothing in it. A batch stops early, at a deposit boundary, once it planned
    ``max_accruals`` accruals (a long back-fill is spread over several transactions). With
    ``rules=None`` the stored rules are read after the lock too, and a switched-off calculator stops."""
    pg = is_postgres(session)
    if pg:
        # JIT compiling the batch statement would cost more than running it
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:k), set_config('jit', 'off', true)"), {"k": ADVISORY_LOCK_ID}
        )
    if rules is None:
        rules = await RewardRules.read(session)
        if not rules.enabled:
            return None
    if pg and sql_plan and not rules.on_accruals:
        return await _accrue_in_sql(session, now, after_id, limit, only_session, max_accruals)
    windows = await active_windows(session, only_session)
    if not windows:
        return None
    deposits = await _load_deposits(session, after_id, limit, pg)
    if not deposits:
        return None
    ranges: list[tuple[DepositState, Window, int, int]] = []
    for dep in deposits:
        ranges.extend((dep, w, lo, hi) for w, lo, hi in windows_for(dep, windows, now))
    plans = await _plan(session, ranges, pg)
    last_id = deposits[-1].deposit_id
    kept: list[DepositPlan] = []
    count = 0
    for plan in plans:  # in deposit id order
        if kept and count + len(plan.accruals) > max_accruals:
            last_id = kept[-1].deposit.deposit_id
            break
        kept.append(plan)
        count += len(plan.accruals)
    seen = sum(1 for dep in deposits if dep.deposit_id <= last_id)
    result = RunResult(batches=1, deposits_seen=seen)
    planned = [a for p in kept for a in p.accruals]
    if planned or any(p.completed for p in kept):
        await _write(session, rules, kept, planned, now, pg, result)
    return last_id, result


async def _accrue_in_sql(
    session: AsyncSession,
    now: datetime,
    after_id: int,
    limit: int,
    only_session: int | None,
    max_accruals: int,
) -> tuple[int, RunResult] | None:
    batch = await pg_batch.run(
        session,
        now,
        after_id=after_id,
        limit=limit,
        only_session=only_session,
        max_accruals=max_accruals,
        request_id=current_request_id(),
    )
    if batch.last_id is None:
        return None
    if batch.conflicts:
        raise AccrualConflict(f"{batch.conflicts} deposit(s) changed while the batch was planned")
    result = RunResult(batches=1, deposits_seen=batch.seen, accruals=len(batch.accruals))
    for deposit_id, user_id, level, amount in batch.accruals:
        result.per_user[user_id].append((deposit_id, level, amount))
        result.total += amount
    result.completions = [Completion(*line) for line in batch.completions]
    return batch.last_id, result


async def _load_deposits(session: AsyncSession, after_id: int, limit: int, pg: bool) -> list[DepositState]:
    # SQLite would pick the status index and sort every confirmed deposit for each batch; comparing
    # ``status || ''`` keeps it on the primary key (keyset order), as PostgreSQL's planner does anyway.
    status = Deposit.status if pg else Deposit.status + ""
    rows = (
        await session.execute(
            select(
                Deposit.id,
                Deposit.user_id,
                Deposit.level,
                Deposit.amount,
                Deposit.cap_amount,
                Deposit.accrued_total,
                Deposit.confirmed_at,
                Deposit.accrual_period_seconds,
            )
            .join(User, User.id == Deposit.user_id)
            .where(
                Deposit.id > after_id,
                status == DepositStatus.CONFIRMED,
                User.is_banned.is_(False),
                User.earnings_blocked.is_(False),
                Deposit.confirmed_at.is_not(None),
                Deposit.accrual_period_seconds > 0,
            )
            .order_by(Deposit.id)
            .limit(limit)
        )
    ).all()
    # confirmed_at and the period are non-null by the query's conditions
    return [DepositState(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or NEVER, int(r[7] or 1)) for r in rows]


def _param_table(pg: bool, rows: list[tuple[int, int, int]]) -> tuple[str, dict[str, Any]]:
    """A (deposit_id, lo, hi) table from parameters: ``unnest`` on PostgreSQL, ``json_each`` on SQLite."""
    if pg:
        sql = (
            "SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:los AS int[]), CAST(:his AS int[]))"
            " AS v(deposit_id, lo, hi)"
        )
        return sql, {"ids": [r[0] for r in rows], "los": [r[1] for r in rows], "his": [r[2] for r in rows]}
    sql = (
        "SELECT json_extract(value, '$[0]') AS deposit_id, json_extract(value, '$[1]') AS lo,"
        " json_extract(value, '$[2]') AS hi FROM json_each(:data)"
    )
    return sql, {"data": json.dumps(rows)}


async def _plan(
    session: AsyncSession, ranges: list[tuple[DepositState, Window, int, int]], pg: bool
) -> list[DepositPlan]:
    if not ranges:
        return []
    keyed = [(dep.deposit_id, lo, hi) for dep, _, lo, hi in ranges]
    table, params = _param_table(pg, keyed)
    stats = {
        (int(r[0]), int(r[1])): (int(r[2]), None if r[3] is None else int(r[3]))
        for r in (
            await session.execute(
                text(
                    f"SELECT v.deposit_id, v.lo, count(a.id), max(a.period_index) FROM ({table}) v"  # noqa: S608
                    " LEFT JOIN reward_accruals a ON a.deposit_id = v.deposit_id"
                    " AND a.period_index BETWEEN v.lo AND v.hi GROUP BY v.deposit_id, v.lo"
                ),
                params,
            )
        ).all()
    }
    holes = [
        key for key in keyed if stats.get((key[0], key[1]), (0, None))[0] not in (0, _contiguous(key, stats))
    ]
    present: dict[int, set[int]] = defaultdict(set)
    if holes:
        table, params = _param_table(pg, holes)
        for dep_id, k in (
            await session.execute(
                text(
                    f"SELECT a.deposit_id, a.period_index FROM ({table}) v JOIN reward_accruals a"  # noqa: S608
                    " ON a.deposit_id = v.deposit_id AND a.period_index BETWEEN v.lo AND v.hi"
                ),
                params,
            )
        ).all():
            present[int(dep_id)].add(int(k))
    hole_keys = set(holes)
    missing: dict[int, list[tuple[int, Window]]] = defaultdict(list)
    states: dict[int, DepositState] = {}
    for dep, window, lo, hi in ranges:
        states[dep.deposit_id] = dep
        key = (dep.deposit_id, lo, hi)
        count, top = stats.get((dep.deposit_id, lo), (0, None))
        if key in hole_keys:
            ks: range | list[int] = [k for k in range(lo, hi + 1) if k not in present[dep.deposit_id]]
        elif count == 0 or top is None:
            ks = range(lo, hi + 1)
        else:
            ks = range(top + 1, hi + 1)
        missing[dep.deposit_id].extend((k, window) for k in ks)
    return [plan_deposit(states[dep_id], items) for dep_id, items in missing.items() if items]


def _contiguous(key: tuple[int, int, int], stats: dict[tuple[int, int], tuple[int, int | None]]) -> int:
    """The count a range has when its accrued periods are exactly lo..max (no hole below the top)."""
    _, top = stats.get((key[0], key[1]), (0, None))
    return 0 if top is None else top - key[1] + 1


async def _write(
    session: AsyncSession,
    rules: RewardRules,
    plans: list[DepositPlan],
    planned: list[PlannedAccrual],
    now: datetime,
    pg: bool,
    result: RunResult,
) -> None:
    rid = current_request_id()
    specs = [
        entries.reward_accrual(a.deposit_id, a.session_id, a.period_index, a.user_id, a.amount)
        for a in planned
    ]
    entry_ids = await _insert_entries(session, specs, rid, now, pg)
    accrual_table = RewardAccrual
    accrual_ids = await bulk.allocate_ids(session, accrual_table, len(planned), pg)
    await bulk.insert_rows(
        session,
        accrual_table,
        [
            {
                "id": accrual_id,
                "deposit_id": a.deposit_id,
                "session_id": a.session_id,
                "period_index": a.period_index,
                "accrued_at_period_end": a.period_end,
                "user_id": a.user_id,
                "level": a.level,
                "base_amount": a.base_amount,
                "rate": a.rate,
                "amount": a.amount,
                "trimmed": a.trimmed,
                "journal_entry_id": entry_id,
                "created_at": now,
            }
            for a, entry_id, accrual_id in zip(planned, entry_ids, accrual_ids, strict=True)
        ],
        pg,
    )
    postings: list[tuple[int, str, Decimal]] = []  # (entry id, account code, amount)
    for spec, entry_id in zip(specs, entry_ids, strict=True):
        postings.extend((entry_id, p.account, p.amount) for p in spec.postings)
    if rules.on_accruals and planned:
        result.commissions = await _commissions(session, rules, planned, accrual_ids, postings, rid, now, pg)
    await _post(session, postings, now, pg)
    changed = [p for p in plans if p.accruals or p.completed]
    updated = await bulk.update_rows(
        session,
        Deposit,
        [
            {
                "id": p.deposit.deposit_id,
                "accrued_total": p.accrued_total,
                "status": DepositStatus.COMPLETED if p.completed else DepositStatus.CONFIRMED,
                "completed_at": now if p.completed else None,
                "updated_at": now,
                "was_accrued_total": p.deposit.accrued_total,
            }
            for p in changed
        ],
        pg,
        where="deposits.status = 'confirmed'",
        expect=("accrued_total",),
    )
    if updated != len(changed):
        raise AccrualConflict(f"{len(changed) - updated} deposit(s) changed while the batch was planned")
    for plan in plans:
        dep = plan.deposit
        for a in plan.accruals:
            result.per_user[a.user_id].append((a.deposit_id, a.level, a.amount))
            result.accruals += 1
            result.total += a.amount
        if plan.completed and dep.cap_amount is not None:
            result.completions.append(
                Completion(dep.deposit_id, dep.user_id, dep.level, dep.amount, dep.cap_amount)
            )


async def _insert_entries(
    session: AsyncSession, specs: list[EntrySpec], rid: str | None, now: datetime, pg: bool
) -> list[int]:
    table = JournalEntry
    ids = await bulk.allocate_ids(session, table, len(specs), pg)
    await bulk.insert_rows(
        session,
        table,
        [
            {
                "id": entry_id,
                "idempotency_key": s.key,
                "entry_type": s.entry_type,
                "reference_type": s.reference_type,
                "reference_id": s.reference_id,
                "request_id": rid,
                "created_at": now,
            }
            for s, entry_id in zip(specs, ids, strict=True)
        ],
        pg,
    )
    return ids


async def _commissions(
    session: AsyncSession,
    rules: RewardRules,
    planned: list[PlannedAccrual],
    accrual_ids: list[int],
    postings: list[tuple[int, str, Decimal]],
    rid: str | None,
    now: datetime,
    pg: bool,
) -> int:
    """Referral commissions on this batch's accruals (SPEC §3.4.5): one rule with the deposit case."""
    payers = sorted({a.user_id for a in planned})
    uplines: dict[int, list[referrals.Upline]] = defaultdict(list)
    for payer, ancestor, depth, banned, blocked in (
        await session.execute(
            select(
                Referral.descendant_id,
                Referral.ancestor_id,
                Referral.depth,
                User.is_banned,
                User.earnings_blocked,
            )
            .join(User, User.id == Referral.ancestor_id)
            .where(Referral.descendant_id.in_(payers))
        )
    ).all():
        uplines[payer].append(referrals.Upline(ancestor, int(depth), bool(banned), bool(blocked)))
    lines: list[tuple[PlannedAccrual, int, referrals.CommissionLine]] = []
    for accrual, accrual_id in zip(planned, accrual_ids, strict=True):
        for line in referrals.plan_commissions(
            accrual.amount, uplines.get(accrual.user_id, []), rules.referral_rates
        ):
            lines.append((accrual, accrual_id, line))
    if not lines:
        return 0
    credited = [(aid, line) for _, aid, line in lines if line.credited]
    specs = [
        entries.referral_commission(CommissionSource.ACCRUAL, aid, line.beneficiary_id, line.amount)
        for aid, line in credited
    ]
    entry_ids = await _insert_entries(session, specs, rid, now, pg)
    entry_of = {(aid, line.beneficiary_id): eid for (aid, line), eid in zip(credited, entry_ids, strict=True)}
    for spec, entry_id in zip(specs, entry_ids, strict=True):
        postings.extend((entry_id, p.account, p.amount) for p in spec.postings)
    table = ReferralCommission
    ids = await bulk.allocate_ids(session, table, len(lines), pg)
    await bulk.insert_rows(
        session,
        table,
        [
            {
                "id": row_id,
                "source_type": CommissionSource.ACCRUAL,
                "source_id": aid,
                "payer_user_id": accrual.user_id,
                "beneficiary_user_id": line.beneficiary_id,
                "depth": line.depth,
                "rate": line.rate,
                "base_amount": line.base_amount,
                "amount": line.amount,
                "status": CommissionStatus.CREDITED if line.credited else CommissionStatus.SKIPPED,
                "skip_reason": line.skip_reason,
                "journal_entry_id": entry_of.get((aid, line.beneficiary_id)),
                "created_at": now,
            }
            for (accrual, aid, line), row_id in zip(lines, ids, strict=True)
        ],
        pg,
    )
    return len(credited)


async def _post(
    session: AsyncSession, postings: list[tuple[int, str, Decimal]], now: datetime, pg: bool
) -> None:
    """Insert the postings and move the cached balances (accounts locked in id order first)."""
    if not postings:
        return
    codes = sorted({code for _, code, _ in postings})
    stmt = (
        select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.balance)
        .where(LedgerAccount.code.in_(codes))
        .order_by(LedgerAccount.id)
    )
    if pg:
        stmt = stmt.with_for_update()
    accounts = {code: (acc_id, balance) for acc_id, code, balance in (await session.execute(stmt)).all()}
    missing = set(codes) - set(accounts)
    if missing:
        raise RuntimeError(f"unknown ledger accounts: {sorted(missing)[:5]}")
    table = LedgerPosting
    ids = await bulk.allocate_ids(session, table, len(postings), pg)
    await bulk.insert_rows(
        session,
        table,
        [
            {
                "id": row_id,
                "entry_id": entry_id,
                "account_id": accounts[code][0],
                "amount": amount,
                "created_at": now,
            }
            for (entry_id, code, amount), row_id in zip(postings, ids, strict=True)
        ],
        pg,
    )
    deltas: dict[str, Decimal] = defaultdict(Decimal)
    for _, code, amount in postings:
        deltas[code] += amount
    await bulk.update_rows(
        session,
        LedgerAccount,
        [{"id": accounts[code][0], "balance": accounts[code][1] + delta} for code, delta in deltas.items()],
        pg,
    )
