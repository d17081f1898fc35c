"""Withdrawal screens (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "wd.btn.new": "➕ New withdrawal",
    "wd.btn.all": "💯 Withdraw all: {amount} USDT",
    "wd.btn.list": "📋 My payouts",
    "wd.btn.confirm": "✅ Confirm",
    "wd.btn.cancel_payout": "✖️ Cancel #{id}",
    "wd.btn.cancel_yes": "✅ Yes, cancel #{id}",
    "wd.btn.keep": "◀️ No, keep it",
    # ---- withdraw screen ----------------------------------------------------------------------
    "wd.title": "💸 <b>Withdraw</b>",
    "wd.balances": "Available: <code>{available}</code> USDT\nOn hold (open payouts): <code>{held}</code> USDT",
    "wd.limits": "Minimum: {min} USDT · maximum: {max} USDT\nFee: {fee}%",
    "wd.daily": "Daily limit: {limit} USDT (left today: {left} USDT)",
    "wd.wallet": "Payouts go only to your registered wallet:\n{wallet}",
    "wd.open_title": "<b>Open payouts</b>",
    "wd.open_line": "#{id} · {amount} USDT · {status}",
    "wd.no_open": "No open payouts.",
    "wd.below_min": "ℹ️ The minimum withdrawal is {min} USDT — your available balance is lower.",
    "wd.verify_first": (
        "💸 <b>Withdraw</b>\n\n🔐 Verify your financial password first — withdrawals open after verification."
    ),
    "wd.blocked.not_verified": "🔐 Verify your financial password first — withdrawals open after verification.",
    "wd.blocked.earnings_blocked": (
        "⛔️ Withdrawals are unavailable while your financial password recovery is in progress."
    ),
    "wd.blocked.disabled": "⏸ Withdrawals are temporarily disabled. Please try again later.",
    "wd.blocked.banned": "⛔️ Withdrawals are not available for your account.",
    # ---- amount -------------------------------------------------------------------------------
    "wd.amount_prompt": (
        "✏️ <b>New withdrawal</b>\n\n"
        "Enter the amount in USDT, for example <code>12.50</code>.\n"
        "Available: <code>{available}</code> USDT\n"
        "Minimum {min} · maximum {max} USDT · fee {fee}%{daily}"
    ),
    "wd.amount_daily": "\nLeft today (daily limit): {left} USDT",
    "wd.err.format": (
        "❌ That is not an amount. Send a number like <code>12.50</code> "
        "(a dot or a comma; no spaces, signs or exponents)."
    ),
    "wd.err.decimals": "❌ At most 2 decimal places, for example <code>12.50</code>.",
    "wd.err.not_positive": "❌ The amount must be greater than zero.",
    "wd.err.below_min": "❌ The minimum withdrawal is {bound} USDT.",
    "wd.err.above_max": "❌ The maximum withdrawal is {bound} USDT.",
    "wd.err.above_available": "❌ Not enough available balance: you can withdraw up to {bound} USDT.",
    "wd.err.daily_limit": "❌ Daily limit reached: you can request {bound} USDT more today (UTC day).",
    "wd.err.net_too_small": "❌ After the fee you would receive less than the minimum payout of {bound} USDT.",
    "wd.err.insufficient_funds": "❌ Your available balance has changed and is no longer enough.",
    "wd.err.terms_changed": "❌ The withdrawal fee has changed since the summary. Please start a new withdrawal.",
    "wd.err.retry": "Send another amount or press Cancel.",
    "wd.err.nothing_created": "No withdrawal was created.",
    "wd.err.not_cancellable": "Request #{id} can no longer be cancelled: {status}.",
    "wd.unexpected.amount": "✏️ I am waiting for the amount as a number, for example <code>12.50</code>, or Cancel.",
    "wd.unexpected.confirm": "🧾 Please check the summary above and press Confirm or Cancel.",
    "wd.unexpected.finpass": "🔐 I am waiting for your financial password as a text message, or Cancel.",
    # ---- summary ------------------------------------------------------------------------------
    "wd.summary": (
        "🧾 <b>Withdrawal summary</b>\n\n"
        "Amount: <code>{amount}</code> USDT\n"
        "Fee ({fee_percent}%): <code>{fee}</code> USDT\n"
        "You receive: <code>{net}</code> USDT\n"
        "To your registered wallet:\n{wallet}\n\n"
        "{processing}"
    ),
    "wd.processing.auto": "⚡️ Processing: approved automatically and sent to your wallet shortly.",
    "wd.processing.one": "👤 Processing: after approval by an administrator.",
    "wd.processing.two": "👥 Processing: after approval by two administrators.",
    # ---- finpass ------------------------------------------------------------------------------
    "wd.finpass_prompt": (
        "🔐 Enter your <b>financial password</b> to confirm the withdrawal of <code>{amount}</code> USDT.\n"
        "The message with the password is deleted right after reading.\n"
        "Attempts left: {attempts}"
    ),
    "wd.finpass_wrong": "❌ Wrong financial password. Attempts left: {attempts}.\nEnter it again or press Cancel.",
    "wd.finpass_locked": (
        "🔒 The financial password is locked after too many wrong attempts. "
        "Try again in {minutes} min. No withdrawal was created."
    ),
    # ---- created ------------------------------------------------------------------------------
    "wd.created": (
        "✅ <b>Withdrawal request #{id} created</b>\n\n"
        "Amount: <code>{amount}</code> USDT\n"
        "Fee: <code>{fee}</code> USDT\n"
        "You receive: <code>{net}</code> USDT\n"
        "To: {wallet}\n"
        "Status: {status}\n\n"
        "{next}"
    ),
    "wd.next.auto": (
        "The request was approved automatically and will be sent to your wallet shortly. "
        "You will get a message with the transaction link."
    ),
    "wd.next.one": (
        "The amount is held on your balance until an administrator reviews the request. "
        "While it awaits approval you can cancel it in “My payouts”. "
        "You will get a message when it is sent."
    ),
    "wd.next.two": (
        "The amount is held on your balance until two administrators review the request. "
        "While it awaits approval you can cancel it in “My payouts”. "
        "You will get a message when it is sent."
    ),
    # ---- statuses and kinds (§3.7.8) -------------------------------------------------------------
    "wd.status.requested": "⏳ awaiting approval",
    "wd.status.requested_progress": "⏳ awaiting approval ({done}/{need})",
    "wd.status.approved": "✅ approved, queued for sending",
    "wd.status.signing": "📤 sending",
    "wd.status.sent": "📤 sent, awaiting confirmation",
    "wd.status.confirmed": "✅ completed",
    "wd.status.cancelled": "✖️ cancelled, funds returned",
    "wd.status.rejected": "❌ rejected, funds returned",
    "wd.status.failed": "⚠️ failed, funds returned",
    "wd.kind.withdrawal": "Withdrawal",
    "wd.kind.auto_payout": "Automatic payout",
    "wd.kind.refund": "Refund",
    # ---- my payouts ---------------------------------------------------------------------------
    "wd.list_title": "📋 <b>My payouts</b> ({total})",
    "wd.list_empty": "📋 <b>My payouts</b>\n\nNo payouts yet.",
    "wd.list_item": (
        "<b>#{id}</b> · {kind}\n"
        "Amount: <code>{amount}</code> USDT · net <code>{net}</code> USDT\n"
        "Status: {status}\n"
        "Requested: {requested}"
    ),
    "wd.date_line": "{label}: {date}",
    "wd.date.approved": "Approved",
    "wd.date.sent": "Sent",
    "wd.date.confirmed": "Completed",
    "wd.date.cancelled": "Cancelled",
    "wd.date.rejected": "Rejected",
    "wd.date.failed": "Failed",
    "wd.reason_line": "Reason: {reason}",
    "wd.tx_line": "Transaction: {link}",
    "wd.tx_label": "view in explorer",
    # ---- user cancel --------------------------------------------------------------------------
    "wd.cancel_confirm": (
        "Cancel withdrawal request <b>#{id}</b> of <code>{amount}</code> USDT?\n"
        "The amount returns to your available balance."
    ),
    "wd.cancelled": (
        "✖️ <b>Withdrawal request #{id} cancelled</b>\n"
        "<code>{amount}</code> USDT returned to your available balance "
        "(now <code>{available}</code> USDT)."
    ),
    # ---- admin notice -------------------------------------------------------------------------
    "wd.alert_large": (
        "💰 Large withdrawal request <b>#{id}</b>: <code>{amount}</code> USDT from {user} "
        "(Telegram id {telegram_id}); approvals required: {approvals}."
    ),
}
