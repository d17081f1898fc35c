"""Blacklist screen (ru)."""

TEXTS: dict[str, str] = {
    "adm.btn.blacklist": "⛔ Чёрный список",
    "adm.bl.title": "⛔ <b>Чёрный список</b> ({total})",
    "adm.bl.row": "{n}. {target} · {reason} · добавил {by} · {date}",
    "adm.bl.empty": "Чёрный список пуст.",
    "adm.bl.btn.add": "➕ Добавить",
    "adm.bl.btn.remove": "➖ Удалить",
    "adm.bl.btn.ban": "🚫 Заблокировать и пользователя",
    "adm.bl.btn.list": "⬅️ Чёрный список",
    "adm.bl.add_prompt": (
        "➕ Отправьте Telegram id, адрес кошелька или оба, затем (необязательно) причину.\n"
        "Пример: <code>123456789 0xAbC… мошенничество</code>"
    ),
    "adm.bl.remove_prompt": "➖ Отправьте Telegram id или адрес кошелька для удаления.",
    "adm.bl.added": "✅ Добавлено в чёрный список.",
    "adm.bl.updated": "✅ Уже в списке: причина обновлена.",
    "adm.bl.is_user": "👤 Это зарегистрированный пользователь #{id} ({name}). Заблокировать и его?",
    "adm.bl.removed": "✅ Удалено из чёрного списка ({count}).",
    "adm.bl.err.empty": "⚠️ Начните с Telegram id (цифры) или адреса кошелька (0x…).",
    "adm.bl.err.bad_wallet": "⚠️ Неверная контрольная сумма адреса (проверьте регистр букв).",
    "adm.bl.err.absent": "⚠️ Такой записи в чёрном списке нет.",
}
