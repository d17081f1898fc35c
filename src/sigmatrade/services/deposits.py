"""Deposits of a user (SPEC §3.2, §3.3.1–§3.3.2, §5.6): level statuses, activation (a ``pending``
deposit with its amount and cap snapshot), cancel, the pending list and the history.

Status transitions (cancel included) are :mod:`services.deposit_lifecycle`. :func:`activate` returns the created deposit, so
late matching (§4.3.6) can be applied to it by its caller.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, bindparam, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.hot import HotSelect, engine_of
from sigmatrade.db.models import ChainCursor, Deposit, Referral, RewardSession, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain import levels as rules
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.domain.levels import LevelSpec, LevelState, LevelTable, UserFacts
from sigmatrade.domain.matching import tag_values
from sigmatrade.domain.paging import page_count
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, deposit_lifecycle, limits

PAGE_SIZE = 5
LIMIT_ACTION = "deposit_activation"
DEPOSIT_CURSOR = "usdt_deposits"

# Refusals of this module (the activation refusals use the codes of ``domain.levels``).
NOT_FOUND = "not_found"
NOT_CANCELLABLE = "not_cancellable"
RATE_LIMITED = "rate_limited"
CONFLICT = "conflict"


class DepositError(ValueError):
    """A refused deposit action; ``code`` selects the message, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Payment:
    """Where and how to pay (the Activation screen)."""

    system_wallet: str | None
    user_wallet: str
    contract: str
    explorer: str
    confirmation_mode: str  # "blocks" or "finalized"
    confirmation_blocks: int


@dataclass(frozen=True)
class Overview:
    """The Deposits screen."""

    table: LevelTable
    states: tuple[LevelState, ...]  # levels 1..max_open_level
    open_count: int  # pending + detected deposits


@dataclass(frozen=True)
class LevelView:
    table: LevelTable
    spec: LevelSpec
    state: LevelState
    facts: UserFacts
    current: Deposit | None  # the open (pending/detected) or active (confirmed) deposit of the level
    session_rate: Decimal | None  # rate of the reward session running now, per period
    period_hours: Decimal  # accrual period (the deposit's snapshot when it has one)


@dataclass(frozen=True)
class DepositInfo:
    """One deposit with what its screens show."""

    deposit: Deposit
    payment: Payment
    confirmations: int | None  # blocks on top of the transfer's block (detected, blocks mode), if known
    now: datetime


@dataclass(frozen=True)
class PendingList:
    items: Sequence[DepositInfo]
    now: datetime


@dataclass(frozen=True)
class HistoryPage:
    items: Sequence[Deposit]
    page: int
    pages: int
    total: int


# ---------------------------------------------------------------------------------------------- reads
def valid_id(value: int) -> bool:
    """0 (a button without an id) is a missing object. Ids arrive already bounded to the database's
    range: every id parsed from callback data is checked where it is parsed (``bot.callbacks``)."""
    return value >= 1


async def load_table(rt: Runtime) -> tuple[LevelTable, dict[str, Any]]:
    snapshot = await rt.store.snapshot()
    return rules.level_table(snapshot), snapshot


def payment(rt: Runtime, snapshot: dict[str, Any], user_wallet: str) -> Payment:
    env = rt.config
    return Payment(
        system_wallet=snapshot.get("deposit.system_wallet_address") or None,
        user_wallet=user_wallet,
        contract=env.usdt_contract_address,
        explorer=env.explorer_base_url,
        confirmation_mode=env.chain_confirmation_mode,
        confirmation_blocks=env.confirmation_blocks,
    )


def _verified_referrals(ancestor_id: ColumnElement[int]) -> Select[int]:
    """Direct referrals of ``ancestor_id`` that are verified and not banned (the one rule; a count)."""
    return (
        select(func.count(Referral.id))
        .join(User, User.id == Referral.descendant_id)
        .where(
            Referral.ancestor_id == ancestor_id,
            Referral.depth == 1,
            User.is_verified.is_(True),
            User.is_banned.is_(False),
        )
    )


