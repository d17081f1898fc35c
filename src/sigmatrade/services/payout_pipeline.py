"""Payout pipeline, database side (SPEC §3.7 pipeline, §4.6): which payouts to send, the persisted
signed transactions, sent / confirmed / reverted transitions, ledger finalisation, PaymentRetry and
the dead-letter queue, and the notifications sent after commit.

Every transition is a conditional update on the payout's status, so a repeated or concurrent call
changes nothing. The chain side (RPC, signing, broadcast) lives in ``chain.payout_sender``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.aggregate import total
from sigmatrade.db.models import (
    ChainTransfer,
    JournalEntry,
    LedgerAccount,
    LedgerPosting,
    PaymentRetry,
    Payout,
    PayoutTransaction,
    UnmatchedDeposit,
    User,
)
from sigmatrade.db.session import Database, is_postgres
from sigmatrade.domain.enums import (
    IN_FLIGHT_STATUSES,
    PayoutKind,
    PayoutStatus,
    PayoutTxKind,
    PayoutTxStatus,
    RetryErrorKind,
    RetryResolution,
)
from sigmatrade.domain.money import MoneyError, amount_to_raw, format_amount
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
LOW_STATE_SECONDS = 30 * 86400
STUCK_ALERT_SECONDS = 3600
DLQ_ALERT_SECONDS = 86400  # one alert per payout and error kind a day while it waits in the DLQ


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
    """Every transaction ever signed for the payout, newest first. All of them stay tracked until the
    payout is final: a revert undone by a reorg may still get the old signed bytes mined (§4.6.5)."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(PayoutTransaction)
                .where(PayoutTransaction.payout_id == payout_id)
                .order_by(PayoutTransaction.id.desc())
            )
        ).all()
        await session.commit()
    return list(rows)


async def in_flight_count(db: Database, wallet: str) -> int:
    """Payouts of the wallet in ``sent`` that hold a sending slot: dead-lettered ones do not (§4.6.1)."""
    async with db.session() as session:
        value = await session.scalar(
            select(func.count(Payout.id)).where(
                Payout.status == PayoutStatus.SENT,
                Payout.dead_lettered.is_(False),
                func.lower(Payout.from_address) == wallet.lower(),
            )
        )
        await session.commit()
    return int(value or 0)


async def wallets_in_flight(db: Database) -> list[str]:
    """Every payout wallet with a payout in ``signing`` or ``sent``: a wallet change must not orphan
    the payouts still in flight on the previous wallet."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Payout.from_address)
                .where(
                    Payout.status.in_((PayoutStatus.SIGNING, PayoutStatus.SENT)),
                    Payout.from_address.is_not(None),
                )
                .distinct()
            )
        ).all()
        await session.commit()
    seen: dict[str, str] = {}
    for address in rows:
        if address is not None:
            seen.setdefault(address.lower(), address)
    return sorted(seen.values(), key=str.lower)


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


# ------------------------------------------------------------------------------------------ integrity
async def integrity_problem(session: AsyncSession, payout: Payout, decimals: int) -> str | None:
    """What is wrong with the payout row, checked against the rest of the books before signing
    (None: nothing). The sender never trusts the row alone: the raw amount must be exactly the net
    amount in token units, the destination the user's registered wallet (a refund's: the sender of
    the refunded transfer), and the amount must be held for this payout and not released."""
    try:
        expected_raw = amount_to_raw(payout.net_amount, decimals)
    except MoneyError:
        return f"net amount {payout.net_amount} is not a whole number of token units"
    if payout.raw_amount != expected_raw:
        return f"raw amount {payout.raw_amount} != net {payout.net_amount} x 10^{decimals}"
    if payout.amount != payout.fee + payout.net_amount or payout.net_amount <= 0:
        return "amount != fee + net amount"
    if payout.kind == PayoutKind.REFUND:
        source = await session.scalar(
            select(ChainTransfer.from_address)
            .join(UnmatchedDeposit, UnmatchedDeposit.transfer_id == ChainTransfer.id)
            .where(UnmatchedDeposit.refund_payout_id == payout.id)
        )
        if source is None:
            return "no unmatched deposit is refunded by this payout"
        if source.lower() != payout.to_address.lower():
            return f"destination {payout.to_address} is not the refunded sender {source}"
        return None
    if payout.user_id is None:
        return "no user"
    wallet = await session.scalar(select(User.wallet_address).where(User.id == payout.user_id))
    if wallet is None or wallet.lower() != payout.to_address.lower():
        return f"destination {payout.to_address} is not the user's registered wallet {wallet}"
    hold = entries.withdrawal_hold(payout.id, payout.user_id, payout.amount)
    release = entries.withdrawal_release(payout.id, payout.user_id, payout.amount)
    held = await session.scalar(
        select(LedgerPosting.amount)
        .join(JournalEntry, JournalEntry.id == LedgerPosting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(JournalEntry.idempotency_key == hold.key, LedgerAccount.code == hold.postings[1].account)
    )
    if held is None:
        return "no hold for this payout"
    if held != payout.amount:
        return f"hold {held} != payout amount {payout.amount}"
    released = await session.scalar(
        select(JournalEntry.id).where(JournalEntry.idempotency_key == release.key)
    )
    if released is not None:
        return "the hold of this payout was released"
    return None


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


async def record_replacement(
    db: Database,
    payout_id: int,
    *,
    wallet: str,
    nonce: int,
    raw_hex: str,
    tx_hash: str,
    gas_limit: int,
    gas_price_wei: int,
) -> PayoutTransaction | None:
    """Persist a replacement (same nonce, higher gas price) of a stuck ``sent`` payout before it is
    broadcast; None when the payout is no longer ``sent`` on that nonce."""
    async with db.transaction() as session:
        payout = await session.get(Payout, payout_id, populate_existing=True)
        if payout is None or payout.status != PayoutStatus.SENT or payout.nonce != nonce:
            return None
        tx = PayoutTransaction(
            payout_id=payout_id,
            from_address=wallet,
            nonce=nonce,
            tx_hash=tx_hash,
            signed_raw=raw_hex,
            gas_limit=gas_limit,
            gas_price_wei=gas_price_wei,
            kind=PayoutTxKind.REPLACEMENT,
            status=PayoutTxStatus.SIGNED,
        )
        session.add(tx)
        payout.tx_hash = tx_hash
        await session.flush()
        return tx


async def last_attempt_at(db: Database, payout_id: int, kind: RetryErrorKind) -> datetime | None:
    """When the payout's open retry row last counted a failed attempt of ``kind``."""
    async with db.session() as session:
        value = await session.scalar(
            select(PaymentRetry.last_attempt_at).where(
                PaymentRetry.payout_id == payout_id,
                PaymentRetry.resolved.is_(False),
                PaymentRetry.error_kind == kind,
            )
        )
        await session.commit()
    return value


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
        await session.execute(
            update(PayoutTransaction)
            .where(PayoutTransaction.id == tx_id, PayoutTransaction.status == PayoutTxStatus.SIGNED)
            .values(status=PayoutTxStatus.BROADCAST)
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
    """Record a failed attempt of a payout the pipeline still works on. The payout row is locked first
    and nothing is recorded once it left the pipeline (an admin rejected or resolved it since the
    caller read it): a retry row would be left open on a finished payout."""
    async with db.transaction() as session:
        payout = await session.get(
            Payout, payout_id, with_for_update=is_postgres(session), populate_existing=True
        )
        if payout is None or payout.status not in IN_FLIGHT_STATUSES:
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
        ),
        dedupe_key=f"payout_dlq:{payout.id}:{kind}",
        dedupe_seconds=DLQ_ALERT_SECONDS,
    )


