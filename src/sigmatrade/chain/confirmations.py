"""The confirmation pass (SPEC §4.4): what the chain says about each pending transfer, and the lifecycle
transition it calls for.

Pending transfers oldest first, batch ``WatchConfig.batch_size``: not enough confirmations
(``head − block < CONFIRMATION_BLOCKS``, or above the ``finalized`` block) → wait. Otherwise the
receipt must have status 1 and a log with the same token, Transfer topic, from, to and value: same
block hash and log index → confirmed (:func:`services.deposit_lifecycle.confirm_transfer`), the
notifications after commit; another block → the new block data is recorded and the confirmations start
again; missing for longer than ``CHAIN_ORPHAN_GRACE_SECONDS`` → orphaned. Every status write is
:mod:`services.deposit_lifecycle`; this module only reads the chain and decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sigmatrade import clock, metrics
from sigmatrade.chain.provider import ProviderManager, RpcError
from sigmatrade.chain.runtime import active_chain
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_transfer_log
from sigmatrade.chain.watcher import WatchConfig
from sigmatrade.db.models import ChainTransfer
from sigmatrade.domain.enums import ConfirmationStatus
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import deposit_lifecycle, deposit_matching
from sigmatrade.services import deposit_notices as notices
from sigmatrade.services.deposit_events import Confirmation, Queued

log = get_logger("sigmatrade.chain.confirmations")


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


def receipt_log(receipt: dict[str, Any] | None, transfer: ChainTransfer) -> dict[str, Any] | None:
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


async def due_transfers(rt: Runtime, cfg: WatchConfig) -> list[ChainTransfer]:
    """Pending transfers of the chain, oldest first, one batch."""
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
    return list(rows)


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
    rows = await due_transfers(rt, cfg)
    rules = await deposit_matching.load_rules(rt.store)
    terms = await deposit_matching.load_confirmation_terms(rt.store)
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
        entry = receipt_log(receipt, transfer)
        if entry is None:
            result.missing += 1
            first = missing.setdefault(transfer.id, time.monotonic())
            if time.monotonic() - first >= cfg.orphan_grace_seconds:
                if await deposit_lifecycle.orphan_transfer(rt, transfer):
                    result.orphaned += 1
                missing.pop(transfer.id, None)
            continue
        missing.pop(transfer.id, None)
        block_hash = str(entry["blockHash"]).lower()
        log_index = int(str(entry["logIndex"]), 16)
        if block_hash != transfer.block_hash or log_index != transfer.log_index:
            number = int(str(entry["blockNumber"]), 16)
            await deposit_lifecycle.move_transfer(rt, transfer, number, block_hash, log_index)
            result.moved += 1
            continue
        outcome = await deposit_lifecycle.confirm_transfer(rt, transfer, rules, terms)
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
