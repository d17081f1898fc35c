"""Withdrawal desk (SPEC §5.8 "Withdrawals", "Withdrawal view")."""

TEXTS: dict[str, str] = {
    "adm.wd.btn.panel": "💸 Withdrawals",
    "adm.wd.title": "💸 <b>Withdrawals awaiting approval</b>: {total}",
    "adm.wd.empty": "Nothing is waiting.",
    "adm.wd.item": "#{id} · {user} · <code>{amount}</code> → <code>{net}</code> USDT · {age} · {done}/{need}",
    "adm.wd.btn.item": "#{id} · {amount} USDT",
    "adm.wd.view.title": "💸 <b>Payout #{id}</b> ({kind}) — {status}",
    "adm.wd.view.user": (
        "User: {user}, id {user_id}\n"
        "Available <code>{available}</code>, held <code>{held}</code>, deposited <code>{principal}</code> USDT\n"
        "Active deposits: {deposits}, direct referrals: {referrals}\n"
        "Flags: {flags}"
    ),
    "adm.wd.view.money": (
        "Amount: <code>{amount}</code> USDT\n"
        "Fee: <code>{fee}</code> USDT\n"
        "Net: <code>{net}</code> USDT\n"
        "To: {destination}\n"
        "Waiting: {age}"
    ),
    "adm.wd.view.approvals": "Approvals: {done}/{need} ({who})",
    "adm.wd.view.tx": "Transaction: {link}",
    "adm.wd.view.reason": "Reason: {reason}",
    "adm.wd.status.requested": "⏳ awaiting approval",
    "adm.wd.status.approved": "✅ approved, queued",
    "adm.wd.status.signing": "📤 signing",
    "adm.wd.status.sent": "📤 sent",
    "adm.wd.status.confirmed": "✅ confirmed",
    "adm.wd.status.failed": "⚠️ failed",
    "adm.wd.status.cancelled": "✖️ cancelled by the user",
    "adm.wd.status.rejected": "❌ rejected",
    "adm.wd.btn.approve": "✅ Approve",
    "adm.wd.btn.reject": "❌ Reject",
    "adm.wd.btn.no_reason": "Reject without a reason",
    "adm.wd.approved": "Payout #{id} approved: it goes to the sender now.",
    "adm.wd.recorded": "Approval recorded for #{id} ({done}/{need}): a different admin must confirm.",
    "adm.wd.reason_prompt": "Rejecting payout #{id}: send the reason the user will see (or reject without one).",
    "adm.wd.reason_too_long": "Send the reason as text of at most 500 characters (or reject without one).",
    "adm.wd.rejected": "❌ Payout #{id} rejected, <code>{amount}</code> USDT released.\nReason: {reason}",
}
