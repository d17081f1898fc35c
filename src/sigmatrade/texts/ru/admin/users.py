"""Users screen and user card (ru)."""

TEXTS: dict[str, str] = {
    "adm.btn.users": "👥 Пользователи",
    "adm.users.search_prompt": (
        "👥 <b>Пользователи</b>\n\nОтправьте @username, Telegram id, id пользователя, адрес кошелька "
        "или реферальный код."
    ),
    "adm.users.none": "🔍 По запросу <code>{query}</code> ничего не найдено. Отправьте другой запрос.",
    "adm.users.found": "🔍 Найдено по <code>{query}</code>:",
    "adm.users.recent_title": "🆕 <b>Последние регистрации</b> ({total})",
    "adm.users.row": "#{id} · {name} · <code>{tg}</code>{flags}",
    "adm.users.btn.recent": "🆕 Последние регистрации",
    "adm.users.btn.search": "🔍 Поиск",
    "adm.users.card": (
        "👤 <b>Пользователь #{id}</b> · {name}\n"
        "Telegram id: <code>{tg}</code> · язык: {lang}\n"
        "Кошелёк: <code>{wallet}</code>\n"
        "Реферальный код: <code>{code}</code> · пригласил: {referrer}\n"
        "Регистрация: {registered}\n"
        "Флаги: {flags}\n\n"
        "<b>Балансы</b>\n"
        "Доступно: {available} USDT · удержано: {held} USDT\n"
        "Внесено: {principal} USDT · заработано: {earned} USDT · выведено: {withdrawn} USDT\n\n"
        "Депозиты: {deposits}\n"
        "Рефералы (уровни 1/2/3): {ref1} / {ref2} / {ref3}\n"
        "Открытые выплаты: {open_payouts} ({open_sum} USDT)\n"
        "Активное обращение: {ticket}\n"
        "Контакты: {contacts}"
    ),
    "adm.users.flag.verified": "верифицирован",
    "adm.users.flag.unverified": "не верифицирован",
    "adm.users.flag.banned": "ЗАБЛОКИРОВАН",
    "adm.users.flag.earnings_blocked": "начисления заблокированы",
    "adm.users.flag.unreachable": "недоступен",
    "adm.users.none_value": "—",
    "adm.users.no_deposits": "нет",
    "adm.users.contacts_none": "нет",
    "adm.users.btn.ban": "🚫 Заблокировать",
    "adm.users.btn.unban": "✅ Разблокировать",
    "adm.users.btn.unblock": "🔓 Разблокировать начисления",
    "adm.users.btn.contacts": "📇 Показать контакты",
    "adm.users.btn.adjust": "💰 Корректировка баланса",
    "adm.users.btn.wallet": "👛 Сменить кошелёк",
    "adm.users.btn.ledger": "📒 Журнал",
    "adm.users.btn.deposits": "📥 Депозиты",
    "adm.users.btn.payouts": "📤 Выплаты",
    "adm.users.btn.card": "⬅️ Карточка",
    "adm.users.btn.reason": "✏️ Указать причину",
    "adm.users.btn.confirm_ban": "✅ Да, заблокировать",
    "adm.users.btn.confirm_unban": "✅ Да, разблокировать",
    "adm.users.btn.confirm_adjust": "✅ Подтвердить",
    "adm.users.btn.confirm_wallet": "✅ Да, сменить кошелёк",
    "adm.users.confirm_ban": "🚫 Заблокировать пользователя #{id} ({name})?\nПричина: {reason}",
    "adm.users.confirm_unban": "✅ Разблокировать пользователя #{id} ({name})?",
    "adm.users.ban_reason_prompt": "✏️ Отправьте причину блокировки пользователя #{id}.",
    "adm.users.banned": "🚫 Пользователь заблокирован.",
    "adm.users.unbanned": "✅ Пользователь разблокирован.",
    "adm.users.unblocked": "🔓 Начисления разблокированы.",
    "adm.users.contacts": "📇 <b>Контакты пользователя #{id}</b>\nТелефон: {phone}\nEmail: {email}",
    "adm.users.adjust_prompt": (
        "💰 <b>Корректировка баланса пользователя #{id}</b>\nДоступно: {available} USDT\n\n"
        "Отправьте сумму: <code>+10.50</code> — начислить, <code>-5</code> — списать."
    ),
    "adm.users.adjust_bad_amount": (
        "⚠️ Отправьте сумму со знаком и не более 2 знаков после запятой, например <code>+10.50</code> "
        "или <code>-5</code>."
    ),
    "adm.users.adjust_reason_prompt": "✏️ Отправьте причину корректировки (обязательно).",
    "adm.users.adjust_confirm": (
        "💰 <b>{what}</b> {amount} USDT пользователю #{id} ({name})\nПричина: {reason}\n"
        "Доступно сейчас: {available} USDT"
    ),
    "adm.users.adjust_credit": "Начислить",
    "adm.users.adjust_debit": "Списать",
    "adm.users.adjusted": "✅ Баланс скорректирован: {before} → {after} USDT.",
    "adm.users.wallet_prompt": "👛 Отправьте новый адрес кошелька пользователя #{id} (сейчас <code>{wallet}</code>).",
    "adm.users.wallet_confirm": "👛 Сменить кошелёк пользователя #{id}?\n<code>{old}</code>\n→ <code>{new}</code>",
    "adm.users.wallet_changed": "✅ Кошелёк изменён.",
    "adm.users.text_expected": "✏️ Отправьте это текстом или нажмите «Отмена».",
    "adm.users.ledger_title": "📒 <b>Журнал пользователя #{id}</b> (доступный баланс, записей: {total})",
    "adm.users.ledger_row": "{date} · {type} · <b>{amount}</b>{note}",
    "adm.users.deposits_title": "📥 <b>Депозиты пользователя #{id}</b> ({total})",
    "adm.users.deposit_row": "#{dep} · L{level} · {amount} USDT · {status} · {date}",
    "adm.users.payouts_title": "📤 <b>Выплаты пользователя #{id}</b> ({total})",
    "adm.users.payout_row": "#{pid} · {kind} · {amount} USDT (к получению {net}) · {status} · {date}",
    "adm.users.empty": "Пока ничего нет.",
    "adm.users.err.not_found": "⚠️ Этого пользователя больше нет.",
    "adm.users.err.already": "ℹ️ Уже сделано.",
    "adm.users.err.insufficient": "⚠️ Списание не может превышать доступный баланс ({available} USDT).",
    "adm.users.err.open_payouts": (
        "⚠️ У пользователя есть открытые выплаты; отклоните или завершите их перед сменой кошелька."
    ),
    "adm.users.err.same_wallet": "⚠️ Это и так кошелёк пользователя.",
    "adm.users.err.bad_amount": "⚠️ Сумма или причина недопустимы.",
    "adm.users.err.wallet_format": "⚠️ Это не адрес кошелька (0x и 40 шестнадцатеричных символов).",
    "adm.users.err.wallet_checksum": "⚠️ Неверная контрольная сумма адреса (проверьте регистр букв).",
    "adm.users.err.wallet_zero": "⚠️ Нулевой адрес не может быть кошельком.",
    "adm.users.err.wallet_contract": "⚠️ Это адрес контракта токена, а не кошелёк.",
    "adm.users.err.wallet_system": "⚠️ Этот адрес принадлежит платформе.",
    "adm.users.err.wallet_taken": "⚠️ Этот кошелёк уже у другого пользователя.",
    "adm.users.err.wallet_wallet_blacklisted": "⚠️ Этот кошелёк в чёрном списке.",
    "adm.users.notify.credit": "💰 На ваш баланс начислено {amount} USDT.\nПричина: {reason}",
    "adm.users.notify.debit": "💰 С вашего баланса списано {amount} USDT.\nПричина: {reason}",
    "adm.users.notify.wallet": "👛 Администратор изменил ваш зарегистрированный кошелёк на <code>{wallet}</code>.",
}
