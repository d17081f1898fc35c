"""Users screen and user card (en)."""

TEXTS: dict[str, str] = {
    "adm.btn.users": "👥 Users",
    "adm.users.search_prompt": (
        "👥 <b>Users</b>\n\nSend @username, Telegram id, user id, wallet address or referral code."
    ),
    "adm.users.none": "🔍 Nothing found for <code>{query}</code>. Send another query.",
    "adm.users.found": "🔍 Found for <code>{query}</code>:",
    "adm.users.recent_title": "🆕 <b>Recent registrations</b> ({total})",
    "adm.users.row": "#{id} · {name} · <code>{tg}</code>{flags}",
    "adm.users.btn.recent": "🆕 Recent registrations",
    "adm.users.btn.search": "🔍 Search",
    "adm.users.card": (
        "👤 <b>User #{id}</b> · {name}\n"
        "Telegram id: <code>{tg}</code> · language: {lang}\n"
        "Wallet: <code>{wallet}</code>\n"
        "Referral code: <code>{code}</code> · referrer: {referrer}\n"
        "Registered: {registered}\n"
        "Flags: {flags}\n\n"
        "<b>Balances</b>\n"
        "Available: {available} USDT · held: {held} USDT\n"
        "Deposited: {principal} USDT · earned: {earned} USDT · withdrawn: {withdrawn} USDT\n\n"
        "Deposits: {deposits}\n"
        "Referrals (levels 1/2/3): {ref1} / {ref2} / {ref3}\n"
        "Open payouts: {open_payouts} ({open_sum} USDT)\n"
        "Active ticket: {ticket}\n"
        "Contacts: {contacts}"
    ),
    "adm.users.flag.verified": "verified",
    "adm.users.flag.unverified": "not verified",
    "adm.users.flag.banned": "BANNED",
    "adm.users.flag.earnings_blocked": "earnings blocked",
    "adm.users.flag.unreachable": "unreachable",
    "adm.users.none_value": "—",
    "adm.users.no_deposits": "none",
    "adm.users.contacts_none": "none",
    "adm.users.btn.ban": "🚫 Ban",
    "adm.users.btn.unban": "✅ Unban",
    "adm.users.btn.unblock": "🔓 Unblock earnings",
    "adm.users.btn.contacts": "📇 Show contacts",
    "adm.users.btn.adjust": "💰 Adjust balance",
    "adm.users.btn.wallet": "👛 Change wallet",
    "adm.users.btn.ledger": "📒 Ledger",
    "adm.users.btn.deposits": "📥 Deposits",
    "adm.users.btn.payouts": "📤 Payouts",
    "adm.users.btn.card": "⬅️ User card",
    "adm.users.btn.reason": "✏️ Add a reason",
    "adm.users.btn.confirm_ban": "✅ Yes, ban",
    "adm.users.btn.confirm_unban": "✅ Yes, unban",
    "adm.users.btn.confirm_adjust": "✅ Confirm",
    "adm.users.btn.confirm_wallet": "✅ Yes, change the wallet",
    "adm.users.confirm_ban": "🚫 Ban user #{id} ({name})?\nReason: {reason}",
    "adm.users.confirm_unban": "✅ Unban user #{id} ({name})?",
    "adm.users.ban_reason_prompt": "✏️ Send the ban reason for user #{id}.",
    "adm.users.banned": "🚫 User banned.",
    "adm.users.unbanned": "✅ User unbanned.",
    "adm.users.unblocked": "🔓 Earnings unblocked.",
    "adm.users.contacts": "📇 <b>Contacts of user #{id}</b>\nPhone: {phone}\nEmail: {email}",
    "adm.users.adjust_prompt": (
        "💰 <b>Adjust the balance of user #{id}</b>\nAvailable: {available} USDT\n\n"
        "Send the amount: <code>+10.50</code> credits, <code>-5</code> debits."
    ),
    "adm.users.adjust_bad_amount": (
        "⚠️ Send a signed amount with at most 2 decimals, e.g. <code>+10.50</code> or <code>-5</code>."
    ),
    "adm.users.adjust_reason_prompt": "✏️ Send the reason for this adjustment (required).",
    "adm.users.adjust_confirm": (
        "💰 <b>{what}</b> {amount} USDT for user #{id} ({name})\nReason: {reason}\n"
        "Available now: {available} USDT"
    ),
    "adm.users.adjust_credit": "Credit",
    "adm.users.adjust_debit": "Debit",
    "adm.users.adjusted": "✅ Balance adjusted: {before} → {after} USDT.",
    "adm.users.wallet_prompt": "👛 Send the new wallet address for user #{id} (now <code>{wallet}</code>).",
    "adm.users.wallet_confirm": "👛 Change the wallet of user #{id}?\n<code>{old}</code>\n→ <code>{new}</code>",
    "adm.users.wallet_changed": "✅ Wallet changed.",
    "adm.users.text_expected": "✏️ Send it as a text message, or press Cancel.",
    "adm.users.ledger_title": "📒 <b>Ledger of user #{id}</b> (available balance, {total} entries)",
    "adm.users.ledger_row": "{date} · {type} · <b>{amount}</b>{note}",
    "adm.users.deposits_title": "📥 <b>Deposits of user #{id}</b> ({total})",
    "adm.users.deposit_row": "#{dep} · L{level} · {amount} USDT · {status} · {date}",
    "adm.users.payouts_title": "📤 <b>Payouts of user #{id}</b> ({total})",
    "adm.users.payout_row": "#{pid} · {kind} · {amount} USDT (net {net}) · {status} · {date}",
    "adm.users.empty": "Nothing yet.",
    "adm.users.err.not_found": "⚠️ This user no longer exists.",
    "adm.users.err.already": "ℹ️ Already done.",
    "adm.users.err.insufficient": "⚠️ A debit cannot exceed the available balance ({available} USDT).",
    "adm.users.err.open_payouts": "⚠️ The user has open payouts; reject or finish them before changing the wallet.",
    "adm.users.err.same_wallet": "⚠️ This is already the user's wallet.",
    "adm.users.err.bad_amount": "⚠️ The amount or the reason is not valid.",
    "adm.users.err.wallet_format": "⚠️ Not a wallet address (0x and 40 hex characters).",
    "adm.users.err.wallet_checksum": "⚠️ The address checksum is wrong (check the letter case).",
    "adm.users.err.wallet_zero": "⚠️ The zero address cannot be a wallet.",
    "adm.users.err.wallet_contract": "⚠️ That is the token contract, not a wallet.",
    "adm.users.err.wallet_system": "⚠️ That address belongs to the platform.",
    "adm.users.err.wallet_taken": "⚠️ Another user already has this wallet.",
    "adm.users.err.wallet_wallet_blacklisted": "⚠️ This wallet is blacklisted.",
    "adm.users.notify.credit": "💰 Your balance was credited with {amount} USDT.\nReason: {reason}",
    "adm.users.notify.debit": "💰 Your balance was debited by {amount} USDT.\nReason: {reason}",
    "adm.users.notify.wallet": "👛 Your registered wallet was changed by an administrator to <code>{wallet}</code>.",
}
