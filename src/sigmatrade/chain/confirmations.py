"""The confirmation pass (SPEC §4.4): what the chain says about each pending transfer, and the lifecycle
transition it calls for.

Pending transfers oldest first, batch ``WatchConfig.batch_size``: not enough confirmations
(``head − block < CONFIRMATION_BLOCKS``, or above the ``finalized`` block) → wait. Otherwise the
receipt must have status 1 and a log with the same token, Transfer topic, from, to and value: same
block hash and log index → confirmed (:func:`services.deposit_lifecycle.confirm_transfer`), the
notifications after commit; another block → the new block data is recorded and the confirmations start
again. Missing for longer than ``CHAIN_ORPHAN_GRACE_SECONDS`` → orphaned **only** when the block at the
recorded height now has another hash on every endpoint that answers (:func:`block_replaced`; a node
answering ``null`` for a receipt proves nothing), and the cursor is rewound to that height so a
re-inclusion is found; otherwise the transfer keeps waiting and admins are alerted after
``missing_alert_seconds`` (10 min). One item that fails is logged and counted; the pass goes on. Every status write is
:mod:`services.deposit_lifecycle`; this module only reads the chain and decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sigmatrade import clock, metrics
from sigmatrade.chain.provider import ProviderManager, RpcError, RpcUnavailable
from sigmatrade.chain.runtime import active_chain
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_transfer_log
from sigmatrade.chain.watcher import WatchConfig, rewind_cursor
from sigmatrade.db.models import ChainTransfer
from sigmatrade.domain.enums import ConfirmationStatus
from sigmatrade.domain.matching import MatchRules
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
    below_quorum: int = 0  # CHAIN_CONFIRMATION_QUORUM endpoints do not agree yet: kept waiting
    held: int = 0  # receipt missing, but the recorded block is still canonical: kept waiting
    failed: int = 0  # items whose check or transition raised (logged, counted; the others went on)
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
    """The receipt's log that is the recorded transfer: same token, from, to and value, and the same
    occurrence among such logs of the transaction (``domain.transfers``). None when absent."""
    if receipt is None or int(str(receipt.get("status", "0x0")), 16) != 1:
        return None
    found: list[tuple[int, dict[str, Any]]] = []
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
            found.append((event.log_index, entry))
    found.sort(key=lambda pair: pair[0])
    return found[transfer.occurrence][1] if transfer.occurrence < len(found) else None


async def block_replaced(provider: ProviderManager, number: int, recorded_hash: str) -> bool:
    """Proof that a reorg removed the recorded block (§4.4.3): every endpoint that answers reports
    another hash at that height, and at least one answers. A missing receipt alone is never proof."""
    answers = await provider.block_hashes(number)
    seen = [value for value in answers.values() if value is not None]
    if not seen or recorded_hash in seen:
        return False
    return len(seen) == len(answers)


async def quorum(provider: ProviderManager, transfer: ChainTransfer, needed: int) -> bool:
    """At least ``needed`` endpoints show the transfer's receipt in its recorded block at its index
    (optional, ``CHAIN_CONFIRMATION_QUORUM``; with fewer endpoints configured, all of them)."""
    needed = min(needed, len(provider.endpoints))
    agree = 0
    for ep in provider.endpoints:
        try:
            receipt = await provider.call_on(ep.label, "eth_getTransactionReceipt", [transfer.tx_hash])
        except RpcError:
            continue
        entry = receipt_log(dict(receipt) if receipt else None, transfer)
        if (
            entry is not None
            and str(entry["blockHash"]).lower() == transfer.block_hash
            and int(str(entry["logIndex"]), 16) == transfer.log_index
        ):
            agree += 1
            if agree >= needed:
                return True
    return False


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
            await _check(rt, provider, cfg, transfer, missing, rules, terms, result)
        except RpcUnavailable as exc:  # no endpoint answers: the rest would fail the same way
            result.error = str(exc)[:300]
            break
        except Exception as exc:  # one bad item never stops the pass for the others
            result.failed += 1
            metrics.chain_item_errors.labels(step="confirm").inc()
            log.exception(
                "chain_transfer_check_failed",
                transfer_id=transfer.id,
                tx_hash=transfer.tx_hash,
                error=str(exc)[:300],
            )
    return result


async def _check(
    rt: Runtime,
    provider: ProviderManager,
    cfg: WatchConfig,
    transfer: ChainTransfer,
    missing: dict[int, float],
    rules: MatchRules,
    terms: deposit_matching.ConfirmationTerms,
    result: ConfirmResult,
) -> None:
    """One ready transfer: its receipt decides between confirm, moved, waiting and orphaned."""
    receipt = await provider.get_receipt(transfer.tx_hash)
    entry = receipt_log(receipt, transfer)
    if entry is None:
        result.missing += 1
        first = missing.setdefault(transfer.id, time.monotonic())
        waited = time.monotonic() - first
        if waited < cfg.orphan_grace_seconds:
            return
        if await block_replaced(provider, transfer.block_number, transfer.block_hash):
            if await deposit_lifecycle.orphan_transfer(rt, transfer):
                result.orphaned += 1
                # re-included at or after its old height: the range is scanned again
                await rewind_cursor(rt, cfg.cursor_name, transfer.block_number)
            missing.pop(transfer.id, None)
            return
        result.held += 1
        log.warning(
            "chain_receipt_missing_block_canonical",
            transfer_id=transfer.id,
            tx_hash=transfer.tx_hash,
            block=transfer.block_number,
            waited_seconds=round(waited),
        )
        if waited >= cfg.missing_alert_seconds:
            await notices.alert_receipt_missing(rt, transfer, max(1, round(waited / 60)))
        return
    missing.pop(transfer.id, None)
    block_hash = str(entry["blockHash"]).lower()
    log_index = int(str(entry["logIndex"]), 16)
    if block_hash != transfer.block_hash or log_index != transfer.log_index:
        number = int(str(entry["blockNumber"]), 16)
        await deposit_lifecycle.move_transfer(rt, transfer, number, block_hash, log_index)
        result.moved += 1
        return
    if cfg.confirmation_quorum > 1 and not await quorum(provider, transfer, cfg.confirmation_quorum):
        result.below_quorum += 1
        return
    if not await provider.canonical(transfer.block_number, transfer.block_hash):
        # the receipt's endpoint alone vouches for this block: every endpoint that has that height must
        # show the same block (the payout side's rule; a forked or lying node never credits a deposit)
        result.below_quorum += 1
        return
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