async def alert_stuck(
    rt: Runtime, payout: Payout, minutes: int, *, replaced_gwei: Decimal | None, cap_gwei: Decimal
) -> None:
    """A payout's nonce is not mined after ``PAYOUT_STUCK_MINUTES``: replaced under the cap, or not
    (the cap is reached: never exceeded silently). One alert per payout and outcome an hour."""
    key = "po.alert.stuck_replaced" if replaced_gwei is not None else "po.alert.stuck_capped"
    await notifier(rt).to_admins(
        lambda t: Content(
            t(
                key,
                id=payout.id,
                nonce=payout.nonce if payout.nonce is not None else "-",
                address=payout.from_address or "-",
                minutes=minutes,
                gwei=str(replaced_gwei.normalize()) if replaced_gwei is not None else "-",
                cap=str(cap_gwei.normalize()),
                amount=format_amount(payout.amount, t.lang),
            )
        ),
        dedupe_key=f"payout_stuck:{payout.id}:{key}",
        dedupe_seconds=STUCK_ALERT_SECONDS,
    )


async def alert_foreign_transactions(rt: Runtime, wallet: str, books: int | None, chain: int) -> None:
    """The payout wallet sent transactions the books never signed (a manual transfer, the key used
    elsewhere, or a database restored from an older backup): signing from it is stopped until an
    operator accepts them (``sigmatrade wallet accept-nonce``). Once an hour per wallet."""
    await notifier(rt).to_admins(
        lambda t: Content(
            t(
                "po.alert.foreign",
                address=wallet,
                books="0" if books is None else str(books),
                chain=str(chain),
            )
        ),
        dedupe_key=f"payout_foreign:{wallet.lower()}",
        dedupe_seconds=STUCK_ALERT_SECONDS,
    )


async def alert_undecided(rt: Runtime, payout: Payout, step: str, minutes: int, view: str) -> None:
    """The tracker has deferred a decision about the payout (confirm, revert, nonce conflict) for
    ``PAYOUT_STUCK_MINUTES`` or more because the endpoints do not all answer or disagree. One alert per
    payout and step an hour."""
    await notifier(rt).to_admins(
        lambda t: Content(
            t(
                "po.alert.undecided",
                id=payout.id,
                minutes=minutes,
                step=step,
                view=view,
                address=payout.from_address or "-",
                amount=format_amount(payout.amount, t.lang),
            )
        ),
        dedupe_key=f"payout_undecided:{payout.id}:{step}",
        dedupe_seconds=STUCK_ALERT_SECONDS,
    )


async def alert_open_nonce(rt: Runtime, payout: Payout, nonce: int) -> None:
    """A payout was settled by a transaction of an older nonce while a newer one of its transactions
    is unmined: an admin must cancel that nonce (0-value self-transfer) or it pays a second time."""
    await notifier(rt).to_admins(
        lambda t: Content(
            t(
                "po.alert.open_nonce",
                id=payout.id,
                nonce=nonce,
                address=payout.from_address or "-",
                amount=format_amount(payout.amount, t.lang),
            )
        ),
        dedupe_key=f"payout_open_nonce:{payout.id}:{nonce}",
        dedupe_seconds=DLQ_ALERT_SECONDS,
    )
