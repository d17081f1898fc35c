"""Withdrawal requests (SPEC §3.7.1–§3.7.4, §3.7.7, §3.8.1): eligibility, amount checks, the request
transaction (payout + ledger hold + audit), user cancel and the user's payout list.

Approval by admins and the on-chain pipeline live elsewhere: a request waits safely, its amount held
on the user's ``held`` ledger account.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.aggregate import total
from sigmatrade.db.models import LedgerAccount, Payout, PayoutApproval, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain import withdrawals as rules_mod
from sigmatrade.domain.enums import OPEN_PAYOUT_STATUSES, PayoutKind, PayoutStatus
from sigmatrade.domain.money import amount_to_raw, format_amount
from sigmatrade.domain.paging import page_count
from sigmatrade.domain.withdrawals import Approval, Quote, Rejection, Rules
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import InsufficientFunds, post
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, finpass, limits
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.settings import SettingsStore
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator

PAGE_SIZE = 5
LIMIT_ACTION = "withdrawal_request"
# Requests in these statuses do not count towards the daily limit.
NOT_COUNTED = (PayoutStatus.CANCELLED, PayoutStatus.REJECTED, PayoutStatus.FAILED)
USER_KINDS = (PayoutKind.WITHDRAWAL, PayoutKind.AUTO_PAYOUT)


class WithdrawalError(ValueError):
    """A refused withdrawal action; ``code`` selects the message, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# Eligibility codes (§3.7: verified, not banned, not earnings-blocked, withdrawals enabled).
NOT_VERIFIED = "not_verified"
BANNED = "banned"
EARNINGS_BLOCKED = "earnings_blocked"
DISABLED = "disabled"
# Other refusals.
RATE_LIMITED = "rate_limited"
INSUFFICIENT_FUNDS = "insufficient_funds"
NOT_FOUND = "not_found"
NOT_CANCELLABLE = "not_cancellable"
LOCKED = "locked"  # finpass lockout (§3.8.1)
TERMS_CHANGED = "terms_changed"  # the fee differs from the one the user confirmed


@dataclass(frozen=True)
class Overview:
    """What the Withdraw screen shows."""

    rules: Rules
    available: Decimal
    held: Decimal
    used_today: Decimal
    wallet: str
    open_payouts: Sequence[Payout]
    blocked: str | None  # an eligibility code, or None when the user may withdraw

    @property
    def remaining_today(self) -> Decimal | None:
        return rules_mod.daily_remaining(self.rules, self.used_today)

    @property
    def can_start(self) -> bool:
        return self.blocked is None and rules_mod.can_start(self.rules, self.available)

    @property
    def all_offer(self) -> Decimal:
        return rules_mod.withdraw_all_offer(self.rules, self.available, self.used_today)


@dataclass(frozen=True)
class FlowContext:
    """Limits and balance shown by the amount prompt."""

    rules: Rules
    available: Decimal
    used_today: Decimal

    @property
    def remaining_today(self) -> Decimal | None:
        return rules_mod.daily_remaining(self.rules, self.used_today)


@dataclass(frozen=True)
class Proposal:
    """An accepted amount: fee and net, and how it will be approved (for the summary)."""

    quote: Quote
    rules: Rules
    approval: Approval


@dataclass(frozen=True)
class SubmitResult:
    check: finpass.CheckResult
    payout: Payout | None = None
    created: bool = False


@dataclass(frozen=True)
class PayoutPage:
    items: Sequence[Payout]
    page: int
    pages: int
    total: int
    approvals: dict[int, int] = field(default_factory=dict)  # payout id -> approvals so far (requested)


# ---------------------------------------------------------------------------------------------- reads
async def load_rules(store: SettingsStore) -> Rules:
    values = await store.many(
        [
            "withdrawal.min",
            "withdrawal.max",
            "withdrawal.fee_percent",
            "withdrawal.daily_limit",
            "withdrawal.auto_approve_below",
            "withdrawal.two_admin_threshold",
            "payout.min_net_amount",
        ]
    )
    return Rules(
        minimum=values["withdrawal.min"],
        maximum=values["withdrawal.max"],
        fee_percent=values["withdrawal.fee_percent"],
        daily_limit=values["withdrawal.daily_limit"],
        auto_approve_below=values["withdrawal.auto_approve_below"],
        two_admin_threshold=values["withdrawal.two_admin_threshold"],
        min_net=values["payout.min_net_amount"],
    )


def ineligibility(user: User, enabled: bool) -> str | None:
    """Why ``user`` may not withdraw now, or None."""
    if user.is_banned:
        return BANNED
    if not user.is_verified:
        return NOT_VERIFIED
    if user.earnings_blocked:
        return EARNINGS_BLOCKED
    if not enabled:
        return DISABLED
    return None


