"""Deposit screens (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "dep.btn.level": "{mark} Level {level} · {amount} USDT",
    "dep.btn.pending": "⏳ Pending deposits",
    "dep.btn.pending_count": "⏳ Pending deposits ({count})",
    "dep.btn.history": "📜 Deposit history",
    "dep.btn.activate": "🚀 Activate level {level} · {amount} USDT",
    "dep.btn.sent": "📨 I have sent it",
    "dep.btn.cancel": "✖️ Cancel deposit",
    "dep.btn.cancel_id": "✖️ Cancel #{id}",
    "dep.btn.cancel_yes": "✅ Yes, cancel #{id}",
    "dep.btn.keep": "◀️ No, keep it",
    "dep.btn.refresh": "🔄 Refresh",
    "dep.btn.details": "🧾 Deposit #{id}",
    "dep.btn.deposits": "💼 Deposits",
    # ---- marks and statuses -------------------------------------------------------------------
    "dep.mark.active": "✅",
    "dep.mark.pending": "⏳",
    "dep.mark.completed": "🏁",
    "dep.mark.available": "🟢",
    "dep.mark.locked": "🔒",
    "dep.state.active": "✅ active",
    "dep.state.pending": "⏳ awaiting your transfer",
    "dep.state.detected": "🔎 transfer detected, awaiting confirmations",
    "dep.state.completed": "🏁 completed",
    "dep.state.available": "🟢 available",
    "dep.state.locked": "🔒 locked: {reason}",
    "dep.status.pending": "⏳ waiting for transfer",
    "dep.status.detected": "🔎 transfer detected",
    "dep.status.confirmed": "✅ confirmed, level active",
    "dep.status.completed": "🏁 completed",
    "dep.status.expired": "⌛️ expired",
    "dep.status.cancelled": "✖️ cancelled",
    # ---- deposits screen ----------------------------------------------------------------------
    "dep.title": "💼 <b>Deposits</b>",
    "dep.line": "<b>Level {level}</b> · {amount} USDT — {state}",
    "dep.cycles": " · cycles completed: {count}",
    "dep.paused": "⏸ New deposits are temporarily paused.",
    "dep.reminders": (
        "ℹ️ Deposits are non-refundable.\n"
        "Level 1 rewards are capped at {cap}% of the amount; when the cap is reached the cycle completes "
        "and a new level-1 deposit can be bought."
    ),
    "dep.reminders_nocap": "ℹ️ Deposits are non-refundable. Level 1 can be bought again after a cycle completes.",
    "dep.verify_first": (
        "💼 <b>Deposits</b>\n\n🔐 Verify your financial password first — deposits open after verification."
    ),
    # ---- short reasons (locked levels) --------------------------------------------------------
    "dep.why.disabled": "deposits are paused",
    "dep.why.no_wallet": "deposits are not available yet",
    "dep.why.not_registered": "registration required",
    "dep.why.not_verified": "verification required",
    "dep.why.banned": "not available",
    "dep.why.level_closed": "not open yet",
    "dep.why.cycle_open": "a level-1 cycle is open",
    "dep.why.already_bought": "already bought",
    "dep.why.previous_level": "level {previous} needed first",
    "dep.why.referrals": "{required} verified referrals needed (you have {current})",
    # ---- refusals (alerts, plain text) --------------------------------------------------------
    "dep.refusal.disabled": "⏸ New deposits are temporarily paused. Please try again later.",
    "dep.refusal.no_wallet": "⏸ Deposits are not available yet. Please try again later or contact support.",
    "dep.refusal.not_registered": "Please register first: /start",
    "dep.refusal.not_verified": "🔐 Verify your financial password first — deposits open after verification.",
    "dep.refusal.banned": "⛔️ Deposits are not available for your account.",
    "dep.refusal.level_closed": "🔒 Level {level} is not open yet.",
    "dep.refusal.cycle_open": (
        "You already have a level-1 deposit ({status}). A new cycle can be bought after the current one completes."
    ),
    "dep.refusal.already_bought": "Level {level} is already bought ({status}). Levels 2–5 can be bought once.",
    "dep.refusal.previous_level": "🔒 Level {level} requires level {previous} to be active first.",
    "dep.refusal.referrals": "🔒 Level {level} requires {required} verified direct referrals — you have {current}.",
    "dep.refusal.conflict": "You already have a deposit of level {level}. Open the Deposits screen again.",
    "dep.err.not_cancellable": "Deposit #{id} can no longer be cancelled: {status}.",
    # ---- level view ---------------------------------------------------------------------------
    "dep.level.title": "💼 <b>Level {level}</b> · <code>{amount}</code> USDT",
    "dep.level.state": "Status: {state}",
    "dep.level.requirements": "<b>Requirements</b>",
    "dep.level.req_none": "<b>Requirements</b>: none. Level 1 can be bought again after each completed cycle.",
    "dep.level.req_previous": "{mark} Level {previous} active or completed",
    "dep.level.req_referrals": "{mark} Verified direct referrals: {current} of {required}",
    "dep.level.once": "Levels 2–5 can be bought once.",
    "dep.level.cap": "Reward cap: {cap}% of the amount ({target} USDT).",
    "dep.level.no_cap": "Reward cap: none.",
    "dep.level.cycles": "Completed cycles: {count}",
    "dep.level.progress": (
        "<b>Current cycle</b>\n{bar} {percent}%\n"
        "Accrued: <code>{accrued}</code> USDT · remaining: <code>{remaining}</code> USDT\n"
        "Target: <code>{target}</code> USDT ({cap}% of the amount)"
    ),
    "dep.level.rate": "<b>Rewards</b>: {rate}% of the amount per period of {hours} h (current reward session).",
    "dep.level.no_session": "<b>Rewards</b>: no reward session is running now (period: {hours} h).",
    "dep.level.locked": "🔒 {reason}",
    # ---- activation ---------------------------------------------------------------------------
    "dep.activation": (
        "🧾 <b>Deposit #{id} · level {level}</b>\n\n"
        "Send exactly <code>{exact}</code> USDT (level amount {amount} USDT; the exact amount, to the last "
        "digit, identifies your payment)\n"
        "Network: <b>BNB Smart Chain (BEP-20)</b>, token <b>USDT</b>\n"
        "Token contract: {contract}\n\n"
        "To the system deposit address:\n{wallet}\n\n"
        "From your registered wallet only:\n{user_wallet}\n"
        "Transfers from any other address (an exchange, another wallet) are not matched automatically.\n\n"
        "⛽️ You need some BNB on your wallet to pay the network fee.\n"
        "✅ {confirmation}\n"
        "⏰ Deadline: {deadline} ({tz}) — {left} left.\n"
        "⚠️ Deposits are non-refundable."
    ),
    "dep.no_wallet_inline": "<i>not configured — do not send anything, contact support</i>",
    "dep.confirm.blocks": "The deposit is confirmed after {blocks} block confirmations.",
    "dep.confirm.finalized": "The deposit is confirmed once its block is finalized by the network.",
    # ---- deposit status -----------------------------------------------------------------------
    "dep.info.title": "🧾 <b>Deposit #{id} · level {level}</b>",
    "dep.info.amount": "Amount: <code>{amount}</code> USDT",
    "dep.info.status": "Status: {status}",
    "dep.info.waiting": (
        "Send <code>{exact}</code> USDT to {wallet}\nfrom your registered wallet {user_wallet}.\n"
        "The network is checked automatically — you will get a message as soon as the transfer is detected."
    ),
    "dep.info.deadline": "⏰ Deadline: {deadline} ({tz}) — {left} left.",
    "dep.info.overdue": "⏰ Deadline: {deadline} ({tz}) — passed.",
    "dep.info.received": "Received: <code>{amount}</code> USDT",
    "dep.info.tx": "Transaction: {link}",
    "dep.info.date": "{label}: {date}",
    "dep.conf.blocks": "confirmations {k}/{n}",
    "dep.conf.awaiting": "awaiting {n} confirmations",
    "dep.conf.finalized": "awaiting finality",
    "dep.tx_label": "view in explorer",
    "dep.date.created": "Created",
    "dep.date.detected": "Detected",
    "dep.date.confirmed": "Confirmed",
    "dep.date.completed": "Completed",
    "dep.date.expired": "Expired",
    "dep.date.cancelled": "Cancelled",
    "dep.updated": "🔄 Updated at {time} ({tz}).",
    "dep.checked": "Status refreshed.",
    # ---- pending list -------------------------------------------------------------------------
    "dep.pending.title": "⏳ <b>Pending deposits</b> ({count})",
    "dep.pending.empty": "⏳ <b>Pending deposits</b>\n\nNo pending deposits.",
    "dep.pending.item": (
        "<b>#{id} · level {level}</b> · <code>{amount}</code> USDT\n"
        "Created {age} ago · {left}\n"
        "Status: {status}"
    ),
    "dep.left": "{left} left",
    "dep.overdue": "deadline passed",
    # ---- history ------------------------------------------------------------------------------
    "dep.history.title": "📜 <b>Deposit history</b> ({total})",
    "dep.history.empty": "📜 <b>Deposit history</b>\n\nNo deposits yet.",
    "dep.history.item": "<b>#{id} · level {level}</b> · <code>{amount}</code> USDT\nStatus: {status}",
    # ---- cancel -------------------------------------------------------------------------------
    "dep.cancel_confirm": (
        "Cancel deposit #{id} (level {level}, {amount} USDT)?\n\n"
        "⚠️ If you have already sent the transfer, do not cancel: wait until it is detected."
    ),
    "dep.cancelled": (
        "✖️ Deposit #{id} (level {level}, {amount} USDT) is cancelled.\nYou can activate the level again at any time."
    ),
    # ---- durations ----------------------------------------------------------------------------
    "dep.dur.m": "{m} min",
    "dep.dur.hm": "{h} h {m} min",
    "dep.dur.dh": "{d} d {h} h",
}