async def verified_referrals(session: AsyncSession, user_id: int) -> int:
    """Direct referrals that are verified and not banned."""
    count = await session.scalar(_verified_referrals(literal(user_id, BigInteger)))
    return int(count or 0)


def _facts_statement() -> Select[*tuple[Any, ...]]:
    """The user's facts in one statement: a row per deposit (one row with no deposit when there is
    none), each carrying the user's flags and verified-referral count (NULL flags: no such user)."""
    anchor = select(bindparam("user_id", type_=BigInteger).label("user_id")).subquery()
    return (
        select(
            User.is_verified,
            User.is_banned,
            _verified_referrals(anchor.c.user_id).scalar_subquery(),
            Deposit.level,
            Deposit.status,
        )
        .select_from(anchor)
        .outerjoin(User, User.id == anchor.c.user_id)
        .outerjoin(Deposit, Deposit.user_id == anchor.c.user_id)
    )


# Also sent to the driver directly (db/hot.py) for the Deposits screen, a menu screen users open often.
_FACTS = HotSelect(_facts_statement())


def _to_facts(rows: Sequence[Sequence[Any]]) -> UserFacts:
    verified, banned, referrals = rows[0][:3]
    if verified is None:
        return rules.GUEST
    return UserFacts(
        registered=True,
        verified=bool(verified),
        banned=bool(banned),
        deposits=tuple((int(level), str(status)) for *_, level, status in rows if level is not None),
        verified_referrals=int(referrals or 0),
    )


async def _facts(session: AsyncSession, user_id: int, *, lock: bool = False) -> UserFacts:
    """The user's facts for the activation check, read in the caller's unit of work.

    ``lock``: lock the user row (PostgreSQL) so concurrent activations of one user serialise;
    SQLite's ``BEGIN IMMEDIATE`` already serialises them.
    """
    if lock and is_postgres(session):
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    return _to_facts((await session.execute(_FACTS.statement, {"user_id": user_id})).all())


async def _screen_facts(session: AsyncSession, user_id: int) -> UserFacts:
    """``_facts`` for a screen: one read outside any transaction (never for the activation check)."""
    return _to_facts(await _FACTS.all(engine_of(session), {"user_id": user_id}))


async def overview(session: AsyncSession, rt: Runtime, user: User) -> Overview:
    table, _ = await load_table(rt)
    facts = await _screen_facts(session, user.id)
    states = tuple(rules.level_state(table, facts, spec.level) for spec in table.open_levels)
    open_count = sum(1 for _, status in facts.deposits if status in rules.OPEN)
    return Overview(table=table, states=states, open_count=open_count)


async def _running_session(session: AsyncSession, now: datetime) -> RewardSession | None:
    found: RewardSession | None = await session.scalar(
        select(RewardSession)
        .where(
            RewardSession.is_active.is_(True),
            RewardSession.starts_at <= now,
            RewardSession.ends_at > now,
        )
        .order_by(RewardSession.starts_at, RewardSession.id)
        .limit(1)
    )
    return found


async def level_view(session: AsyncSession, rt: Runtime, user: User, level: int) -> LevelView:
    """The Level view; a level outside 1..5 is NOT_FOUND, a hidden one LEVEL_CLOSED."""
    table, snapshot = await load_table(rt)
    if not rules.MIN_LEVEL <= level <= rules.MAX_LEVEL:
        raise DepositError(NOT_FOUND)
    if not table.is_open(level):
        raise DepositError(rules.LEVEL_CLOSED, level=level, max_level=table.max_open_level)
    now = clock.now()
    async with unit(session):
        facts = await _facts(session, user.id)
        current = await session.scalar(
            select(Deposit)
            .where(
                Deposit.user_id == user.id,
                Deposit.level == level,
                Deposit.status.in_((*rules.OPEN, DepositStatus.CONFIRMED)),
            )
            .order_by(Deposit.id.desc())
            .limit(1)
        )
        running = await _running_session(session, now)
    if current is not None and current.accrual_period_seconds:
        period = Decimal(current.accrual_period_seconds) / 3600
    else:
        period = Decimal(int(snapshot["reward.accrual_period_hours"]))
    return LevelView(
        table=table,
        spec=table.spec(level),
        state=rules.level_state(table, facts, level),
        facts=facts,
        current=current,
        session_rate=running.rate_for(level) if running is not None else None,
        period_hours=period,
    )


