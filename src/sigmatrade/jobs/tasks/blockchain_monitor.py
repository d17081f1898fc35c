"""blockchain_monitor (SPEC §4.3–§4.4, §3.3.3, §7): one scan pass of the deposit watcher, then the
confirmation pass, then the expiry of pending deposits past their deadline.

* **Scan**: :meth:`chain.watcher.DepositWatcher.scan` (cursor, reorg check, detections).
* **Confirmation pass** (§4.4), pending transfers oldest first, batch 500: not enough confirmations
  (``head − block < CONFIRMATION_BLOCKS``, or above the ``finalized`` block) → wait. Otherwise the
  receipt must have status 1 and a log with the same token, Transfer topic, from, to and value:
  same block hash and log index → confirmed in one transaction (transfer ``confirmed`` by conditional
  update, then :func:`services.deposit_confirmation.settle_transfer`), notifications after commit;
  another block → the new block data is recorded and the confirmations start again; missing for
  longer than ``CHAIN_ORPHAN_GRACE_SECONDS`` → ``orphaned``, its deposit back to ``pending`` (or
  ``expired`` past its deadline) and the user told.
* **Expiry**: ``pending`` deposits past ``expires_at`` → ``expired`` (conditional update), user told.

Without an enabled chain runtime only the expiry runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from sigmatrade import clock, metrics
from sigmatrade.chain.provider import ProviderManager, RpcError
from sigmatrade.chain.runtime import WatcherState, active_chain
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_transfer_log
from sigmatrade.chain.watcher import DepositWatcher, ScanResult, WatchConfig
from sigmatrade.db.models import ChainTransfer, Deposit, User
from sigmatrade.domain.enums import ConfirmationStatus, DepositStatus
from sigmatrade.domain.matching import MatchRules
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, deposit_confirmation
from sigmatrade.services import deposit_notices as notices
from sigmatrade.services.deposit_events import Confirmation, Queued

NAME = "blockchain_monitor"
MONEY_CRITICAL = True
BATCH = 500

log = get_logger("sigmatrade.jobs.blockchain_monitor")


@dataclass
class ConfirmResult:
    head: int | None = None
    checked: int = 0
    waiting: int = 0
    confirmed: int = 0
    queued: int = 0
    moved: int = 0
    orphaned: int = 0
    missing: int = 0
    error: str | None = None


@dataclass
class MonitorResult:
    scan: ScanResult | None = None
    confirm: ConfirmResult | None = None
    expired: int = 0
    errors: list[str] = field(default_factory=list)


def watcher_for(rt: Runtime, **overrides: Any) -> DepositWatcher | None:
    """The process's watcher over the enabled chain runtime (None while chain features are off)."""
    chain = active_chain(rt)
    if chain is None:
        return None
    config = WatchConfig.from_runtime(rt, **overrides)
    state = chain.watcher_states.setdefault(config.cursor_name, WatcherState())
    return DepositWatcher(rt, chain.provider, config, state)


async def run(ctx: JobContext) -> None:
    result = await monitor_once(ctx.rt)
    scan, confirm = result.scan, result.confirm
    ctx.details.update(
        {
            "cursor": scan.cursor if scan else None,
            "head": scan.head if scan else None,
            "detected": scan.matched if scan else 0,
            "confirmed": confirm.confirmed if confirm else 0,
            "queued": confirm.queued if confirm else 0,
            "orphaned": confirm.orphaned if confirm else 0,
            "expired": result.expired,
        }
    )
    if result.errors:
        raise RuntimeError("; ".join(result.errors)[:500])


async def monitor_once(rt: Runtime, watcher: DepositWatcher | None = None) -> MonitorResult:
    """Scan, confirm, expire. RPC trouble ends the chain part; the expiry still runs."""
    result = MonitorResult()
    watcher = watcher or watcher_for(rt)
    if watcher is not None:
        try:
            result.scan = await watcher.scan()
            if result.scan.error:
                result.errors.append(f"scan: {result.scan.error}")
            result.confirm = await confirm_pass(rt, watcher.provider, watcher.config)
            if result.confirm.error:
                result.errors.append(f"confirm: {result.confirm.error}")
        except RpcError as exc:
            log.warning("blockchain_monitor_rpc_error", error=str(exc)[:300])
            result.errors.append(str(exc)[:300])
    result.expired = len(await expire_pending(rt))
    return result


# ---------------------------------------------------------------------------------------------- confirmation
async def _finalized(provider: ProviderManager) -> int | None:
    try:
        block = await provider.get_block("finalized")
    except RpcError as exc:
        log.warning("finalized_tag_unsupported", error=str(exc)[:200])
        return None
    return int(str(block["number"]), 16) if block else None


