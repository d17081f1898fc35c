"""Reconciliation of the books with the chain (SPEC §4.7): ``sigmatrade ledger reconcile``, the
blockchain monitor (every ``CHAIN_RECONCILE_MINUTES``) and the end of every chain test.

Up to the reconciled height (the deposit cursor, and no further than head − confirmation depth):

* Σ incoming token transfers to the watched addresses, read from the chain with ``eth_getLogs`` and
  keyed by their on-chain identity = deposits credited + unmatched received + dust recorded (transfers
  still pending confirmation are reported apart);
* Σ outgoing token transfers of every payout wallet, keyed by transaction = settled payouts (payout
  transactions still in flight reported apart; the BNB fees of the outgoing transactions are summed
  from their receipts and reported apart).

Every disagreement is a :class:`~sigmatrade.domain.reconciliation.Difference` naming the transaction.

For the payout side: :func:`reconcile` takes a ``Database`` and a ``ProviderManager`` only, so a
test or a tool can call it with its own provider (``tests/chain/watch_env.py: reconcile_ok``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from sigmatrade.chain.provider import ProviderManager, RpcError
from sigmatrade.chain.runtime import DEPOSIT_CURSOR, active_chain
from sigmatrade.chain.token import TRANSFER_TOPIC, address_topic, decode_transfer_log
from sigmatrade.db.models import ChainCursor, ChainTransfer
from sigmatrade.db.session import Database
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.domain.reconciliation import (
    INCOMING,
    OUTGOING,
    Difference,
    Movement,
    compare,
    total,
)
from sigmatrade.domain.transfers import TransferIdentity, content, occurrences
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import reconciliation as books_of
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

log = get_logger("sigmatrade.chain.reconcile")

LOG_CHUNK = 5000
SHOWN = 10


@dataclass
class Reconciliation:
    from_block: int
    to_block: int
    incoming_chain: Decimal = Decimal(0)
    incoming_books: dict[str, Decimal] = field(default_factory=dict)
    outgoing_chain: Decimal = Decimal(0)
    outgoing_books: Decimal = Decimal(0)
    fees_wei: int = 0
    pending_in: int = 0
    pending_out: int = 0
    unwatched: int = 0  # transfers to retired addresses past their grace period (never recorded)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def render(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.incoming_books.items()))
        lines = [
            f"reconciled blocks {self.from_block}..{self.to_block}",
            f"incoming: chain {self.incoming_chain} USDT; books {parts or '0'}"
            f" ({self.pending_in} pending confirmation, {self.unwatched} to retired addresses)",
            f"outgoing: chain {self.outgoing_chain} USDT; settled payouts {self.outgoing_books}"
            f" ({self.pending_out} in flight); BNB fees {raw_to_amount(self.fees_wei, 18)} BNB",
        ]
        if self.ok:
            lines.append("reconcile: OK")
        else:
            lines.append(f"reconcile: {len(self.differences)} difference(s)")
            lines.extend(
                f"  {d.side} {d.kind}: {d.tx_hash} chain={d.chain_amount} books={d.books_amount}"
                f"{' ' + d.counterparty if d.counterparty else ''}"
                for d in self.differences
            )
        return "\n".join(lines)


async def _logs(
    provider: ProviderManager, token: str, topics: list[Any], start: int, end: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for low in range(start, end + 1, LOG_CHUNK):
        high = min(end, low + LOG_CHUNK - 1)
        flt = {"fromBlock": hex(low), "toBlock": hex(high), "address": token, "topics": topics}
        found.extend(await provider.get_logs(flt))
    return found


def _incoming(
    raw: list[dict[str, Any]], chain_id: int, decimals: int, watched: set[str]
) -> dict[str, Movement]:
    events = [e for e in (decode_transfer_log(x) for x in raw) if not e.removed and e.to_address in watched]
    ranks = occurrences(
        (content(e.tx_hash, e.token, e.from_address, e.to_address, e.raw_value), e.log_index) for e in events
    )
    found: dict[str, Movement] = {}
    for e in events:
        occurrence = ranks[
            (content(e.tx_hash, e.token, e.from_address, e.to_address, e.raw_value), e.log_index)
        ]
        key = TransferIdentity(
            chain_id, e.tx_hash, e.token, e.from_address, e.to_address, e.raw_value, occurrence
        ).key
        found[key] = Movement(
            key, e.tx_hash, raw_to_amount(e.raw_value, decimals), e.from_address, e.to_address
        )
    return found


async def reconcile(
    db: Database,
    provider: ProviderManager,
    *,
    chain_id: int,
    token: str,
    decimals: int,
    confirmation_blocks: int,
    from_block: int | None = None,
    to_block: int | None = None,
) -> Reconciliation:
    """Compare the books with the chain over [from_block, to_block] (defaults: the first recorded
    transfer's block, or the cursor's, up to min(cursor, head − confirmation depth))."""
    token = token.lower()
    async with db.session() as session:
        watched, retired = await books_of.watched_addresses(session)
        wallets = await books_of.payout_wallets(session)
        cursor = await session.scalar(
            select(ChainCursor.last_block).where(ChainCursor.name == DEPOSIT_CURSOR)
        )
        first = await session.scalar(select(func.min(ChainTransfer.block_number)))
        await session.commit()
    head = await provider.block_number()
    confirmed = head - confirmation_blocks
    end = min(confirmed, int(cursor)) if cursor is not None else confirmed
    end = to_block if to_block is not None else end
    start = from_block if from_block is not None else min(int(first) if first is not None else end, end)
    report = Reconciliation(max(0, start), end)
    if end < start:
        return report
    start = max(0, start)
    chain_in: dict[str, Movement] = {}
    if watched:
        raw = await _logs(
            provider, token, [TRANSFER_TOPIC, None, [address_topic(a) for a in watched]], start, end
        )
        chain_in = _incoming(raw, chain_id, decimals, set(watched))
    chain_out: dict[str, Movement] = {}
    if wallets:
        raw = await _logs(provider, token, [TRANSFER_TOPIC, [address_topic(a) for a in wallets]], start, end)
        for event in (decode_transfer_log(x) for x in raw):
            if event.removed:
                continue
            amount = raw_to_amount(event.raw_value, decimals)
            previous = chain_out.get(event.tx_hash)
            if previous is not None:
                amount += previous.amount
            chain_out[event.tx_hash] = Movement(event.tx_hash, event.tx_hash, amount, event.to_address)
        for tx_hash in chain_out:
            receipt = await provider.get_receipt(tx_hash)
            if receipt:
                gas = int(str(receipt.get("gasUsed", "0x0")), 16)
                price = int(str(receipt.get("effectiveGasPrice", "0x0")), 16)
                report.fees_wei += gas * price
    async with db.session() as session:
        incoming = await books_of.incoming_books(session, chain_id, start, end)
        outgoing = await books_of.outgoing_books(session, decimals, start, end)
        await session.commit()
    report.incoming_chain = total(chain_in)
    report.incoming_books = dict(incoming.parts)
    report.pending_in = len(incoming.pending)
    report.outgoing_chain = total(chain_out)
    report.outgoing_books = total(outgoing.movements)
    report.pending_out = len(outgoing.pending & set(chain_out))
    unwatched = {
        key
        for key, moved in chain_in.items()
        if key not in incoming.movements and key not in incoming.pending and moved.recipient in retired
    }
    report.unwatched = len(unwatched)
    report.differences = [
        *compare(INCOMING, chain_in, incoming.movements, incoming.pending | unwatched),
        *incoming.orphan_entries,
        *compare(OUTGOING, chain_out, outgoing.movements, outgoing.pending),
    ]
    return report


async def reconcile_runtime(rt: Runtime) -> Reconciliation | None:
    """:func:`reconcile` with the process's chain runtime (None while chain features are off)."""
    chain = active_chain(rt)
    if chain is None:
        return None
    return await reconcile(
        rt.db,
        chain.provider,
        chain_id=chain.chain_id,
        token=chain.token_address,
        decimals=chain.decimals,
        confirmation_blocks=chain.confirmation_blocks,
        from_block=rt.config.chain_start_block,
    )