async def _head(session: AsyncSession, rt: Runtime) -> int | None:
    """The chain head as this process knows it without network I/O: the provider's last seen head,
    else the deposit watcher's cursor."""
    head = rt.chain.known_head() if rt.chain is not None else None
    if head is not None:
        return head
    last = await session.scalar(select(ChainCursor.last_block).where(ChainCursor.name == DEPOSIT_CURSOR))
    return int(last) if last is not None else None


def _confirmations(deposit: Deposit, head: int | None, rt: Runtime) -> int | None:
    if (
        deposit.status != DepositStatus.DETECTED
        or deposit.block_number is None
        or head is None
        or rt.config.chain_confirmation_mode != "blocks"
    ):
        return None
    return max(0, min(rt.config.confirmation_blocks, head - int(deposit.block_number)))


async def own_deposit(session: AsyncSession, user_id: int, deposit_id: int) -> Deposit | None:
    """The user's deposit; another user's deposit is reported exactly like a missing one."""
    if not valid_id(deposit_id):
        return None
    async with unit(session):
        deposit = await session.get(Deposit, deposit_id, populate_existing=True)
    if deposit is None or deposit.user_id != user_id:
        return None
    return deposit


async def status(session: AsyncSession, rt: Runtime, user: User, deposit_id: int) -> DepositInfo:
    """A deposit of the user with its payment details and confirmations ("I have sent it")."""
    _, snapshot = await load_table(rt)
    if not valid_id(deposit_id):
        raise DepositError(NOT_FOUND)
    async with unit(session):
        deposit = await session.get(Deposit, deposit_id, populate_existing=True)
        if deposit is None or deposit.user_id != user.id:
            raise DepositError(NOT_FOUND)
        head = await _head(session, rt)
    return DepositInfo(
        deposit=deposit,
        payment=payment(rt, snapshot, user.wallet_address),
        confirmations=_confirmations(deposit, head, rt),
        now=clock.now(),
    )


async def pending(session: AsyncSession, rt: Runtime, user: User) -> PendingList:
    """The user's ``pending`` and ``detected`` deposits, oldest first (at most one per level)."""
    _, snapshot = await load_table(rt)
    async with unit(session):
        rows = (
            await session.scalars(
                select(Deposit)
                .where(Deposit.user_id == user.id, Deposit.status.in_(rules.OPEN))
                .order_by(Deposit.created_at, Deposit.id)
            )
        ).all()
        head = await _head(session, rt) if rows else None
    pay = payment(rt, snapshot, user.wallet_address)
    now = clock.now()
    return PendingList(
        items=[DepositInfo(row, pay, _confirmations(row, head, rt), now) for row in rows],
        now=now,
    )