def _ready(transfer: ChainTransfer, head: int, finalized: int | None, cfg: WatchConfig) -> bool:
    if cfg.confirmation_mode == "finalized" and finalized is not None:
        return transfer.block_number <= finalized
    return head - transfer.block_number >= cfg.confirmation_blocks


def _receipt_log(receipt: dict[str, Any] | None, transfer: ChainTransfer) -> dict[str, Any] | None:
    """The receipt's log matching the recorded transfer (same index preferred), None when absent."""
    if receipt is None or int(str(receipt.get("status", "0x0")), 16) != 1:
        return None
    found: list[dict[str, Any]] = []
    for entry in receipt.get("logs") or []:
        topics = entry.get("topics") or []
        if not topics or str(topics[0]).lower() != TRANSFER_TOPIC or len(topics) != 3:
            continue
        event = decode_transfer_log(entry)
        if (
            event.token == transfer.token_address
            and event.from_address == transfer.from_address
            and event.to_address == transfer.to_address
            and event.raw_value == int(transfer.raw_value)
            and not event.removed
        ):
            found.append(entry)
    for entry in found:
        if int(str(entry["logIndex"]), 16) == transfer.log_index:
            return entry
    return found[0] if found else None


async def confirm_pass(rt: Runtime, provider: ProviderManager, cfg: WatchConfig) -> ConfirmResult:
    result = ConfirmResult()
    chain = active_chain(rt)
    missing: dict[int, float] = chain.missing_receipts if chain is not None else {}
    try:
        head = await provider.block_number()
        finalized = await _finalized(provider) if cfg.confirmation_mode == "finalized" else None
    except RpcError as exc:
        result.error = str(exc)[:300]
        return result
    result.head = head
    async with rt.db.session() as session:
        rows = (
            await session.scalars(
                select(ChainTransfer)
                .where(
                    ChainTransfer.chain_id == cfg.chain_id,
                    ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
                )
                .order_by(ChainTransfer.block_number, ChainTransfer.id)
                .limit(cfg.batch_size)
            )
        ).all()
        await session.commit()
    rules = await deposit_confirmation.load_rules(rt.store)
    terms = await deposit_confirmation.load_confirmation_terms(rt.store)
    for transfer in rows:
        if not _ready(transfer, head, finalized, cfg):
            result.waiting += 1
            continue
        result.checked += 1
        try:
            receipt = await provider.get_receipt(transfer.tx_hash)
        except RpcError as exc:
            result.error = str(exc)[:300]
            break
        entry = _receipt_log(receipt, transfer)
        if entry is None:
            result.missing += 1
            first = missing.setdefault(transfer.id, time.monotonic())
            if time.monotonic() - first >= cfg.orphan_grace_seconds:
                if await _orphan(rt, transfer):
                    result.orphaned += 1
                missing.pop(transfer.id, None)
            continue
        missing.pop(transfer.id, None)
        block_hash = str(entry["blockHash"]).lower()
        log_index = int(str(entry["logIndex"]), 16)
        if block_hash != transfer.block_hash or log_index != transfer.log_index:
            await _moved(rt, transfer, int(str(entry["blockNumber"]), 16), block_hash, log_index)
            result.moved += 1
            continue
        outcome = await _confirm(rt, transfer, rules, terms)
        if isinstance(outcome, Confirmation):
            result.confirmed += 1
            metrics.deposits_total.labels(event="confirmed").inc()
            if outcome.detected_at is not None:
                metrics.deposit_confirmation.observe(
                    max(0.0, (clock.now() - outcome.detected_at).total_seconds())
                )
            await notices.notify_confirmed(rt, outcome)
        elif isinstance(outcome, Queued):
            result.queued += 1
            metrics.deposits_total.labels(event="unmatched").inc()
            await notices.alert_unmatched(rt, outcome)
    return result