def utc_day(moment: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the UTC day containing ``moment``."""
    start = datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def used_today(session: AsyncSession, user_id: int) -> Decimal:
    """Sum of today's (UTC) withdrawal requests of the user, except cancelled/rejected/failed ones."""
    start, end = utc_day(clock.now())
    return await total(
        session,
        select(Payout.amount).where(
            Payout.user_id == user_id,
            Payout.kind == PayoutKind.WITHDRAWAL,
            Payout.status.not_in(NOT_COUNTED),
            Payout.created_at >= start,
            Payout.created_at < end,
        ),
    )


async def _balance(session: AsyncSession, code: str) -> Decimal:
    value = await session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code))
    return value if value is not None else Decimal(0)


async def overview(session: AsyncSession, rt: Runtime, user: User) -> Overview:
    rules = await load_rules(rt.store)
    enabled = bool(await rt.store.get("withdrawal.enabled"))
    async with unit(session):
        available = await _balance(session, accounts.available(user.id))
        held = await _balance(session, accounts.held(user.id))
        today = await used_today(session, user.id)
        open_payouts = (
            await session.scalars(
                select(Payout)
                .where(Payout.user_id == user.id, Payout.status.in_(OPEN_PAYOUT_STATUSES))
                .order_by(Payout.id.desc())
                .limit(PAGE_SIZE)
            )
        ).all()
    return Overview(
        rules=rules,
        available=available,
        held=held,
        used_today=today,
        wallet=user.wallet_address,
        open_payouts=open_payouts,
        blocked=ineligibility(user, enabled),
    )


async def own_payout(session: AsyncSession, user_id: int, payout_id: int) -> Payout | None:
    """The user's payout; another user's payout is reported exactly like a missing one."""
    async with unit(session):
        payout = await session.get(Payout, payout_id, populate_existing=True)
    if payout is None or payout.user_id != user_id:
        return None
    return payout


