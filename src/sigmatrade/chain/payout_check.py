"""Checking on chain what an admin decides about a dead-lettered payout (SPEC §4.6.9).

Resolve as paid: the named transfer is accepted only when the receipt has status 1 and the configured
confirmation depth, and one of its logs is a Transfer of the token, from a payout wallet, to the
payout's destination, of exactly its raw net amount; its block is canonical on every endpoint that has
that height, and every endpoint that answers and knows the transaction knows a success (one node's
receipt alone never settles a payout, as in the tracker). Anything else → None. RPC failures propagate
(the caller says the chain is unavailable).

Resolve as failed: refused while any node knows one of the payout's own transactions as successful,
or while a node does not answer (a lagging node's ``null`` once made a paid payout look like a nonce
conflict).
"""

from __future__ import annotations

from sigmatrade.chain.runtime import ChainRuntime
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_transfer_log
from sigmatrade.db.models import Payout
from sigmatrade.db.session import Database
from sigmatrade.services import payout_pipeline as pipeline
from sigmatrade.services.admin.payouts import ManualTransfer

PAID_ON_CHAIN = "paid_on_chain"
CHAIN_UNAVAILABLE = "chain_unavailable"


async def failing_refused(chain: ChainRuntime | None, db: Database, payout_id: int) -> str | None:
    """Why the payout may not be resolved as failed on the chain's evidence (None: it may). A payout
    that never signed a transaction needs no chain."""
    hashes = [tx.tx_hash for tx in await pipeline.transactions(db, payout_id)]
    if not hashes:
        return None
    if chain is None:
        return CHAIN_UNAVAILABLE
    view = await chain.provider.mined_everywhere(hashes)
    if not view.answered:
        return CHAIN_UNAVAILABLE
    return None if view.none_paid else PAID_ON_CHAIN


async def paid_by(
    chain: ChainRuntime, payout: Payout, tx_hash: str, wallets: set[str]
) -> ManualTransfer | None:
    receipt = await chain.provider.get_receipt(tx_hash)
    if receipt is None or not receipt.get("blockNumber") or int(str(receipt.get("status", "0x0")), 16) != 1:
        return None
    block = int(str(receipt["blockNumber"]), 16)
    if await chain.provider.agreed_head() - block < chain.confirmation_blocks:
        return None
    senders = {w.lower() for w in wallets}
    for entry in receipt.get("logs") or []:
        topics = entry.get("topics") or []
        if len(topics) != 3 or str(topics[0]).lower() != TRANSFER_TOPIC:
            continue
        event = decode_transfer_log(entry)
        if (
            event.token == chain.token_address.lower()
            and event.from_address in senders
            and event.to_address == payout.to_address.lower()
            and event.raw_value == payout.raw_amount
        ):
            found = str(receipt["transactionHash"]).lower()
            view = await chain.provider.success_view(found, block, str(receipt.get("blockHash", "")))
            return ManualTransfer(tx_hash=found, block=block) if view.all_succeeded else None
    return None
