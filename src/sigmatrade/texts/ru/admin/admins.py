"""Admins screen (ru)."""

TEXTS: dict[str, str] = {
    "adm.btn.admins": "👮 Администраторы",
    "adm.admins.title": "👮 <b>Администраторы</b> ({total})",
    "adm.admins.line": "{n}. {role} · <code>{tg}</code> · {name}\n    ключ: {has_key} · вход: {last} · добавил: {by}",
    "adm.admins.view": (
        "👮 <b>Администратор</b> <code>{tg}</code> · {name}\n"
        "Роль: {role}\n"
        "Мастер-ключ задан: {has_key}\n"
        "Заблокирован: {locked}\n"
        "Последний вход: {last}\n"
        "Добавлен: {created} через {via}, кем: {by}"
    ),
    "adm.admins.yes": "да",
    "adm.admins.no": "нет",
    "adm.admins.nobody": "—",
    "adm.admins.btn.add": "➕ Добавить администратора",
    "adm.admins.btn.role": "🎚 Сменить роль",
    "adm.admins.btn.reset": "🔑 Сбросить ключ",
    "adm.admins.btn.remove": "🗑 Удалить",
    "adm.admins.btn.confirm_reset": "✅ Да, выдать новый ключ",
    "adm.admins.btn.confirm_remove": "✅ Да, удалить",
    "adm.admins.btn.back": "⬅️ Администраторы",
    "adm.admins.add_prompt": "➕ Отправьте Telegram id нового администратора (число).",
    "adm.admins.add_bad_id": "⚠️ Telegram id — положительное число. Отправьте его ещё раз или нажмите «Отмена».",
    "adm.admins.pick_role": "🎚 Роль для <code>{tg}</code>:",
    "adm.admins.confirm_reset": (
        "🔑 Выдать новый мастер-ключ для <code>{tg}</code>? Старый ключ перестанет работать, сессия завершится."
    ),
    "adm.admins.confirm_remove": "🗑 Удалить администратора <code>{tg}</code>? Его сессия завершится сразу.",
    "adm.admins.key": (
        "🔑 Мастер-ключ для <code>{tg}</code> ({role}):\n\n<code>{secret}</code>\n\n"
        "Показывается один раз. Передайте его лично; это сообщение удалится через 5 минут."
    ),
    "adm.admins.added": "✅ Администратор <code>{tg}</code> добавлен: {role}.",
    "adm.admins.restored": "✅ Администратор <code>{tg}</code> восстановлен: {role}.",
    "adm.admins.role_changed": "✅ Роль изменена.",
    "adm.admins.key_reset": "✅ Выдан новый мастер-ключ; старый больше не действует.",
    "adm.admins.removed": "✅ Администратор удалён.",
    "adm.admins.err.exists": "⚠️ Этот Telegram id уже администратор.",
    "adm.admins.err.not_found": "⚠️ Этого администратора больше нет.",
    "adm.admins.err.self": "⚠️ Это нельзя сделать с самим собой.",
    "adm.admins.err.last_super": "⚠️ Отказано: должен остаться хотя бы один супер-администратор.",
    "adm.admins.err.not_allowed": "⛔ Недостаточно прав для этого действия.",
    "adm.admins.err.bad_id": "⚠️ Telegram id — положительное число.",
}
