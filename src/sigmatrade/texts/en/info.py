"""FAQ screen (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    "info.btn.faq": "❔ FAQ",
    "info.btn.instructions": "📘 How to deposit",
    "info.faq": (
        "❔ <b>Frequently asked questions</b>\n\n"
        "<b>Where do I send a deposit?</b>\n"
        "USDT (BEP-20, BNB Smart Chain) to the system wallet:\n{wallet}\n"
        "Token contract: {contract}\n\n"
        "<b>When is a deposit credited?</b>\n"
        "It is detected within a minute and confirmed {rule}.\n\n"
        "<b>I sent a wrong amount or from another wallet.</b>\n"
        "Such transfers go to manual review — write to support with the transaction link.\n\n"
        "<b>Can I get a deposit back?</b>\n"
        "No, deposits are non-refundable. Level 1 rewards are capped at {cap}% of the amount.\n\n"
        "<b>I lost my financial password.</b>\n"
        "Help → “Recover financial password”. Earnings are blocked until the recovery is completed.\n\n"
        "<b>How do I contact support?</b>\n"
        "Menu → Support → New ticket: text, photos, videos, voice messages and documents are accepted."
    ),
    "info.rule.blocks": "after {n} block confirmations (usually 1–2 minutes)",
    "info.rule.finalized": "once its block is finalized by the network (usually a few minutes)",
    "info.no_wallet": "<i>not configured yet — please ask support</i>",
}