async def history(session: AsyncSession, user_id: int, page: int) -> HistoryPage:
    """All deposits of the user, newest first, 5 per page; the page is clamped to 1..last."""
    async with unit(session):
        count = int(
            await session.scalar(select(func.count(Deposit.id)).where(Deposit.user_id == user_id)) or 0
        )
        pages = page_count(count, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        items = (
            await session.scalars(
                select(Deposit)
                .where(Deposit.user_id == user_id)
                .order_by(Deposit.created_at.desc(), Deposit.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    return HistoryPage(items=items, page=page, pages=pages, total=count)


# --------------------------------------------------------------------------------------------- writes
async def _free_tag(session: AsyncSession, amount: Decimal) -> Decimal:
    """An amount tag no other open deposit of the same amount has (finding 12): a transfer from a
    shared sender (an exchange's hot wallet) matches only the deposit whose tag it carries. Compared in
    Python (exact on both dialects); a race between two users may rarely share a tag, which is
    harmless (matching also needs the sender)."""
    rows = (
        await session.execute(
            select(Deposit.amount, Deposit.amount_tag).where(
                Deposit.status.in_(rules.OPEN), Deposit.amount_tag.is_not(None)
            )
        )
    ).all()
    used = {tag for nominal, tag in rows if nominal == amount}
    free = [tag for tag in tag_values() if tag not in used]
    return secrets.choice(free or tag_values())


def _refuse(refusal: rules.Refusal) -> DepositError:
    return DepositError(refusal.code, **refusal.params)


async def activate(session: AsyncSession, rt: Runtime, user: User, level: int) -> Deposit:
    """Create a ``pending`` deposit of ``level`` for ``user`` (§3.3.1) and return it.

    Order: the activation check (a refusal counts nothing), the per-action limit (10/hour), then one
    transaction that re-runs the check on fresh data under the user's lock, inserts the deposit with
    its amount and cap snapshot and ``expires_at`` = now + ``deposit.pending_ttl_hours``, and audits
    ``deposit_created``. The partial unique indexes are the last guard: a concurrent duplicate
    fails cleanly with the refusal of the deposit that won.
    """
    # Read settings before any unit of work: a cache refresh opens a session of its own.
    table, snapshot = await load_table(rt)
    ttl_hours = int(snapshot["deposit.pending_ttl_hours"])
    async with unit(session):
        facts = await _facts(session, user.id)
    refusal = rules.check_activation(table, facts, level)
    if refusal is not None:
        raise _refuse(refusal)
    verdict = await limits.hit(rt, LIMIT_ACTION, user.telegram_id)
    if not verdict.allowed:
        raise DepositError(RATE_LIMITED, wait_seconds=max(1, verdict.wait_seconds))
    spec = table.spec(level)
    now = clock.now()
    async with unit(session):
        facts = await _facts(session, user.id, lock=True)
        refusal = rules.check_activation(table, facts, level)
        if refusal is not None:
            raise _refuse(refusal)
        tag = await _free_tag(session, spec.amount) if rt.config.deposit_amount_tag else None
        try:
            deposit = await deposit_lifecycle.open_pending(
                session, user_id=user.id, spec=spec, amount_tag=tag, pending_ttl_hours=ttl_hours, now=now
            )
        except IntegrityError:
            refusal = rules.check_activation(table, await _facts(session, user.id), level)
            raise (_refuse(refusal) if refusal is not None else DepositError(CONFLICT, level=level)) from None
        await audit.log_user_action(
            session,
            user.id,
            user.telegram_id,
            "deposit_created",
            target_type="deposit",
            target_id=deposit.id,
            amount=spec.amount,
            after={"status": DepositStatus.PENDING},
            details={
                "deposit_id": deposit.id,
                "level": level,
                "amount": spec.amount,
                "cap_amount": spec.cap_amount,
                "amount_tag": deposit.amount_tag,
                "expires_at": deposit.expires_at,
            },
        )
    return deposit


async def describe(session: AsyncSession, rt: Runtime, user: User, deposit: Deposit) -> DepositInfo:
    """The Activation screen data of a deposit just created."""
    return await status(session, rt, user, deposit.id)


async def cancel(session: AsyncSession, rt: Runtime, user: User, deposit_id: int) -> Deposit:
    """User cancel (§3.3.2): only while ``pending`` — a conditional update on the status.

    A detected (or any later) deposit raises NOT_CANCELLABLE; another user's or a missing deposit
    NOT_FOUND. Nothing is written on refusal.
    """
    if not valid_id(deposit_id):
        raise DepositError(NOT_FOUND)
    now = clock.now()
    async with unit(session):
        cancelled = await deposit_lifecycle.cancel_pending(session, deposit_id, user.id, now)
        deposit = await session.get(Deposit, deposit_id, populate_existing=True)
        if deposit is None or deposit.user_id != user.id:
            raise DepositError(NOT_FOUND)
        if not cancelled:
            raise DepositError(NOT_CANCELLABLE, deposit_id=deposit.id, status=deposit.status)
        await audit.log_user_action(
            session,
            user.id,
            user.telegram_id,
            "deposit_cancelled",
            target_type="deposit",
            target_id=deposit.id,
            amount=deposit.amount,
            before={"status": DepositStatus.PENDING},
            after={"status": DepositStatus.CANCELLED},
            details={"deposit_id": deposit.id, "level": deposit.level},
        )
    return deposit
