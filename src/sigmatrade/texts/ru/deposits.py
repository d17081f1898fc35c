"""Экраны депозитов (ru). Те же ключи и подстановки, что в en (проверяется тестом)."""

TEXTS: dict[str, str] = {
    # ---- кнопки -------------------------------------------------------------------------------
    "dep.btn.level": "{mark} Уровень {level} · {amount} USDT",
    "dep.btn.pending": "⏳ Ожидающие депозиты",
    "dep.btn.pending_count": "⏳ Ожидающие депозиты ({count})",
    "dep.btn.history": "📜 История депозитов",
    "dep.btn.activate": "🚀 Активировать уровень {level} · {amount} USDT",
    "dep.btn.sent": "📨 Я отправил(а)",
    "dep.btn.cancel": "✖️ Отменить депозит",
    "dep.btn.cancel_id": "✖️ Отменить #{id}",
    "dep.btn.cancel_yes": "✅ Да, отменить #{id}",
    "dep.btn.keep": "◀️ Нет, оставить",
    "dep.btn.refresh": "🔄 Обновить",
    "dep.btn.details": "🧾 Депозит #{id}",
    "dep.btn.deposits": "💼 Депозиты",
    # ---- отметки и статусы --------------------------------------------------------------------
    "dep.mark.active": "✅",
    "dep.mark.pending": "⏳",
    "dep.mark.completed": "🏁",
    "dep.mark.available": "🟢",
    "dep.mark.locked": "🔒",
    "dep.state.active": "✅ активен",
    "dep.state.pending": "⏳ ожидает вашего перевода",
    "dep.state.detected": "🔎 перевод обнаружен, ждём подтверждений",
    "dep.state.completed": "🏁 завершён",
    "dep.state.available": "🟢 доступен",
    "dep.state.locked": "🔒 закрыт: {reason}",
    "dep.status.pending": "⏳ ожидает перевода",
    "dep.status.detected": "🔎 перевод обнаружен",
    "dep.status.confirmed": "✅ подтверждён, уровень активен",
    "dep.status.completed": "🏁 завершён",
    "dep.status.expired": "⌛️ срок истёк",
    "dep.status.cancelled": "✖️ отменён",
    # ---- экран депозитов ----------------------------------------------------------------------
    "dep.title": "💼 <b>Депозиты</b>",
    "dep.line": "<b>Уровень {level}</b> · {amount} USDT — {state}",
    "dep.cycles": " · завершено циклов: {count}",
    "dep.paused": "⏸ Приём новых депозитов временно приостановлен.",
    "dep.reminders": (
        "ℹ️ Депозиты не возвращаются.\n"
        "Начисления по уровню 1 ограничены {cap}% от суммы; после достижения лимита цикл завершается "
        "и можно купить новый депозит уровня 1."
    ),
    "dep.reminders_nocap": "ℹ️ Депозиты не возвращаются. Уровень 1 можно купить снова после завершения цикла.",
    "dep.verify_first": (
        "💼 <b>Депозиты</b>\n\n🔐 Сначала подтвердите финансовый пароль — депозиты откроются после верификации."
    ),
    # ---- краткие причины (закрытые уровни) ----------------------------------------------------
    "dep.why.disabled": "приём депозитов приостановлен",
    "dep.why.no_wallet": "депозиты пока недоступны",
    "dep.why.not_registered": "нужна регистрация",
    "dep.why.not_verified": "нужна верификация",
    "dep.why.banned": "недоступно",
    "dep.why.level_closed": "ещё не открыт",
    "dep.why.cycle_open": "открыт цикл уровня 1",
    "dep.why.already_bought": "уже куплен",
    "dep.why.previous_level": "сначала нужен уровень {previous}",
    "dep.why.referrals": "нужно верифицированных рефералов: {required} (у вас {current})",
    # ---- отказы (всплывающие сообщения, обычный текст) ----------------------------------------
    "dep.refusal.disabled": "⏸ Приём новых депозитов временно приостановлен. Попробуйте позже.",
    "dep.refusal.no_wallet": "⏸ Депозиты пока недоступны. Попробуйте позже или напишите в поддержку.",
    "dep.refusal.not_registered": "Сначала зарегистрируйтесь: /start",
    "dep.refusal.not_verified": "🔐 Сначала подтвердите финансовый пароль — депозиты откроются после верификации.",
    "dep.refusal.banned": "⛔️ Депозиты недоступны для вашего аккаунта.",
    "dep.refusal.level_closed": "🔒 Уровень {level} ещё не открыт.",
    "dep.refusal.cycle_open": (
        "У вас уже есть депозит уровня 1 ({status}). Новый цикл можно купить после завершения текущего."
    ),
    "dep.refusal.already_bought": "Уровень {level} уже куплен ({status}). Уровни 2–5 покупаются один раз.",
    "dep.refusal.previous_level": "🔒 Для уровня {level} сначала нужен активный уровень {previous}.",
    "dep.refusal.referrals": (
        "🔒 Для уровня {level} нужно верифицированных прямых рефералов: {required}, у вас {current}."
    ),
    "dep.refusal.conflict": "У вас уже есть депозит уровня {level}. Откройте экран депозитов заново.",
    "dep.err.not_cancellable": "Депозит #{id} больше нельзя отменить: {status}.",
    # ---- уровень ------------------------------------------------------------------------------
    "dep.level.title": "💼 <b>Уровень {level}</b> · <code>{amount}</code> USDT",
    "dep.level.state": "Статус: {state}",
    "dep.level.requirements": "<b>Условия</b>",
    "dep.level.req_none": "<b>Условия</b>: нет. Уровень 1 можно покупать снова после каждого завершённого цикла.",
    "dep.level.req_previous": "{mark} Уровень {previous} активен или завершён",
    "dep.level.req_referrals": "{mark} Верифицированные прямые рефералы: {current} из {required}",
    "dep.level.once": "Уровни 2–5 покупаются один раз.",
    "dep.level.cap": "Лимит начислений: {cap}% от суммы ({target} USDT).",
    "dep.level.no_cap": "Лимит начислений: нет.",
    "dep.level.cycles": "Завершено циклов: {count}",
    "dep.level.progress": (
        "<b>Текущий цикл</b>\n{bar} {percent}%\n"
        "Начислено: <code>{accrued}</code> USDT · осталось: <code>{remaining}</code> USDT\n"
        "Цель: <code>{target}</code> USDT ({cap}% от суммы)"
    ),
    "dep.level.rate": "<b>Начисления</b>: {rate}% от суммы за период {hours} ч (текущая сессия начислений).",
    "dep.level.no_session": "<b>Начисления</b>: сейчас нет активной сессии начислений (период: {hours} ч).",
    "dep.level.locked": "🔒 {reason}",
    # ---- активация ----------------------------------------------------------------------------
    "dep.activation": (
        "🧾 <b>Депозит #{id} · уровень {level}</b>\n\n"
        "Отправьте ровно <code>{exact}</code> USDT (сумма уровня {amount} USDT; точная сумма, до последней "
        "цифры, определяет ваш платёж)\n"
        "Сеть: <b>BNB Smart Chain (BEP-20)</b>, токен <b>USDT</b>\n"
        "Контракт токена: {contract}\n\n"
        "На системный адрес для депозитов:\n{wallet}\n\n"
        "Только с вашего зарегистрированного кошелька:\n{user_wallet}\n"
        "Переводы с других адресов (с биржи, другого кошелька) автоматически не засчитываются.\n\n"
        "⛽️ Для оплаты комиссии сети на кошельке нужен BNB.\n"
        "✅ {confirmation}\n"
        "⏰ Срок: до {deadline} ({tz}), осталось {left}.\n"
        "⚠️ Депозиты не возвращаются."
    ),
    "dep.no_wallet_inline": "<i>не настроен — ничего не отправляйте, напишите в поддержку</i>",
    "dep.confirm.blocks": "Депозит подтверждается после {blocks} подтверждений блоков.",
    "dep.confirm.finalized": "Депозит подтверждается после финализации его блока сетью.",
    # ---- статус депозита ----------------------------------------------------------------------
    "dep.info.title": "🧾 <b>Депозит #{id} · уровень {level}</b>",
    "dep.info.amount": "Сумма: <code>{amount}</code> USDT",
    "dep.info.status": "Статус: {status}",
    "dep.info.waiting": (
        "Отправьте <code>{exact}</code> USDT на {wallet}\nс вашего зарегистрированного кошелька {user_wallet}.\n"
        "Сеть проверяется автоматически — вы получите сообщение, как только перевод будет обнаружен."
    ),
    "dep.info.deadline": "⏰ Срок: до {deadline} ({tz}), осталось {left}.",
    "dep.info.overdue": "⏰ Срок: до {deadline} ({tz}) — истёк.",
    "dep.info.received": "Получено: <code>{amount}</code> USDT",
    "dep.info.tx": "Транзакция: {link}",
    "dep.info.date": "{label}: {date}",
    "dep.conf.blocks": "подтверждений {k}/{n}",
    "dep.conf.awaiting": "ждём {n} подтверждений",
    "dep.conf.finalized": "ждём финализации",
    "dep.tx_label": "открыть в обозревателе",
    "dep.date.created": "Создан",
    "dep.date.detected": "Обнаружен",
    "dep.date.confirmed": "Подтверждён",
    "dep.date.completed": "Завершён",
    "dep.date.expired": "Истёк",
    "dep.date.cancelled": "Отменён",
    "dep.updated": "🔄 Обновлено в {time} ({tz}).",
    "dep.checked": "Статус обновлён.",
    # ---- ожидающие ----------------------------------------------------------------------------
    "dep.pending.title": "⏳ <b>Ожидающие депозиты</b> ({count})",
    "dep.pending.empty": "⏳ <b>Ожидающие депозиты</b>\n\nОжидающих депозитов нет.",
    "dep.pending.item": (
        "<b>#{id} · уровень {level}</b> · <code>{amount}</code> USDT\n"
        "Создан {age} назад · {left}\n"
        "Статус: {status}"
    ),
    "dep.left": "осталось {left}",
    "dep.overdue": "срок истёк",
    # ---- история ------------------------------------------------------------------------------
    "dep.history.title": "📜 <b>История депозитов</b> ({total})",
    "dep.history.empty": "📜 <b>История депозитов</b>\n\nДепозитов пока нет.",
    "dep.history.item": "<b>#{id} · уровень {level}</b> · <code>{amount}</code> USDT\nСтатус: {status}",
    # ---- отмена -------------------------------------------------------------------------------
    "dep.cancel_confirm": (
        "Отменить депозит #{id} (уровень {level}, {amount} USDT)?\n\n"
        "⚠️ Если вы уже отправили перевод, не отменяйте: дождитесь его обнаружения."
    ),
    "dep.cancelled": (
        "✖️ Депозит #{id} (уровень {level}, {amount} USDT) отменён.\nУровень можно активировать снова в любой момент."
    ),
    # ---- длительности -------------------------------------------------------------------------
    "dep.dur.m": "{m} мин",
    "dep.dur.hm": "{h} ч {m} мин",
    "dep.dur.dh": "{d} д {h} ч",
}
