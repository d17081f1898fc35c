"""Payout side of the reconciliation with the chain (SPEC §4.7, issue 9).

Σ outgoing token transfers of every payout wallet (read from the chain, per transaction) must equal
the settled payouts (per transaction hash) up to the confirmed height; BNB fees of our transactions
are reported apart. ``reconcile_payouts`` is the one entry point; the deposit side and the
``sigmatrade ledger reconcile`` command combine it with theirs.

A difference is named by transaction:

* ``unsettled`` — an outgoing transfer no confirmed payout accounts for (a payout paid twice, a
  transfer signed outside the sender, a stolen key). Transfers of our own payout transactions whose
  payout is still ``sent`` are listed apart as ``in_flight`` (the tracker settles them next run).
* ``missing`` — a confirmed payout whose transaction moved nothing from a payout wallet in range.
* ``mismatched`` — both sides know the transaction but the amounts differ.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sigmatrade.chain.provider import RpcCallError
from sigmatrade.chain.runtime import ChainRuntime
from sigmatrade.chain.token import TRANSFER_TOPIC, address_topic, decode_transfer_log
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.services import payout_pipeline as pipeline

LOG_CHUNK = 2000
LOG_CHUNK_MIN = 10


@dataclass
class PayoutReconciliation:
    from_block: int
    to_block: int
    wallets: list[str]
    decimals: int
    chain_raw: dict[str, int] = field(default_factory=dict)  # tx hash -> Σ outgoing raw units
    settled_raw: dict[str, int] = field(default_factory=dict)  # tx hash -> Σ settled raw units
    settled_payouts: dict[str, list[int]] = field(default_factory=dict)  # tx hash -> payout ids
    unsettled: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    fees_wei: int = 0  # BNB spent on our mined payout transactions in range (reported apart)

    @property
    def ok(self) -> bool:
        return not (self.unsettled or self.missing or self.mismatched)

    @property
    def chain_total(self) -> int:
        return sum(self.chain_raw.values())

    @property
    def settled_total(self) -> int:
        return sum(self.settled_raw.values())

    def render(self) -> str:
        """Plain text for the CLI and the alert (the caller escapes it for HTML)."""

        def amount(raw: int) -> str:
            return str(raw_to_amount(raw, self.decimals))

        lines = [
            f"payouts: blocks {self.from_block}..{self.to_block}, wallets {', '.join(self.wallets) or '-'}",
            f"  outgoing on chain {amount(self.chain_total)} = settled {amount(self.settled_total)}"
            f" {'OK' if self.ok else 'DIFFERENCE'}; BNB fees {raw_to_amount(self.fees_wei, 18)}",
        ]
        for tx in self.unsettled:
            lines.append(f"  unsettled transfer {tx}: {amount(self.chain_raw[tx])} left a payout wallet")
        for tx in self.missing:
            ids = ", ".join(f"#{i}" for i in self.settled_payouts.get(tx, []))
            lines.append(f"  settled without transfer {tx} (payouts {ids}): {amount(self.settled_raw[tx])}")
        for tx in self.mismatched:
            lines.append(
                f"  amount differs {tx}: chain {amount(self.chain_raw[tx])}, settled {amount(self.settled_raw[tx])}"
            )
        for tx in self.in_flight:
            lines.append(f"  in flight {tx}: {amount(self.chain_raw[tx])} (payout not yet confirmed)")
        return "\n".join(lines)


async def outgoing_transfers(
    chain: ChainRuntime, wallets: list[str], from_block: int, to_block: int
) -> dict[str, int]:
    """Σ raw token units sent from ``wallets`` per transaction hash in [from_block, to_block]."""
    out: dict[str, int] = defaultdict(int)
    if not wallets or to_block < from_block:
        return dict(out)
    topics = [TRANSFER_TOPIC, [address_topic(w) for w in wallets]]
    chunk = LOG_CHUNK
    start = from_block
    while start <= to_block:
        end = min(to_block, start + chunk - 1)
        try:
            logs = await chain.provider.get_logs(
                {
                    "fromBlock": hex(start),
                    "toBlock": hex(end),
                    "address": chain.token_address,
                    "topics": topics,
                }
            )
        except RpcCallError:
            if chunk <= LOG_CHUNK_MIN:
                raise
            chunk = max(LOG_CHUNK_MIN, chunk // 2)  # "range too large": ask for less
            continue
        for entry in logs:
            event = decode_transfer_log(entry)
            if not event.removed and event.from_address in wallets:
                out[event.tx_hash] += event.raw_value
        start = end + 1
    return dict(out)


async def reconcile_payouts(
    chain: ChainRuntime, *, from_block: int = 0, to_block: int | None = None
) -> PayoutReconciliation:
    """Compare the payout wallets' outgoing transfers with the settled payouts, per transaction, in
    [from_block, to_block] (default: up to the confirmed height, head − confirmation blocks)."""
    db = chain.rt.db
    if to_block is None:
        to_block = await chain.provider.block_number() - chain.confirmation_blocks
    configured = await chain.rt.store.get("payout.wallet_address")
    wallets = await pipeline.payout_wallets(db, configured or None)
    result = PayoutReconciliation(from_block, to_block, wallets, chain.decimals)
    result.chain_raw = await outgoing_transfers(chain, wallets, from_block, to_block)
    for payout in await pipeline.settled_between(db, from_block, to_block):
        result.settled_raw[payout.tx_hash] = result.settled_raw.get(payout.tx_hash, 0) + payout.raw_amount
        result.settled_payouts.setdefault(payout.tx_hash, []).append(payout.payout_id)
    known = await pipeline.known_transactions(db, list(result.chain_raw))
    for tx, raw in sorted(result.chain_raw.items()):
        settled = result.settled_raw.get(tx)
        if settled is None:
            mine = known.get(tx)
            if mine is not None and mine.payout_status in (PayoutStatus.SENT, PayoutStatus.SIGNING):
                result.in_flight.append(tx)
            else:
                result.unsettled.append(tx)
        elif settled != raw:
            result.mismatched.append(tx)
    result.missing = sorted(tx for tx in result.settled_raw if tx not in result.chain_raw)
    for tx in await pipeline.mined_transactions_between(db, from_block, to_block):
        receipt = await chain.provider.get_receipt(tx)
        if receipt is not None:
            price = receipt.get("effectiveGasPrice") or "0x0"
            result.fees_wei += int(str(receipt.get("gasUsed") or "0x0"), 16) * int(str(price), 16)
    return result
