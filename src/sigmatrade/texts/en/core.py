"""English texts. Same keys and placeholders as ru.py (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons -------------------------------------------------------------------------
    "btn.back": "◀️ Back",
    "btn.cancel": "✖️ Cancel",
    "btn.menu": "🏠 Menu",
    "btn.register": "📝 Register",
    "btn.instructions": "📘 Instructions",
    "btn.help": "❓ Help",
    "btn.language": "🌐 Language",
    "btn.profile": "👤 Profile",
    "btn.deposits": "💼 Deposits",
    "btn.withdraw": "💸 Withdraw",
    "btn.referrals": "👥 Referrals",
    "btn.history": "📜 History",
    "btn.support": "🛟 Support",
    "btn.settings": "⚙️ Settings",
    "btn.verify": "✅ Verify password",
    "btn.admin_panel": "🛡 Admin panel",
    "btn.explorer_wallet": "🔎 Wallet in explorer",
    "btn.recover_finpass": "🔑 Recover financial password",
    "lang.name.ru": "🇷🇺 Русский",
    "lang.name.en": "🇬🇧 English",
    # ---- common answers -----------------------------------------------------------------
    "err.unknown_command": "🤔 Unknown command. Use the menu or /help.",
    "err.outdated_button": "This button is outdated. Please open the menu again.",
    "err.generic": "⚠️ Something went wrong. Please try again.\nReference: <code>{ref}</code>",
    "err.unexpected_input": "I am waiting for a different input now. Follow the prompt above or press Cancel.",
    "err.generic_alert": "Something went wrong. Reference: {ref}",
    "err.throttled": "⏳ Too many actions. Please wait {minutes} min — messages are ignored until then.",
    "err.action_limited": "⏳ The limit for this action is reached. Try again in {wait}.",
    "err.banned": "⛔️ Your account has been terminated. Access to the service is closed.",
    "err.blacklisted": "⛔️ Registration is not available to you.",
    "err.private_key_warning": (
        "🚨 This looks like a private key or a seed phrase. The message was deleted. "
        "Never share them with anyone — the bot never asks for them."
    ),
    "cancel.done": "Cancelled.",
    "time.minutes": "{n} min",
    "time.hours": "{n} h",
    # ---- welcome / menu -----------------------------------------------------------------
    "welcome.guest": (
        "👋 <b>Welcome to SigmaTrade!</b>\n\n"
        "SigmaTrade is a USDT deposit platform (BEP-20, BNB Smart Chain):\n"
        "• 5 deposit levels with fixed amounts;\n"
        "• rewards (ROI) accrued under reward sessions;\n"
        "• a 3-level referral program: {rates}.\n\n"
        "To register you need your own BSC wallet (not an exchange address).{site}{referral}"
    ),
    "welcome.site": "\n\nWebsite: {url}",
    "welcome.ref_valid": "\n\n🤝 You were invited by {name}.",
    "welcome.ref_invalid": "\n\n⚠️ The invite link is not valid — you will register without a referrer.",
    "welcome.back": "👋 Welcome back, {name}!",
    "menu.title": "🏠 <b>Main menu</b>\nChoose a section:",
    "menu.verify_hint": "\n\n⚠️ Verify your financial password to unlock deposits and withdrawals.",
    # ---- language ---------------------------------------------------------------------------
    "lang.title": "🌐 Current language: <b>{current}</b>\nChoose the interface language:",
    "lang.changed": "✅ Language switched to English.",
    # ---- help / instructions --------------------------------------------------------------
    "help.body": (
        "❓ <b>Help</b>\n\n"
        "<b>Commands</b>\n"
        "/start — start\n/menu — main menu\n/help — this help\n"
        "/cancel — cancel the current action\n/language — language\n\n"
        "<b>Deposit levels</b>\n{levels}\n\n"
        "<b>Referral program</b>\n"
        "Commission on your referrals' deposits: level 1 {r1}%, level 2 {r2}%, level 3 {r3}%.\n\n"
        "<b>Level 1 cap</b>: rewards up to {cap}% of the amount, then a new cycle can be bought.\n\n"
        "🔐 <b>Financial password</b> is shown once at registration and is required for withdrawals. "
        "Keep it safe and never share it.{support}{site}"
    ),
    "help.level_line": "Level {level}: {amount} USDT · referrals: {refs}",
    "help.support": "\n\n🛟 Support: the “Support” section of the menu{email}.",
    "help.support_email": " or {email}",
    "instructions.body": (
        "📘 <b>How to make a deposit</b>\n\n"
        "1. Network: <b>BNB Smart Chain (BEP-20)</b>, token <b>USDT</b>.\n"
        "   Token contract: {contract}\n"
        "2. Address to send to (system wallet):\n{wallet}\n"
        "3. Send the <b>exact amount</b> of the chosen level <b>from your registered wallet</b>.\n"
        "4. You need BNB on your wallet to pay the network fee.\n"
        "5. A deposit is confirmed {rule}.\n\n"
        "⚠️ <b>Common mistakes</b>: sending from an exchange, another network or token, a wrong amount — "
        "such transfers go to manual review.\n"
        "Deposits are non-refundable. Level 1 rewards are capped at {cap}% of the amount."
    ),
    "instructions.no_wallet": "<i>the system wallet is not configured yet — please ask support</i>",
}
