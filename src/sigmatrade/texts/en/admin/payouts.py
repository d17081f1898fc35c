"""Payouts & DLQ desk (SPEC §5.8 "Payouts & DLQ", §4.6.9)."""

TEXTS: dict[str, str] = {
    "adm.po.btn.panel": "📤 Payouts & DLQ",
    "adm.po.title": "📤 <b>Payouts in flight</b>: {flights} · <b>DLQ</b>: {dlq}",
    "adm.po.none_in_flight": "Nothing is being sent.",
    "adm.po.flight": "#{id} {kind} · {user} · <code>{net}</code> USDT · {status} · {age} · {tx}",
    "adm.po.btn.dlq": "☠️ Dead-letter queue ({n})",
    "adm.po.dlq.title": "☠️ <b>Dead-letter queue</b>: {total}",
    "adm.po.dlq.empty": "The queue is empty.",
    "adm.po.dlq.item": (
        "#{id} {kind} · {user} · <code>{amount}</code> USDT · attempts {attempts} · {error} · {since}"
    ),
    "adm.po.item": (
        "☠️ <b>Payout #{id}</b> ({kind}) — {status}\n"
        "User: {user}\n"
        "Amount <code>{amount}</code>, net <code>{net}</code> USDT to {destination}\n"
        "Attempts: {attempts}, error kind: {error_kind}\n"
        "Last error: {error}\n"
        "In the DLQ for {since}; nonce {nonce}; transaction {tx}"
    ),
    "adm.po.conflict_warning": (
        "⚠️ Nonce conflict: check the history of <code>{address}</code> in the explorer before resolving. "
        "Only a super admin can resolve this payout."
    ),
    "adm.po.btn.retry": "🔁 Retry",
    "adm.po.btn.fail": "✖️ Resolve: failed, return the funds",
    "adm.po.btn.paid": "✅ Resolve: paid (transaction link)",
    "adm.po.retried": "Payout #{id} is back in the pipeline: it will be retried now.",
    "adm.po.confirm_fail": (
        "Resolve payout #{id} as <b>failed</b>? <code>{amount}</code> USDT go back to the user's available "
        "balance and the user is told."
    ),
    "adm.po.confirm_fail_refund": (
        "Resolve refund #{id} as <b>failed</b>? Its unmatched deposit (<code>{amount}</code> USDT) returns "
        "to the review queue."
    ),
    "adm.po.failed": "✖️ Payout #{id} resolved as failed; the funds were returned.",
    "adm.po.hash_prompt": (
        "Payout #{id}: send the explorer link of the transaction that paid it (…/tx/0x…). It is checked on "
        "the chain: confirmed, a transfer of exactly the net amount from the payout wallet to the destination."
    ),
    "adm.po.bad_hash": "Send the explorer link of the transaction (…/tx/0x followed by 64 hex digits).",
    "adm.po.paid": "✅ Payout #{id} resolved as paid by {tx}.",
}
