"""Deposit chain events (en): detection, confirmation, commissions, expiry, reverts, admin alerts."""

TEXTS: dict[str, str] = {
    "depev.tx_label": "View transaction",
    "depev.waiting.blocks": "Waiting for {confirmations} network confirmations.",
    "depev.waiting.finalized": "Waiting for the block to be finalized by the network.",
    "depev.detected": (
        "🔎 <b>Transfer detected</b>\nLevel {level}: received <b>{amount} USDT</b>.\n{waiting}\n{link}"
    ),
    "depev.confirmed": (
        "✅ <b>Deposit confirmed</b>\nLevel {level} is active: <b>{amount} USDT</b> received.\n{extra}{link}"
    ),
    "depev.confirmed.cap": "Rewards run until they reach <b>{cap} USDT</b> ({percent}% of the deposit).",
    "depev.confirmed.next": "Next: level {next_level} ({next_amount} USDT) needs {required} verified referrals.",
    "depev.commission": (
        "🎁 <b>Referral commission</b>: +{amount} USDT\n"
        "From a deposit of {name} (line {depth}).\n"
        "Available balance: <b>{balance} USDT</b>"
    ),
    "depev.expired": (
        "⌛ <b>Deposit expired</b>\n"
        "The deadline for your level {level} deposit of {amount} USDT has passed.\n"
        "A transfer sent later goes to manual review. If you already sent funds, contact support."
    ),
    "depev.reverted": (
        "⚠️ <b>Detection reverted</b>\n"
        "The network dropped the transfer detected for your level {level} deposit ({amount} USDT).\n"
        "The deposit waits for your transfer again; a re-included transfer is detected automatically."
    ),
    "depev.reverted_expired": (
        "⚠️ <b>Detection reverted</b>\n"
        "The network dropped the transfer detected for your level {level} deposit ({amount} USDT), "
        "and its deadline has passed, so the deposit expired.\n"
        "A re-included transfer goes to manual review. Contact support if needed."
    ),
    "depev.mode.fixed": "fixed ±{value} USDT",
    "depev.mode.percent": "±{value}% (±{amount} USDT)",
    "depev.alert.deviation": (
        "⚠️ <b>Significant amount deviation</b>\n"
        "Deposit #{deposit_id} (level {level}) of {user}\n"
        "Expected: <code>{expected}</code> USDT, received: <code>{received}</code> USDT\n"
        "Tolerance: {mode}\n"
        "{link}"
    ),
    "depev.alert.unmatched": (
        "📥 <b>Unmatched deposit #{id} needs review</b>\n"
        "Amount: <code>{amount}</code> USDT\n"
        "Sender: <code>{sender}</code>\n"
        "Reason: {reason}\n"
        "{link}"
    ),
    "depev.alert.receipt_missing": (
        "⚠️ <b>Transfer receipt missing for {minutes} min</b>\n"
        "Amount: <code>{amount}</code> USDT, block {block}\n"
        "Its block is still canonical, so the detection is kept (not reverted): an RPC endpoint "
        "may be answering without the receipt. Check the endpoints.\n"
        "{link}"
    ),
    "depev.reason.unknown_sender": "unknown sender",
    "depev.reason.no_pending_deposit": "no pending deposit",
    "depev.reason.amount_mismatch": "amount does not match",
    "depev.reason.deposit_expired": "deposit expired",
    "depev.reason.user_banned": "sender is banned",
}
