"""Shared words of the money-desk screens (withdrawals, payouts and DLQ, unmatched, finpass requests)."""

TEXTS: dict[str, str] = {
    "adm.desk.age.dh": "{d}d {h}h",
    "adm.desk.age.hm": "{h}h {m}m",
    "adm.desk.age.m": "{m}m",
    "adm.desk.page": "{page}/{pages}",
    "adm.desk.btn.back": "‹ Back",
    "adm.desk.btn.cancel": "Cancel",
    "adm.desk.btn.panel": "🏠 Panel",
    "adm.desk.btn.confirm": "✅ Confirm",
    "adm.desk.flag.verified": "verified",
    "adm.desk.flag.banned": "banned",
    "adm.desk.flag.blocked": "earnings blocked",
    "adm.desk.kind.withdrawal": "withdrawal",
    "adm.desk.kind.auto_payout": "automatic payout",
    "adm.desk.kind.refund": "refund",
    "adm.desk.refused.not_found": "Not found (it may have been removed).",
    "adm.desk.refused.already_processed": "Already processed by someone else.",
    "adm.desk.refused.same_admin": "You have already approved it: a different admin must confirm.",
    "adm.desk.refused.not_rejectable": "It can no longer be rejected (already being sent or finished).",
    "adm.desk.refused.in_dlq": "It is in the dead-letter queue: resolve it there (Payouts & DLQ).",
    "adm.desk.refused.not_in_dlq": "This payout is not in the dead-letter queue any more.",
    "adm.desk.refused.nonce_bound": "Its transaction may still be mined: resolve it on the chain first.",
    "adm.desk.refused.super_only": "A nonce conflict can be resolved by a super admin only.",
    "adm.desk.refused.bad_tx": "That transaction is not this payout's transfer on the chain.",
    "adm.desk.refused.paid_on_chain": (
        "One of its transactions succeeded on the chain: it was paid. Resolve it as paid with that link."
    ),
    "adm.desk.refused.chain_unavailable": "The chain cannot be reached now; try again later.",
}
