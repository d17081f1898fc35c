"""What users are told about admin decisions on their payouts (SPEC §3.7.6, §4.6.9)."""

TEXTS: dict[str, str] = {
    "pn.rejected": (
        "❌ <b>Withdrawal #{id} rejected</b>\n<code>{amount}</code> USDT are back on your available balance."
    ),
    "pn.rejected_reason": (
        "❌ <b>Withdrawal #{id} rejected</b>\n"
        "Reason: {reason}\n"
        "<code>{amount}</code> USDT are back on your available balance."
    ),
    "pn.failed": (
        "⚠️ <b>Payout #{id} failed</b>\n"
        "It could not be sent. <code>{amount}</code> USDT are back on your available balance."
    ),
}
