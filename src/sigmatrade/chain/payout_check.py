"""Checking on chain a transfer an admin names to resolve a dead-lettered payout as paid (SPEC §4.6.9).

Accepted only when the receipt has status 1 and the configured confirmation depth, and one of its logs
is a Transfer of the token, from a payout wallet, to the payout's destination, of exactly its raw net
amount. Anything else → None. RPC failures propagate (the caller says the chain is unavailable).
"""

from __future__ import annotations

from sigmatrade.chain.runtime import ChainRuntime
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_transfer_log
from sigmatrade.db.models import Payout
from sigmatrade.services.admin.payouts import ManualTransfer


async def paid_by(
    chain: ChainRuntime, payout: Payout, tx_hash: str, wallets: set[str]
) -> ManualTransfer | None:
    receipt = await chain.provider.get_receipt(tx_hash)
    if receipt is None or not receipt.get("blockNumber") or int(str(receipt.get("status", "0x0")), 16) != 1:
        return None
    block = int(str(receipt["blockNumber"]), 16)
    if await chain.provider.block_number() - block < chain.confirmation_blocks:
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
            return ManualTransfer(tx_hash=str(receipt["transactionHash"]).lower(), block=block)
    return None
