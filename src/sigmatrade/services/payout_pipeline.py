"""Payout pipeline, database side (SPEC §3.7 pipeline, §4.6): which payouts to send, the persisted
signed transactions, sent / confirmed / reverted transitions, ledger finalisation, PaymentRetry and
the dead-letter queue, and the notifications sent after commit.

Every transition is a conditional update on the payout's status, so a repeated or concurrent call
changes nothing. The chain side (RPC, signing, broadcast) lives in ``chain.payout_sender``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.aggregate import total
from sigmatrade.db.models import PaymentRetry, Payout, PayoutTransaction, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import (
    PayoutKind,
    PayoutStatus,
    PayoutTxKind,
    PayoutTxStatus,
    RetryErrorKind,
    RetryResolution,
)
from sigmatrade.domain.money import format_amount
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.admin.payout_release import refund_item_settled
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import link

CATEGORY_CONFIRMED = "payout_confirmed"
LOW_BALANCE_ALERT_SECONDS = 6 * 3600
LOW_STATE_SECONDS = 30 * 86400  # how long a low state is remembered without a check


@dataclass(frozen=True)
class Failure:
    """Outcome of one failed attempt: the retry row's state after it."""

    retry_id: int
    attempt_count: int
    in_dlq: bool
    created: bool


# ---------------------------------------------------------------------------------------------- reads
async def candidates(db: Database, wallet: str, *, retries_only: bool, limit: int = 50) -> list[Payout]:
    """Approved payouts to send, oldest first. The processor skips payouts with a waiting retry row;
    the retry job takes only those whose retry is due. Dead-lettered payouts are never picked.
    Payouts already bound to a nonce of another wallet stay on that wallet."""
    waiting = select(PaymentRetry.payout_id).where(PaymentRetry.resolved.is_(False))
    query = select(Payout).where(
        Payout.status == PayoutStatus.APPROVED,
        Payout.dead_lettered.is_(False),
        (Payout.nonce.is_(None)) | (func.lower(Payout.from_address) == wallet.lower()),
    )
    if retries_only:
        due = select(PaymentRetry.payout_id).where(
            PaymentRetry.resolved.is_(False),
            PaymentRetry.in_dlq.is_(False),
            PaymentRetry.next_retry_at <= clock.now(),
        )
        query = query.where(Payout.id.in_(due))
    else:
        query = query.where(Payout.id.not_in(waiting))
    async with db.session() as session:
        rows = (await session.scalars(query.order_by(Payout.created_at, Payout.id).limit(limit))).all()
        await session.commit()
    return list(rows)


async def in_status(db: Database, wallet: str, status: PayoutStatus) -> list[Payout]:
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Payout)
                .where(Payout.status == status, func.lower(Payout.from_address) == wallet.lower())
                .order_by(Payout.nonce, Payout.id)
            )
        ).all()
        await session.commit()
    return list(rows)


async def transactions(db: Database, payout_id: int) -> list[PayoutTransaction]:
    """The payout's signed transactions that may still be mined, newest first."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(PayoutTransaction)
                .where(
                    PayoutTransaction.payout_id == payout_id,
                    PayoutTransaction.status.in_((PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST)),
                )
                .order_by(PayoutTransaction.id.desc())
            )
        ).all()
        await session.commit()
    return list(rows)


async def banned_user(db: Database, user_id: int | None) -> bool:
    if user_id is None:
        return False
    async with db.session() as session:
        banned = await session.scalar(select(User.is_banned).where(User.id == user_id))
        await session.commit()
    return bool(banned)


async def waiting_amount(db: Database) -> Decimal:
    async with db.session() as session:
        value = await total(session, select(Payout.net_amount).where(Payout.status == PayoutStatus.APPROVED))
        await session.commit()
    return value


# ---------------------------------------------------------------------------------------- transitions
async def begin_signing(session: AsyncSession, payout_id: int) -> Payout | None:
    """Conditional ``approved`` → ``signing`` in the caller's transaction (None: someone else moved it)."""
    result = await session.execute(
        update(Payout)
        .where(
            Payout.id == payout_id, Payout.status == PayoutStatus.APPROVED, Payout.dead_lettered.is_(False)
        )
        .values(status=PayoutStatus.SIGNING, signing_at=clock.now())
    )
    if not getattr(result, "rowcount", 0):
        return None
    return await session.get(Payout, payout_id, populate_existing=True)


