"""Profile and settings (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- profile ------------------------------------------------------------------------------
    "profile.body": (
        "👤 <b>Profile</b>\n\n"
        "Telegram ID: {tg_id}\n"
        "Username: {username}\n"
        "Name: {name}\n"
        "Language: {language}\n\n"
        "💼 Wallet:\n{wallet}\n{explorer}\n\n"
        "Status: {status}\n"
        "Registered: {registered}\n\n"
        "💰 <b>Balances</b>, USDT\n"
        "Available: {available}\n"
        "On hold: {held}\n"
        "Total earned: {earned}\n"
        "Total withdrawn: {withdrawn}\n"
        "Total deposited: {deposited}\n\n"
        "📈 Active levels: {levels}/5{cycle}\n"
        "👥 Referrals by level 1 / 2 / 3: {d1} / {d2} / {d3}\n"
        "✅ Verified direct referrals: {referrals}\n"
        "📇 Contacts: {contacts}\n\n"
        "🔗 Referral link:\n{link}"
    ),
    "profile.explorer": "🔎 Open in explorer",
    "profile.status.verified": "✅ verified",
    "profile.status.unverified": "⚠️ not verified — deposits and withdrawals open after verification",
    "profile.cycle": "\n🔄 Level 1 cycle: {bar} {percent}% ({accrued} of {cap} USDT)",
    "profile.none": "—",
    # ---- settings -----------------------------------------------------------------------------
    "profile.settings.body": (
        "⚙️ <b>Settings</b>\n\n"
        "🌐 Language: {language}\n"
        "🔔 Accrual notifications: {notify}\n"
        "📇 Contacts: {contacts}"
    ),
    "profile.settings.on": "on",
    "profile.settings.off": "off",
    "profile.settings.btn.notify_on": "🔔 Turn notifications on",
    "profile.settings.btn.notify_off": "🔕 Turn notifications off",
    "profile.settings.btn.contacts": "📇 Edit contacts",
    "profile.settings.notify_now_on": "🔔 Accrual notifications are on.",
    "profile.settings.notify_now_off": "🔕 Accrual notifications are off.",
    "profile.settings.contacts_prompt": (
        "📇 <b>Edit contacts</b>\n\n"
        "Current: {current}\n\n"
        "Send the new phone and/or e-mail in one message, separated by a space (they replace the current ones):\n"
        "• phone in international format: <code>+</code> and 8–15 digits, e.g. <code>+491511234567</code>;\n"
        "• e-mail: <code>name@example.com</code>.\n\n"
        "Send <code>-</code> to remove your contacts."
    ),
    "profile.settings.contacts_saved": "✅ Contacts updated: {contacts}",
    "profile.settings.contacts_removed": "✅ Contacts removed.",
}
