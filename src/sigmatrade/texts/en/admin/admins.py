"""Admins screen (en)."""

TEXTS: dict[str, str] = {
    "adm.btn.admins": "👮 Admins",
    "adm.admins.title": "👮 <b>Admins</b> ({total})",
    "adm.admins.line": "{n}. {role} · <code>{tg}</code> · {name}\n    key: {has_key} · last login: {last} · added by: {by}",
    "adm.admins.view": (
        "👮 <b>Admin</b> <code>{tg}</code> · {name}\n"
        "Role: {role}\n"
        "Master key set: {has_key}\n"
        "Locked: {locked}\n"
        "Last login: {last}\n"
        "Added: {created} via {via}, by {by}"
    ),
    "adm.admins.yes": "yes",
    "adm.admins.no": "no",
    "adm.admins.nobody": "—",
    "adm.admins.btn.add": "➕ Add admin",
    "adm.admins.btn.role": "🎚 Change role",
    "adm.admins.btn.reset": "🔑 Reset key",
    "adm.admins.btn.remove": "🗑 Remove",
    "adm.admins.btn.confirm_reset": "✅ Yes, issue a new key",
    "adm.admins.btn.confirm_remove": "✅ Yes, remove",
    "adm.admins.btn.back": "⬅️ Admins",
    "adm.admins.add_prompt": "➕ Send the Telegram id of the new admin (a number).",
    "adm.admins.add_bad_id": "⚠️ A Telegram id is a positive number. Send it again, or press Cancel.",
    "adm.admins.pick_role": "🎚 Role for <code>{tg}</code>:",
    "adm.admins.confirm_reset": (
        "🔑 Issue a new master key for <code>{tg}</code>? The old key stops working and their session ends."
    ),
    "adm.admins.confirm_remove": "🗑 Remove admin <code>{tg}</code>? Their session ends at once.",
    "adm.admins.key": (
        "🔑 Master key for <code>{tg}</code> ({role}):\n\n<code>{secret}</code>\n\n"
        "Shown once. Pass it on privately; this message is deleted in 5 minutes."
    ),
    "adm.admins.added": "✅ Admin <code>{tg}</code> added as {role}.",
    "adm.admins.restored": "✅ Admin <code>{tg}</code> restored as {role}.",
    "adm.admins.role_changed": "✅ Role changed.",
    "adm.admins.key_reset": "✅ New master key issued; the old one no longer works.",
    "adm.admins.removed": "✅ Admin removed.",
    "adm.admins.err.exists": "⚠️ This Telegram id is already an admin.",
    "adm.admins.err.not_found": "⚠️ This admin no longer exists.",
    "adm.admins.err.self": "⚠️ You cannot do this to yourself.",
    "adm.admins.err.last_super": "⚠️ Refused: there must always be at least one super admin.",
    "adm.admins.err.not_allowed": "⛔ Insufficient rights for this action.",
    "adm.admins.err.bad_id": "⚠️ A Telegram id is a positive number.",
}
