"""Unmatched deposit desk (SPEC §5.8 "Unmatched deposits", §4.5)."""

TEXTS: dict[str, str] = {
    "adm.um.btn.panel": "❓ Unmatched deposits",
    "adm.um.title": "❓ <b>Unmatched deposits</b>: {total}",
    "adm.um.empty": "Nothing to review.",
    "adm.um.item": "#{id} · <code>{amount}</code> USDT · from {sender} · {reason} · {age} · {tx}",
    "adm.um.btn.item": "#{id} · {amount} USDT",
    "adm.um.reason.unknown_sender": "unknown sender",
    "adm.um.reason.no_pending_deposit": "no pending deposit",
    "adm.um.reason.amount_mismatch": "amount mismatch",
    "adm.um.reason.deposit_expired": "deposit expired",
    "adm.um.reason.user_banned": "user banned",
    "adm.um.status.open": "open",
    "adm.um.status.assigned": "assigned",
    "adm.um.status.refund_pending": "refund pending",
    "adm.um.status.refunded": "refunded",
    "adm.um.status.ignored": "ignored",
    "adm.um.view": (
        "❓ <b>Unmatched deposit #{id}</b> — {status}\n"
        "Received: <code>{amount}</code> USDT\n"
        "From: {sender}\n"
        "Registered user: {user}\n"
        "Reason: {reason}\n"
        "Received {age} ago · {tx}"
    ),
    "adm.um.btn.assign": "👤 Assign to a user",
    "adm.um.btn.refund": "↩️ Refund",
    "adm.um.btn.ignore": "🙈 Ignore",
    "adm.um.user_prompt": "Item #{id}: send the user — user id, Telegram id, @username or wallet address.",
    "adm.um.user_not_found": "No such user. Send a user id, Telegram id, @username or wallet address.",
    "adm.um.level_prompt": "Item #{id} → {user}: choose the level.",
    "adm.um.confirm_assign": (
        "Assign item #{id} (<code>{amount}</code> USDT) to {user} as a level {level} deposit? The deposit is "
        "confirmed and referral commissions are paid."
    ),
    "adm.um.assigned": "✅ Item #{id} assigned: deposit #{deposit} of {user} confirmed.",
    "adm.um.note_prompt.ref": "Refund item #{id} to its sender: send the note (required).",
    "adm.um.note_prompt.ign": "Ignore item #{id}: send the note (required).",
    "adm.um.note_too_long": "Send the note as text of at most 500 characters.",
    "adm.um.confirm.ref": (
        "Refund <code>{amount}</code> USDT of item #{id} to its sender? A refund payout is created and goes "
        "through the normal approvals.\nNote: {note}"
    ),
    "adm.um.confirm.ign": "Ignore item #{id} (<code>{amount}</code> USDT)?\nNote: {note}",
    "adm.um.refunded": "↩️ Refund payout #{payout} created for item #{id}: {status}.",
    "adm.um.ignored": "🙈 Item #{id} ignored.",
    "adm.um.refused.not_open": "This item is no longer open (someone already resolved it).",
    "adm.um.refused.no_user": "That user does not exist.",
    "adm.um.refused.note_required": "A note is required.",
    "adm.um.refused.too_little": "Too little for level {level}: it costs {amount} USDT.",
    "adm.um.refused.activation": "The user cannot take this level now ({reason}).",
}
