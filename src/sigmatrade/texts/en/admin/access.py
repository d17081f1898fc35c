"""Admin access: login, session, rights, panel (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    "adm.err.rights": "⛔ Insufficient rights for this action.",
    "adm.login.needed": "🔐 Log in to the admin panel first.",
    "adm.login.prompt": (
        "🔐 <b>Admin panel</b>\n\n"
        "Send your master key (four groups of four letters and digits, e.g. <code>AB2C-D3EF-4GHJ-K5LM</code>). "
        "The message is deleted right after reading.\n"
        "Attempts left: {attempts}"
    ),
    "adm.login.wrong": "❌ Wrong master key. Attempts left: {attempts}",
    "adm.login.malformed": (
        "⚠️ This is not a master key (four groups of four letters and digits, "
        "e.g. <code>AB2C-D3EF-4GHJ-K5LM</code>); it was not counted. "
        "Attempts left: {attempts}"
    ),
    "adm.login.unexpected": "✏️ Send the master key as a text message, or press Cancel.",
    "adm.login.locked": "🔒 Login is locked after too many wrong keys. Try again in {minutes} min.",
    "adm.login.no_key": "🔐 You have no master key yet. Ask a super admin or the operator to issue one.",
    "adm.login.gone": "⛔ You are no longer an administrator.",
    "adm.logout.done": "👋 You have logged out of the admin panel.",
    "adm.session.info": "🛡 <b>Admin session</b>\nRole: {role}\nTime left: {minutes} min (each action extends it).",
    "adm.alert.locked": (
        "🚨 <b>Security alert</b>\n"
        "Admin {admin} (Telegram id <code>{tg}</code>) entered wrong master keys too many times; "
        "login is locked until {until}."
    ),
    "adm.role.admin": "admin",
    "adm.role.extended_admin": "extended admin",
    "adm.role.super_admin": "super admin",
    "adm.panel.title": (
        "🛡 <b>Admin panel</b> · {role}\n\n"
        "<b>Needs attention</b>\n"
        "• withdrawals awaiting approval: {withdrawals}\n"
        "• unmatched deposits: {unmatched}\n"
        "• DLQ: {dlq}\n"
        "• finpass requests: {finpass}\n"
        "• open tickets: {tickets}"
    ),
    "adm.btn.panel": "🛡 Admin panel",
    "adm.btn.refresh": "🔄 Refresh",
}