async def record_signed(
    session: AsyncSession,
    payout: Payout,
    *,
    wallet: str,
    nonce: int,
    raw_hex: str,
    tx_hash: str,
    gas_limit: int,
    gas_price_wei: int,
) -> PayoutTransaction:
    """Persist the signed bytes and bind the payout to its nonce (before any broadcast)."""
    tx = PayoutTransaction(
        payout_id=payout.id,
        from_address=wallet,
        nonce=nonce,
        tx_hash=tx_hash,
        signed_raw=raw_hex,
        gas_limit=gas_limit,
        gas_price_wei=gas_price_wei,
        kind=PayoutTxKind.TRANSFER,
        status=PayoutTxStatus.SIGNED,
    )
    session.add(tx)
    payout.from_address = wallet
    payout.nonce = nonce
    payout.tx_hash = tx_hash
    await session.flush()
    return tx


async def signing_rows(db: Database) -> list[tuple[int, PayoutTransaction | None]]:
    """Payouts left in ``signing`` (crash) with their newest persisted transaction, if any."""
    async with db.session() as session:
        ids = (await session.scalars(select(Payout.id).where(Payout.status == PayoutStatus.SIGNING))).all()
        out: list[tuple[int, PayoutTransaction | None]] = []
        for payout_id in ids:
            tx = await session.scalar(
                select(PayoutTransaction)
                .where(PayoutTransaction.payout_id == payout_id)
                .order_by(PayoutTransaction.id.desc())
                .limit(1)
            )
            out.append((payout_id, tx))
        await session.commit()
    return out


async def back_to_approved(db: Database, payout_id: int) -> None:
    """``signing`` without a persisted transaction → ``approved`` (no nonce was reserved)."""
    async with db.transaction() as session:
        await session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == PayoutStatus.SIGNING)
            .values(status=PayoutStatus.APPROVED, signing_at=None)
        )