async def periodic(rt: Runtime, every_seconds: float, state: dict[str, float]) -> Reconciliation | None:
    """The monitor's reconciliation: at most every ``every_seconds``; differences alert admins
    (critical, deduplicated per set of differences for a day). RPC trouble skips the run."""
    now = time.monotonic()
    last = state.get("reconciled_at")
    if last is not None and now - last < every_seconds:
        return None
    try:
        report = await reconcile_runtime(rt)
    except RpcError as exc:
        log.warning("chain_reconcile_rpc_error", error=str(exc)[:300])
        return None
    state["reconciled_at"] = now
    if report is None:
        return None
    if report.ok:
        log.info("chain_reconciled", from_block=report.from_block, to_block=report.to_block)
        return report
    log.error("chain_reconcile_differences", count=len(report.differences), report=report.render()[:2000])
    await alert(rt, report)
    return report


async def alert(rt: Runtime, report: Reconciliation) -> None:
    shown = report.differences[:SHOWN]
    signature = "|".join(f"{d.side}:{d.kind}:{d.tx_hash}" for d in report.differences)

    def build(t: Translator) -> Content:
        lines = Safe("\n").join(
            t(
                "chain.alert.reconcile_line",
                side=d.side,
                kind=d.kind,
                tx=d.tx_hash,
                chain=str(d.chain_amount) if d.chain_amount is not None else "—",
                books=str(d.books_amount) if d.books_amount is not None else "—",
            )
            for d in shown
        )
        more = len(report.differences) - len(shown)
        return Content(
            t(
                "chain.alert.reconcile",
                count=len(report.differences),
                start=report.from_block,
                end=report.to_block,
                lines=Safe(lines),
                more=more,
            )
        )

    try:
        await notifier(rt).to_admins(
            build,
            dedupe_key=f"reconcile:{hashlib.sha256(signature.encode()).hexdigest()[:32]}",
            dedupe_seconds=86400,
        )
    except Exception as exc:  # an alert never breaks the monitor
        log.warning("chain_reconcile_alert_failed", error=str(exc)[:300])