async def _confirm(
    rt: Runtime, transfer: ChainTransfer, rules: MatchRules, terms: deposit_confirmation.ConfirmationTerms
) -> Confirmation | Queued | None:
    now = clock.now()
    async with rt.db.transaction() as session:
        moved = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == transfer.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
                ChainTransfer.block_hash == transfer.block_hash,
            )
            .values(confirmation_status=ConfirmationStatus.CONFIRMED, confirmed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(moved, "rowcount", 0):
            return None
        fresh = await session.get(ChainTransfer, transfer.id, populate_existing=True)
        assert fresh is not None
        outcome = await deposit_confirmation.settle_transfer(
            session, fresh, rules=rules, terms=terms, now=now
        )
    log.info(
        "chain_transfer_confirmed",
        transfer_id=transfer.id,
        tx_hash=transfer.tx_hash,
        outcome=type(outcome).__name__ if outcome is not None else "dust",
    )
    return outcome


async def _moved(rt: Runtime, transfer: ChainTransfer, number: int, block_hash: str, log_index: int) -> None:
    """The transaction is now in another block: record it; confirmations count from there."""
    now = clock.now()
    async with rt.db.transaction() as session:
        changed = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == transfer.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
            )
            .values(block_number=number, block_hash=block_hash, log_index=log_index, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) and transfer.deposit_id is not None:
            await session.execute(
                update(Deposit)
                .where(Deposit.id == transfer.deposit_id, Deposit.transfer_id == transfer.id)
                .values(block_number=number, updated_at=now)
                .execution_options(synchronize_session=False)
            )
    log.info(
        "chain_transfer_moved",
        transfer_id=transfer.id,
        old_block=transfer.block_number,
        new_block=number,
        tx_hash=transfer.tx_hash,
    )


async def _orphan(rt: Runtime, transfer: ChainTransfer) -> bool:
    """Transfer ``orphaned``; its detected deposit back to ``pending`` (``expired`` past its deadline)."""
    now = clock.now()
    reverted: tuple[User, Deposit, bool] | None = None
    async with rt.db.transaction() as session:
        done = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == transfer.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
            )
            .values(confirmation_status=ConfirmationStatus.ORPHANED, orphaned_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(done, "rowcount", 0):
            return False
        deposit = (
            await session.get(Deposit, transfer.deposit_id, populate_existing=True)
            if transfer.deposit_id is not None
            else None
        )
        if (
            deposit is not None
            and deposit.status == DepositStatus.DETECTED
            and deposit.transfer_id == transfer.id
        ):
            expired = deposit.expires_at <= now
            status = DepositStatus.EXPIRED if expired else DepositStatus.PENDING
            await session.execute(
                update(Deposit)
                .where(
                    Deposit.id == deposit.id,
                    Deposit.status == DepositStatus.DETECTED,
                    Deposit.transfer_id == transfer.id,
                )
                .values(
                    status=status,
                    transfer_id=None,
                    tx_hash=None,
                    block_number=None,
                    detected_at=None,
                    expired_at=now if expired else None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(ChainTransfer)
                .where(ChainTransfer.id == transfer.id)
                .values(deposit_id=None)
                .execution_options(synchronize_session=False)
            )
            await audit.log(
                session,
                audit.SYSTEM,
                "deposit_reverted",
                target_type="deposit",
                target_id=deposit.id,
                before={"status": str(DepositStatus.DETECTED)},
                after={"status": str(status)},
                details={"transfer_id": transfer.id, "tx_hash": transfer.tx_hash},
            )
            await session.refresh(deposit)
            user = await session.get(User, deposit.user_id)
            assert user is not None
            reverted = (user, deposit, expired)
    metrics.deposits_total.labels(event="orphaned").inc()
    log.warning("chain_transfer_orphaned", transfer_id=transfer.id, tx_hash=transfer.tx_hash)
    if reverted is not None:
        user, deposit, expired = reverted
        await notices.notify_reverted(rt, user, deposit, expired=expired)
    return True


# ---------------------------------------------------------------------------------------------- expiry
async def expire_pending(rt: Runtime, now: datetime | None = None) -> list[Deposit]:
    """``pending`` deposits past ``expires_at`` → ``expired`` (conditional update), users told."""
    now = now or clock.now()
    expired: list[tuple[User, Deposit]] = []
    async with rt.db.transaction() as session:
        due = (
            await session.scalars(
                select(Deposit)
                .where(Deposit.status == DepositStatus.PENDING, Deposit.expires_at <= now)
                .order_by(Deposit.expires_at, Deposit.id)
                .limit(BATCH)
            )
        ).all()
        for deposit in due:
            done = await session.execute(
                update(Deposit)
                .where(Deposit.id == deposit.id, Deposit.status == DepositStatus.PENDING)
                .values(status=DepositStatus.EXPIRED, expired_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if not getattr(done, "rowcount", 0):
                continue
            await audit.log(
                session,
                audit.SYSTEM,
                "deposit_expired",
                target_type="deposit",
                target_id=deposit.id,
                amount=deposit.amount,
                before={"status": str(DepositStatus.PENDING)},
                after={"status": str(DepositStatus.EXPIRED)},
                details={"user_id": deposit.user_id, "level": deposit.level},
            )
            await session.refresh(deposit)
            user = await session.get(User, deposit.user_id)
            assert user is not None
            expired.append((user, deposit))
    for user, deposit in expired:
        metrics.deposits_total.labels(event="expired").inc()
        await notices.notify_expired(rt, user, deposit)
    return [deposit for _, deposit in expired]
