"""Стол нераспознанных платежей (SPEC §5.8 «Нераспознанные депозиты», §4.5)."""

TEXTS: dict[str, str] = {
    "adm.um.btn.panel": "❓ Нераспознанные платежи",
    "adm.um.title": "❓ <b>Нераспознанные платежи</b>: {total}",
    "adm.um.empty": "Разбирать нечего.",
    "adm.um.item": "#{id} · <code>{amount}</code> USDT · от {sender} · {reason} · {age} · {tx}",
    "adm.um.btn.item": "#{id} · {amount} USDT",
    "adm.um.reason.unknown_sender": "неизвестный отправитель",
    "adm.um.reason.no_pending_deposit": "нет ожидающего депозита",
    "adm.um.reason.amount_mismatch": "сумма не совпала",
    "adm.um.reason.deposit_expired": "депозит истёк",
    "adm.um.reason.user_banned": "пользователь заблокирован",
    "adm.um.status.open": "открыт",
    "adm.um.status.assigned": "назначен",
    "adm.um.status.refund_pending": "ожидает возврата",
    "adm.um.status.refunded": "возвращён",
    "adm.um.status.ignored": "проигнорирован",
    "adm.um.view": (
        "❓ <b>Нераспознанный платёж #{id}</b> — {status}\n"
        "Получено: <code>{amount}</code> USDT\n"
        "От: {sender}\n"
        "Зарегистрированный пользователь: {user}\n"
        "Причина: {reason}\n"
        "Получен {age} назад · {tx}"
    ),
    "adm.um.btn.assign": "👤 Назначить пользователю",
    "adm.um.btn.refund": "↩️ Вернуть",
    "adm.um.btn.ignore": "🙈 Игнорировать",
    "adm.um.user_prompt": "Платёж #{id}: отправьте пользователя — id, Telegram id, @username или адрес кошелька.",
    "adm.um.user_not_found": "Пользователь не найден. Отправьте id, Telegram id, @username или адрес кошелька.",
    "adm.um.level_prompt": "Платёж #{id} → {user}: выберите уровень.",
    "adm.um.confirm_assign": (
        "Назначить платёж #{id} (<code>{amount}</code> USDT) пользователю {user} как депозит уровня {level}? "
        "Депозит будет подтверждён, реферальные комиссии начислены."
    ),
    "adm.um.assigned": "✅ Платёж #{id} назначен: депозит #{deposit} пользователя {user} подтверждён.",
    "adm.um.note_prompt.ref": "Возврат платежа #{id} отправителю: отправьте примечание (обязательно).",
    "adm.um.note_prompt.ign": "Игнорировать платёж #{id}: отправьте примечание (обязательно).",
    "adm.um.note_too_long": "Отправьте примечание текстом не длиннее 500 символов.",
    "adm.um.confirm.ref": (
        "Вернуть <code>{amount}</code> USDT платежа #{id} отправителю? Будет создана выплата-возврат, она "
        "проходит обычные одобрения.\nПримечание: {note}"
    ),
    "adm.um.confirm.ign": "Игнорировать платёж #{id} (<code>{amount}</code> USDT)?\nПримечание: {note}",
    "adm.um.refunded": "↩️ Выплата-возврат #{payout} создана для платежа #{id}: {status}.",
    "adm.um.ignored": "🙈 Платёж #{id} проигнорирован.",
    "adm.um.refused.not_open": "Платёж уже не открыт (его уже разобрали).",
    "adm.um.refused.no_user": "Такого пользователя нет.",
    "adm.um.refused.note_required": "Нужно примечание.",
    "adm.um.refused.too_little": "Мало для уровня {level}: он стоит {amount} USDT.",
    "adm.um.refused.activation": "Пользователь сейчас не может взять этот уровень ({reason}).",
}
