"""События депозитов в сети (ru): обнаружение, подтверждение, комиссии, истечение, откаты, алерты."""

TEXTS: dict[str, str] = {
    "depev.tx_label": "Открыть транзакцию",
    "depev.waiting.blocks": "Ожидаем {confirmations} подтверждений сети.",
    "depev.waiting.finalized": "Ожидаем финализации блока сетью.",
    "depev.detected": (
        "🔎 <b>Перевод обнаружен</b>\nУровень {level}: получено <b>{amount} USDT</b>.\n{waiting}\n{link}"
    ),
    "depev.confirmed": (
        "✅ <b>Депозит подтверждён</b>\n"
        "Уровень {level} активен: получено <b>{amount} USDT</b>.\n"
        "{extra}"
        "{link}"
    ),
    "depev.confirmed.cap": "Начисления идут до <b>{cap} USDT</b> ({percent}% от депозита).",
    "depev.confirmed.next": (
        "Далее: уровень {next_level} ({next_amount} USDT), нужно верифицированных рефералов: {required}."
    ),
    "depev.commission": (
        "🎁 <b>Реферальная комиссия</b>: +{amount} USDT\n"
        "С депозита {name} (линия {depth}).\n"
        "Доступный баланс: <b>{balance} USDT</b>"
    ),
    "depev.expired": (
        "⌛ <b>Срок депозита истёк</b>\n"
        "Время на оплату депозита уровня {level} на {amount} USDT вышло.\n"
        "Перевод, отправленный позже, уйдёт на ручную проверку. Если вы уже отправили средства, "
        "напишите в поддержку."
    ),
    "depev.reverted": (
        "⚠️ <b>Обнаружение отменено</b>\n"
        "Сеть отменила перевод, найденный для депозита уровня {level} ({amount} USDT).\n"
        "Депозит снова ждёт перевода; если перевод вернётся в сеть, он будет найден автоматически."
    ),
    "depev.reverted_expired": (
        "⚠️ <b>Обнаружение отменено</b>\n"
        "Сеть отменила перевод, найденный для депозита уровня {level} ({amount} USDT), "
        "а срок оплаты уже прошёл, поэтому депозит истёк.\n"
        "Повторно включённый перевод уйдёт на ручную проверку. При вопросах напишите в поддержку."
    ),
    "depev.mode.fixed": "фиксированный ±{value} USDT",
    "depev.mode.percent": "±{value}% (±{amount} USDT)",
    "depev.alert.deviation": (
        "⚠️ <b>Значительное отклонение суммы</b>\n"
        "Депозит #{deposit_id} (уровень {level}) пользователя {user}\n"
        "Ожидалось: <code>{expected}</code> USDT, получено: <code>{received}</code> USDT\n"
        "Допуск: {mode}\n"
        "{link}"
    ),
    "depev.alert.unmatched": (
        "📥 <b>Несопоставленный депозит #{id} ждёт проверки</b>\n"
        "Сумма: <code>{amount}</code> USDT\n"
        "Отправитель: <code>{sender}</code>\n"
        "Причина: {reason}\n"
        "{link}"
    ),
    "depev.alert.receipt_missing": (
        "⚠️ <b>Квитанция перевода отсутствует {minutes} мин</b>\n"
        "Сумма: <code>{amount}</code> USDT, блок {block}\n"
        "Блок по-прежнему в основной цепи, поэтому обнаружение сохранено (не отменено): возможно, "
        "RPC-узел отвечает без квитанции. Проверьте узлы.\n"
        "{link}"
    ),
    "depev.reason.unknown_sender": "неизвестный отправитель",
    "depev.reason.no_pending_deposit": "нет ожидающего депозита",
    "depev.reason.amount_mismatch": "сумма не совпадает",
    "depev.reason.deposit_expired": "срок депозита истёк",
    "depev.reason.user_banned": "отправитель заблокирован",
}