async def payouts_page(session: AsyncSession, user_id: int, page: int) -> PayoutPage:
    """The user's payouts, newest first, 5 per page; the page is clamped to 1..last."""
    async with unit(session):
        count = int(await session.scalar(select(func.count(Payout.id)).where(Payout.user_id == user_id)) or 0)
        pages = page_count(count, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        items = (
            await session.scalars(
                select(Payout)
                .where(Payout.user_id == user_id)
                .order_by(Payout.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
        waiting = [p.id for p in items if p.status == PayoutStatus.REQUESTED and p.required_approvals > 1]
        approvals: dict[int, int] = {}
        if waiting:
            rows = await session.execute(
                select(PayoutApproval.payout_id, func.count(PayoutApproval.id))
                .where(PayoutApproval.payout_id.in_(waiting))
                .group_by(PayoutApproval.payout_id)
            )
            approvals = {int(pid): int(n) for pid, n in rows.all()}
    return PayoutPage(items=items, page=page, pages=pages, total=count, approvals=approvals)


# ---------------------------------------------------------------------------------------------- flow
def new_flow_id() -> int:
    """Identifies one withdrawal flow (kept in FSM data); the payout's idempotency key derives from it."""
    return secrets.randbits(48) + 1


def idempotency_key(user_id: int, flow_id: int) -> str:
    return f"withdrawal:{user_id}:{flow_id}"


async def _limit_wait(rt: Runtime, telegram_id: int) -> int:
    """Seconds until one more request is allowed (0 = allowed), without counting a use."""
    verdict = await limits.peek(rt, LIMIT_ACTION, telegram_id)
    return 0 if verdict.allowed else max(1, verdict.wait_seconds)


async def _gate(rt: Runtime, user: User) -> None:
    enabled = bool(await rt.store.get("withdrawal.enabled"))
    reason = ineligibility(user, enabled)
    if reason is not None:
        raise WithdrawalError(reason)


async def begin(session: AsyncSession, rt: Runtime, user: User) -> FlowContext:
    """Start of a flow: the user may withdraw and is not over the hourly request limit."""
    await _gate(rt, user)
    wait = await _limit_wait(rt, user.telegram_id)
    if wait:
        raise WithdrawalError(RATE_LIMITED, wait_seconds=wait)
    rules = await load_rules(rt.store)
    async with unit(session):
        available = await _balance(session, accounts.available(user.id))
        today = await used_today(session, user.id)
    return FlowContext(rules=rules, available=available, used_today=today)


def new_payout(
    kind: PayoutKind,
    user: User,
    quote: rules_mod.Quote,
    approval: rules_mod.Approval,
    *,
    key: str,
    decimals: int,
    now: datetime,
) -> Payout:
    """A payout of ``quote`` to the user's registered wallet: ``requested``, or ``approved`` at once
    when the approval policy (§3.7.4) says so. The caller adds it and posts the hold."""
    return Payout(
        kind=kind,
        user_id=user.id,
        to_address=user.wallet_address,
        amount=quote.amount,
        fee=quote.fee,
        net_amount=quote.net,
        raw_amount=amount_to_raw(quote.net, decimals),
        status=PayoutStatus.APPROVED if approval.auto_approved else PayoutStatus.REQUESTED,
        required_approvals=approval.required_approvals,
        auto_approved=approval.auto_approved,
        idempotency_key=key,
        requested_at=now,
        approved_at=now if approval.auto_approved else None,
    )


def _raise_rejection(rejection: Rejection) -> NoReturn:
    raise WithdrawalError(str(rejection.error), bound=rejection.bound)


async def check_amount(session: AsyncSession, rt: Runtime, user: User, amount: str | Decimal) -> Proposal:
    """Validate a typed amount (or a Decimal) against the rules, the balance and today's requests."""
    await _gate(rt, user)
    rules = await load_rules(rt.store)
    async with unit(session):
        available = await _balance(session, accounts.available(user.id))
        today = await used_today(session, user.id)
    if isinstance(amount, Decimal):
        result = rules_mod.check(amount, rules, available=available, used_today=today)
    else:
        result = rules_mod.validate(amount, rules, available=available, used_today=today)
    if isinstance(result, Rejection):
        _raise_rejection(result)
    return Proposal(quote=result, rules=rules, approval=rules_mod.approval_policy(result.amount, rules))


async def withdraw_all(session: AsyncSession, rt: Runtime, user: User) -> Proposal:
    """The "withdraw all" offer, validated like a typed amount."""
    context = await begin(session, rt, user)
    offer = rules_mod.withdraw_all_offer(context.rules, context.available, context.used_today)
    return await check_amount(session, rt, user, offer)


def _same_terms(quote: Quote, expected_fee: Decimal | None) -> None:
    if expected_fee is not None and quote.fee != expected_fee:
        raise WithdrawalError(TERMS_CHANGED)


async def prepare_finpass(
    session: AsyncSession, rt: Runtime, user: User, amount: Decimal, fee: Decimal | None = None
) -> int:
    """Summary confirmed: re-check the amount, the fee shown and the lockout; returns attempts left."""
    proposal = await check_amount(session, rt, user, amount)
    _same_terms(proposal.quote, fee)
    max_attempts = int(await rt.store.get("finpass.max_attempts"))
    async with unit(session):
        fresh = await session.get(User, user.id, populate_existing=True)
    if fresh is None:
        raise WithdrawalError(NOT_FOUND)
    locked_until = fresh.finpass_locked_until
    if locked_until is not None:
        if locked_until > clock.now():
            raise WithdrawalError(LOCKED, until=locked_until)
        return max_attempts  # the lockout expired: the next check starts a new count
    return max(0, max_attempts - fresh.finpass_failed_attempts)


async def _existing(session: AsyncSession, key: str) -> Payout | None:
    payout: Payout | None = await session.scalar(
        select(Payout).where(Payout.idempotency_key == key).execution_options(populate_existing=True)
    )
    return payout


async def request(
    session: AsyncSession,
    rt: Runtime,
    user_id: int,
    *,
    flow_id: int,
    amount: Decimal,
    expected_fee: Decimal | None = None,
) -> tuple[Payout, bool]:
    """One transaction: payout row + ``withdrawal_hold`` + audit. Returns (payout, created).

    The same ``flow_id`` always yields the same payout (idempotency key), so a double submit
    creates one. A balance that changed since the summary fails cleanly (nothing written); so does
    a fee that differs from ``expected_fee`` (the one the user confirmed).
    """
    rules = await load_rules(rt.store)
    enabled = bool(await rt.store.get("withdrawal.enabled"))
    key = idempotency_key(user_id, flow_id)
    async with unit(session):
        found = await _existing(session, key)
        if found is not None:
            return found, False
        # Serialises this user's requests (daily limit, balance) on PostgreSQL; SQLite holds its write lock.
        user = await session.get(User, user_id, with_for_update=is_postgres(session), populate_existing=True)
        if user is None:
            raise WithdrawalError(NOT_FOUND)
        found = await _existing(session, key)
        if found is not None:
            return found, False
        reason = ineligibility(user, enabled)
        if reason is not None:
            raise WithdrawalError(reason)
        available = await _balance(session, accounts.available(user_id))
        today = await used_today(session, user_id)
        result = rules_mod.check(amount, rules, available=available, used_today=today)
        if isinstance(result, Rejection):
            _raise_rejection(result)
        _same_terms(result, expected_fee)
        approval = rules_mod.approval_policy(result.amount, rules)
        now = clock.now()
        payout = new_payout(
            PayoutKind.WITHDRAWAL, user, result, approval, key=key, decimals=rt.config.usdt_decimals, now=now
        )
        try:
            async with session.begin_nested():
                session.add(payout)
                await session.flush()
        except IntegrityError:
            found = await _existing(session, key)
            if found is None:
                raise
            return found, False
        try:
            await post(session, entries.withdrawal_hold(payout.id, user_id, result.amount))
        except InsufficientFunds as exc:
            raise WithdrawalError(INSUFFICIENT_FUNDS, bound=exc.balance) from exc
        await audit.log_user_action(
            session,
            user_id,
            user.telegram_id,
            "withdrawal_requested",
            target_type="payout",
            target_id=payout.id,
            amount=result.amount,
            before={"available": available},
            after={"available": available - result.amount, "status": payout.status},
            details={
                "payout_id": payout.id,
                "fee": result.fee,
                "net": result.net,
                "to_address": payout.to_address,
                "required_approvals": approval.required_approvals,
                "auto_approved": approval.auto_approved,
            },
        )
    return payout, True


async def submit(
    session: AsyncSession,
    rt: Runtime,
    user: User,
    *,
    flow_id: int,
    amount: Decimal,
    typed: str,
    fee: Decimal | None = None,
) -> SubmitResult:
    """Finpass entered: check it (lockout rules), then make the request.

    Wrong password or lockout: nothing but the attempt counter changes. Refusals after a correct
    password raise :class:`WithdrawalError`.
    """
    # Warm the settings cache: a refresh inside the unit would open a second SQLite transaction.
    await rt.store.many(["finpass.max_attempts", "finpass.lockout_minutes"])
    async with unit(session):
        result = await finpass.check(session, rt.store, user.id, typed)
    if not result.ok:
        return SubmitResult(check=result)
    async with unit(session):
        found = await _existing(session, idempotency_key(user.id, flow_id))
    if found is not None:
        return SubmitResult(check=result, payout=found, created=False)
    verdict = await limits.hit(rt, LIMIT_ACTION, user.telegram_id)
    if not verdict.allowed:
        raise WithdrawalError(RATE_LIMITED, wait_seconds=max(1, verdict.wait_seconds))
    payout, created = await request(session, rt, user.id, flow_id=flow_id, amount=amount, expected_fee=fee)
    if created and payout.amount >= (await load_rules(rt.store)).two_admin_threshold:
        await _alert_large(rt, user, payout)
    return SubmitResult(check=result, payout=payout, created=created)


async def _alert_large(rt: Runtime, user: User, payout: Payout) -> None:
    """§9.1.5 / §8.1: a withdrawal at or above the two-admin threshold raises an admin notice."""

    def build(t: Translator) -> Content:
        return Content(
            t(
                "wd.alert_large",
                id=payout.id,
                user=display_name(user),
                telegram_id=user.telegram_id,
                amount=format_amount(payout.amount, t.lang),
                approvals=payout.required_approvals,
            )
        )

    await notifier(rt).to_admins(build)


async def cancel(session: AsyncSession, rt: Runtime, user: User, payout_id: int) -> tuple[Payout, Decimal]:
    """User cancel (§3.7.7): only from ``requested`` (even with one of two approvals).

    Conditional update → ``cancelled`` + ``withdrawal_release`` + audit. Returns the payout and the
    new available balance.
    """
    now = clock.now()
    async with unit(session):
        result = await session.execute(
            update(Payout)
            .where(
                Payout.id == payout_id,
                Payout.user_id == user.id,
                Payout.kind.in_(USER_KINDS),
                Payout.status == PayoutStatus.REQUESTED,
            )
            .values(status=PayoutStatus.CANCELLED, cancelled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        payout = await session.get(Payout, payout_id, populate_existing=True)
        if payout is None or payout.user_id != user.id:
            raise WithdrawalError(NOT_FOUND)
        if getattr(result, "rowcount", 0) != 1:
            raise WithdrawalError(NOT_CANCELLABLE, status=payout.status, payout_id=payout.id)
        before = await _balance(session, accounts.available(user.id))
        await post(session, entries.withdrawal_release(payout.id, user.id, payout.amount))
        after = await _balance(session, accounts.available(user.id))
        await audit.log_user_action(
            session,
            user.id,
            user.telegram_id,
            "withdrawal_cancelled",
            target_type="payout",
            target_id=payout.id,
            amount=payout.amount,
            before={"status": PayoutStatus.REQUESTED, "available": before},
            after={"status": PayoutStatus.CANCELLED, "available": after},
            details={"payout_id": payout.id},
        )
    return payout, after
