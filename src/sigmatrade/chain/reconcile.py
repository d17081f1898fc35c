"""Reconciliation of the books with the chain (SPEC §4.7): ``sigmatrade ledger reconcile``, the
blockchain monitor (every ``CHAIN_RECONCILE_MINUTES``) and the end of every chain test.

* Incoming, from the first recorded transfer up to the deposit cursor (no further than head −
  confirmation depth): Σ token transfers to the watched addresses, read from the chain with
  ``eth_getLogs`` and keyed by their on-chain identity = deposits credited + unmatched received + dust
  recorded (transfers still pending confirmation are reported apart);
* Outgoing, from the first mined payout up to head − confirmation depth (the deposit cursor does not
  bound payouts): Σ token transfers of every payout wallet, per transaction = settled payouts, per
  transaction. Transfers of our own transactions whose payout is still ``signing``/``sent`` are listed
  apart as in flight; the BNB fees of the outgoing transactions and of our mined payout transactions
  (a reverted one pays gas too) are summed from their receipts and reported apart.

Every disagreement is a :class:`~sigmatrade.domain.reconciliation.Difference` naming the transaction;
on the outgoing side :attr:`Reconciliation.unsettled`, ``missing`` and ``mismatched`` list them.
Explicit ``from_block``/``to_block`` bound both sides.

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

from sigmatrade.chain.provider import ProviderManager, RpcError, RpcRangeTooLarge
from sigmatrade.chain.runtime import DEPOSIT_CURSOR, active_chain, second_look_cursor
from sigmatrade.chain.token import TRANSFER_TOPIC, address_topic, decode_transfer_log
from sigmatrade.db.models import ChainCursor, ChainTransfer
from sigmatrade.db.session import Database
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.domain.reconciliation import (
    AMOUNT,
    INCOMING,
    NOT_IN_BOOKS,
    NOT_ON_CHAIN,
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
LOG_CHUNK_MIN = 10
SHOWN = 10
OUTGOING_LABELS = {
    NOT_IN_BOOKS: "unsettled transfer",
    NOT_ON_CHAIN: "settled without transfer",
    AMOUNT: "amount differs",
}


@dataclass
class Reconciliation:
    from_block: int
    to_block: int
    outgoing_from: int = 0
    outgoing_to: int = -1
    wallets: list[str] = field(default_factory=list)
    incoming_chain: Decimal = Decimal(0)
    incoming_books: dict[str, Decimal] = field(default_factory=dict)
    outgoing_chain: Decimal = Decimal(0)
    outgoing_books: Decimal = Decimal(0)
    outgoing_transactions: dict[str, Decimal] = field(default_factory=dict)  # tx hash -> Σ on chain
    fees_wei: int = 0
    pending_in: int = 0
    in_flight: list[str] = field(default_factory=list)  # our transfers whose payout is not final yet
    unwatched: int = 0  # transfers to retired addresses past their grace period (never recorded)
    awaiting_second_look: int = 0  # not in the books, in blocks the watcher's second look has yet to read
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def pending_out(self) -> int:
        return len(self.in_flight)

    def _outgoing(self, kind: str) -> list[str]:
        return [d.tx_hash for d in self.differences if d.side == OUTGOING and d.kind == kind]

    @property
    def unsettled(self) -> list[str]:
        """Transfers out of a payout wallet no confirmed payout accounts for."""
        return self._outgoing(NOT_IN_BOOKS)

    @property
    def missing(self) -> list[str]:
        """Confirmed payouts whose transaction moved nothing from a payout wallet."""
        return self._outgoing(NOT_ON_CHAIN)

    @property
    def mismatched(self) -> list[str]:
        """Transactions both sides know with different amounts."""
        return self._outgoing(AMOUNT)

    def render(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.incoming_books.items()))
        lines = [
            f"reconciled blocks {self.from_block}..{self.to_block}",
            f"incoming: chain {self.incoming_chain} USDT; books {parts or '0'}"
            f" ({self.pending_in} pending confirmation, {self.unwatched} to retired addresses,"
            f" {self.awaiting_second_look} awaiting the second look)",
            f"outgoing (blocks {self.outgoing_from}..{self.outgoing_to},"
            f" wallets {', '.join(self.wallets) or '-'}): chain {self.outgoing_chain} USDT;"
            f" settled payouts {self.outgoing_books} ({self.pending_out} in flight);"
            f" BNB fees {raw_to_amount(self.fees_wei, 18)} BNB",
        ]
        lines.extend(
            f"  in flight {tx}: {self.outgoing_transactions.get(tx, Decimal(0))} (payout not yet confirmed)"
            for tx in self.in_flight
        )
        if self.ok:
            lines.append("reconcile: OK")
        else:
            lines.append(f"reconcile: {len(self.differences)} difference(s)")
            for d in self.differences:
                label = f" ({OUTGOING_LABELS[d.kind]})" if d.side == OUTGOING else ""
                extra = "".join(f" {x}" for x in (d.counterparty, d.ref) if x)
                lines.append(
                    f"  {d.side} {d.kind}{label}: {d.tx_hash} chain={d.chain_amount} books={d.books_amount}"
                    f"{extra}"
                )
        return "\n".join(lines)


async def _logs(
    provider: ProviderManager, token: str, topics: list[Any], start: int, end: int
) -> list[dict[str, Any]]:
    """The logs in [start, end], asked for in chunks (halved while the endpoint refuses the range)."""
    found: list[dict[str, Any]] = []
    chunk = LOG_CHUNK
    low = start
    while low <= end:
        high = min(end, low + chunk - 1)
        flt = {"fromBlock": hex(low), "toBlock": hex(high), "address": token, "topics": topics}
        try:
            found.extend(await provider.get_logs(flt))
        except RpcRangeTooLarge:
            if chunk <= LOG_CHUNK_MIN:
                raise
            chunk = max(LOG_CHUNK_MIN, chunk // 2)
            continue
        low = high + 1
    return found


async def _fees_wei(provider: ProviderManager, tx_hashes: set[str]) -> int:
    """Σ gas used × effective gas price of the mined transactions among ``tx_hashes``."""
    fees = 0
    for tx_hash in sorted(tx_hashes):
        receipt = await provider.get_receipt(tx_hash)
        if receipt:
            gas = int(str(receipt.get("gasUsed") or "0x0"), 16)
            price = int(str(receipt.get("effectiveGasPrice") or "0x0"), 16)
            fees += gas * price
    return fees


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
            key,
            e.tx_hash,
            raw_to_amount(e.raw_value, decimals),
            e.from_address,
            e.to_address,
            block=e.block_number,
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
    recheck_depth: int = 0,
) -> Reconciliation:
    """Compare the books with the chain over [from_block, to_block]. Defaults: incoming from the first
    recorded transfer's block up to min(cursor, head − confirmation depth); outgoing from the first
    mined payout's block up to head − confirmation depth. With the watcher's second look on
    (``recheck_depth``, ``CHAIN_RECHECK_DEPTH_BLOCKS``) and keeping up (its cursor no more than twice
    its depth behind the main one), an incoming transfer the books lack in a block it has not read yet
    is counted apart (``awaiting_second_look``), not as a difference: the second look records it (an
    admin crediting it by hand would credit it twice). A second look that is off or stalled hides
    nothing."""
    token = token.lower()
    async with db.session() as session:
        watched, retired = await books_of.watched_addresses(session)
        wallets = await books_of.payout_wallets(session)
        cursor = await session.scalar(
            select(ChainCursor.last_block).where(ChainCursor.name == DEPOSIT_CURSOR)
        )
        looked = await session.scalar(
            select(ChainCursor.last_block).where(ChainCursor.name == second_look_cursor())
        )
        first = await session.scalar(select(func.min(ChainTransfer.block_number)))
        first_out = await books_of.first_payout_block(session)
        await session.commit()
    head = await provider.block_number()
    confirmed = head - confirmation_blocks
    end = min(confirmed, int(cursor)) if cursor is not None else confirmed
    end = to_block if to_block is not None else end
    start = from_block if from_block is not None else min(int(first) if first is not None else end, end)
    out_end = to_block if to_block is not None else confirmed
    if from_block is not None:
        out_start = from_block
    else:
        out_start = min(first_out if first_out is not None else out_end, out_end)
    start, out_start = max(0, start), max(0, out_start)
    report = Reconciliation(start, end, out_start, out_end, wallets)
    chain_in: dict[str, Movement] = {}
    if watched and start <= end:
        raw = await _logs(
            provider, token, [TRANSFER_TOPIC, None, [address_topic(a) for a in watched]], start, end
        )
        chain_in = _incoming(raw, chain_id, decimals, set(watched))
    chain_out: dict[str, Movement] = {}
    if wallets and out_start <= out_end:
        raw = await _logs(
            provider, token, [TRANSFER_TOPIC, [address_topic(a) for a in wallets]], out_start, out_end
        )
        for event in (decode_transfer_log(x) for x in raw):
            if event.removed or event.from_address not in wallets:
                continue
            amount = raw_to_amount(event.raw_value, decimals)
            previous = chain_out.get(event.tx_hash)
            if previous is not None:
                amount += previous.amount
            chain_out[event.tx_hash] = Movement(event.tx_hash, event.tx_hash, amount, event.to_address)
    async with db.session() as session:
        incoming = await books_of.incoming_books(session, chain_id, start, end)
        outgoing = await books_of.outgoing_books(session, decimals, out_start, out_end)
        mined = await books_of.mined_payout_transactions(session, out_start, out_end)
        await session.commit()
    report.fees_wei = await _fees_wei(provider, set(chain_out) | mined)
    report.incoming_chain = total(chain_in)
    report.incoming_books = dict(incoming.parts)
    report.pending_in = len(incoming.pending)
    report.outgoing_chain = total(chain_out)
    report.outgoing_books = total(outgoing.movements)
    report.outgoing_transactions = {k: m.amount for k, m in sorted(chain_out.items())}
    report.in_flight = sorted(outgoing.pending & set(chain_out))
    unwatched = {
        key
        for key, moved in chain_in.items()
        if key not in incoming.movements and key not in incoming.pending and moved.recipient in retired
    }
    report.unwatched = len(unwatched)
    keeping_up = (
        recheck_depth > 0
        and looked is not None
        and cursor is not None
        and int(looked) >= int(cursor) - 2 * recheck_depth
    )
    awaiting = {
        key
        for key, moved in chain_in.items()
        if keeping_up
        and moved.block > int(looked or 0)
        and key not in incoming.movements
        and key not in incoming.pending
    }
    report.awaiting_second_look = len(awaiting)
    report.differences = [
        *compare(INCOMING, chain_in, incoming.movements, incoming.pending | unwatched | awaiting),
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
        recheck_depth=rt.config.chain_recheck_depth_blocks,
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
