"""Blacklist screen (en)."""

TEXTS: dict[str, str] = {
    "adm.btn.blacklist": "⛔ Blacklist",
    "adm.bl.title": "⛔ <b>Blacklist</b> ({total})",
    "adm.bl.row": "{n}. {target} · {reason} · by {by} · {date}",
    "adm.bl.empty": "The blacklist is empty.",
    "adm.bl.btn.add": "➕ Add",
    "adm.bl.btn.remove": "➖ Remove",
    "adm.bl.btn.ban": "🚫 Ban this user too",
    "adm.bl.btn.list": "⬅️ Blacklist",
    "adm.bl.add_prompt": (
        "➕ Send a Telegram id, a wallet address, or both, optionally followed by a reason.\n"
        "Example: <code>123456789 0xAbC… fraud</code>"
    ),
    "adm.bl.remove_prompt": "➖ Send the Telegram id or the wallet address to remove.",
    "adm.bl.added": "✅ Added to the blacklist.",
    "adm.bl.updated": "✅ Already listed: the reason was updated.",
    "adm.bl.is_user": "👤 This is registered user #{id} ({name}). Ban them as well?",
    "adm.bl.removed": "✅ Removed from the blacklist ({count}).",
    "adm.bl.err.empty": "⚠️ Start with a Telegram id (digits) or a wallet address (0x…).",
    "adm.bl.err.bad_wallet": "⚠️ The wallet address checksum is wrong (check the letter case).",
    "adm.bl.err.absent": "⚠️ Not in the blacklist.",
}