async def mark_sent(db: Database, payout_id: int, tx_id: int) -> bool:
    now = clock.now()
    async with db.transaction() as session:
        result = await session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == PayoutStatus.SIGNING)
            .values(status=PayoutStatus.SENT, sent_at=now)
        )
        await session.execute(
            update(PayoutTransaction)
            .where(PayoutTransaction.id == tx_id, PayoutTransaction.status == PayoutTxStatus.SIGNED)
            .values(status=PayoutTxStatus.BROADCAST, broadcast_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


async def touch_broadcast(db: Database, tx_id: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(PayoutTransaction).where(PayoutTransaction.id == tx_id).values(broadcast_at=clock.now())
        )


async def confirm(db: Database, payout_id: int, tx_id: int, block: int) -> Payout | None:
    """``sent`` → ``confirmed`` with the ledger settle entry, the retry resolved and an audit row."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == PayoutStatus.SENT)
            .values(status=PayoutStatus.CONFIRMED, confirmed_at=clock.now(), block_number=block)
        )
        if not getattr(result, "rowcount", 0):
            return None
        payout = await session.get(Payout, payout_id, populate_existing=True)
        assert payout is not None
        tx = await session.get(PayoutTransaction, tx_id, populate_existing=True)
        assert tx is not None
        tx.status, tx.mined_block, tx.receipt_status = PayoutTxStatus.MINED_SUCCESS, block, 1
        payout.tx_hash = tx.tx_hash
        await session.execute(
            update(PayoutTransaction)
            .where(
                PayoutTransaction.payout_id == payout_id,
                PayoutTransaction.id != tx_id,
                PayoutTransaction.status.in_((PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST)),
            )
            .values(status=PayoutTxStatus.SUPERSEDED)
        )
        if payout.kind == PayoutKind.REFUND:
            await post(session, entries.refund_settled(payout.id, payout.amount))
            await refund_item_settled(session, payout)
        else:
            assert payout.user_id is not None
            spec = entries.payout_settled(
                payout.id, payout.user_id, payout.amount, payout.net_amount, payout.fee
            )
            await post(session, spec)
        await _resolve_retry(session, payout.id, RetryResolution.SUCCEEDED)
        await audit.log(
            session,
            audit.SYSTEM,
            "payout_confirmed",
            target_type="payout",
            target_id=payout.id,
            amount=payout.amount,
            details={"tx_hash": tx.tx_hash, "block": block, "nonce": tx.nonce},
        )
        return payout


async def reverted(db: Database, payout_id: int, tx_id: int, block: int) -> Failure | None:
    """A mined status-0 receipt: the nonce is consumed, the payout goes back to ``approved`` unbound
    (a later attempt signs with a new nonce) and the attempt counts as failed (``reverted``)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == PayoutStatus.SENT)
            .values(status=PayoutStatus.APPROVED, nonce=None, failure_reason="transaction reverted")
        )
        if not getattr(result, "rowcount", 0):
            return None
        tx = await session.get(PayoutTransaction, tx_id, populate_existing=True)
        assert tx is not None
        tx.status, tx.mined_block, tx.receipt_status = PayoutTxStatus.MINED_REVERTED, block, 0
        payout = await session.get(Payout, payout_id, populate_existing=True)
        assert payout is not None
        return await record_failure(session, payout, RetryErrorKind.REVERTED, f"{tx.tx_hash} reverted")


async def _resolve_retry(session: AsyncSession, payout_id: int, resolution: RetryResolution) -> None:
    await session.execute(
        update(PaymentRetry)
        .where(PaymentRetry.payout_id == payout_id, PaymentRetry.resolved.is_(False))
        .values(resolved=True, resolved_at=clock.now(), resolution=resolution, next_retry_at=None)
    )


# ------------------------------------------------------------------------------------- retries / DLQ
async def record_failure(
    session: AsyncSession, payout: Payout, kind: RetryErrorKind, error: str, *, dlq_now: bool = False
) -> Failure:
    """The first failure opens a retry row (next try after delays[0]); each failed retry increments
    attempt_count and waits delays[attempt_count]; the failure after the last delay (or a nonce
    conflict) moves it to the DLQ and flags the payout ``dead_lettered``."""
    from sigmatrade.services.settings import definition

    now = clock.now()
    delays = [int(d) for d in definition("payment_retry.delays_minutes").default]
    stored = await _delays(session)
    if stored:
        delays = stored
    row = await session.scalar(
        select(PaymentRetry).where(PaymentRetry.payout_id == payout.id, PaymentRetry.resolved.is_(False))
    )
    created = row is None
    if row is None:
        row = PaymentRetry(payout_id=payout.id, user_id=payout.user_id, amount=payout.amount, attempt_count=0)
        row.max_retries = len(delays)
        session.add(row)
    else:
        row.attempt_count += 1
    row.last_attempt_at = now
    row.last_error = error[:1000]
    row.error_kind = kind
    payout.failure_reason = error[:1000]
    if dlq_now or row.attempt_count >= len(delays):
        row.in_dlq, row.dlq_at, row.next_retry_at = True, now, None
        payout.dead_lettered = True
    else:
        row.next_retry_at = now + timedelta(minutes=delays[row.attempt_count])
    await session.flush()
    return Failure(row.id, row.attempt_count, row.in_dlq, created)


async def _delays(session: AsyncSession) -> list[int]:
    from sigmatrade.db.models import SystemSetting
    from sigmatrade.services.settings import decode

    raw = await session.scalar(
        select(SystemSetting.value).where(SystemSetting.key == "payment_retry.delays_minutes")
    )
    return [int(d) for d in decode("payment_retry.delays_minutes", raw)] if raw else []


async def fail_attempt(
    db: Database, payout_id: int, kind: RetryErrorKind, error: str, *, dlq_now: bool = False
) -> Failure | None:
    async with db.transaction() as session:
        payout = await session.get(Payout, payout_id, populate_existing=True)
        if payout is None:
            return None
        return await record_failure(session, payout, kind, error, dlq_now=dlq_now)


# ------------------------------------------------------------------------------------- notifications
async def notify_confirmed(rt: Runtime, payout: Payout) -> None:
    if payout.user_id is None:
        return
    async with rt.db.session() as session:
        user = await session.get(User, payout.user_id)
        await session.commit()
    if user is None:
        return
    explorer = rt.config.explorer_base_url.rstrip("/")

    def build(t: Translator) -> Content:
        tx = link(f"{explorer}/tx/{payout.tx_hash}", t.raw("po.tx_label"))
        return Content(
            t(
                "po.confirmed",
                id=payout.id,
                net=format_amount(payout.net_amount, t.lang),
                fee=format_amount(payout.fee, t.lang),
                amount=format_amount(payout.amount, t.lang),
                address=payout.to_address,
                link=tx,
            )
        )

    await notifier(rt).to_user(user, build, category=CATEGORY_CONFIRMED)


def _low_state_key(wallet: str) -> str:
    return f"payout_low_state:{wallet.lower()}"


async def alert_low_balance(rt: Runtime, wallet: str, usdt: Decimal, bnb: Decimal) -> int:
    await rt.counter.mute(_low_state_key(wallet), LOW_STATE_SECONDS)  # remembered for the "recovered" note
    waiting = await waiting_amount(rt.db)
    return await notifier(rt).to_admins(
        lambda t: Content(
            t(
                "po.alert.low_balance",
                address=wallet,
                usdt=format_amount(usdt, t.lang),
                bnb=str(bnb.normalize()),
                waiting=format_amount(waiting, t.lang),
            )
        ),
        dedupe_key=f"payout_low_balance:{wallet.lower()}",
        dedupe_seconds=LOW_BALANCE_ALERT_SECONDS,
    )


async def note_balance_recovered(rt: Runtime, wallet: str, usdt: Decimal, bnb: Decimal) -> int:
    """§4.6.10: the low-balance condition cleared → one "recovered" note to admins."""
    key = _low_state_key(wallet)
    if await rt.counter.muted_for(key) <= 0:
        return 0
    await rt.counter.mute(key, 0)
    return await notifier(rt).to_admins(
        lambda t: Content(
            t(
                "po.alert.low_balance_recovered",
                address=wallet,
                usdt=format_amount(usdt, t.lang),
                bnb=str(bnb.normalize()),
            )
        )
    )


async def alert_dlq(rt: Runtime, payout_id: int, failure: Failure, kind: RetryErrorKind, error: str) -> None:
    async with rt.db.session() as session:
        payout = await session.get(Payout, payout_id)
        user = await session.get(User, payout.user_id) if payout and payout.user_id else None
        await session.commit()
    if payout is None:
        return
    who = f"{user.telegram_id}" if user else "-"
    key = "po.alert.nonce_conflict" if kind == RetryErrorKind.NONCE_CONFLICT else "po.alert.dlq"
    await notifier(rt).to_admins(
        lambda t: Content(
            t(
                key,
                id=payout.id,
                user=who,
                amount=format_amount(payout.amount, t.lang),
                attempts=failure.attempt_count,
                kind=str(kind),
                error=error[:300],
                nonce=payout.nonce if payout.nonce is not None else "-",
                address=payout.from_address or "-",
            )
        )
    )
