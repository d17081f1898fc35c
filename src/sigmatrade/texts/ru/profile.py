"""Профиль и настройки (ru). Те же ключи и плейсхолдеры, что в en (проверяется тестом)."""

TEXTS: dict[str, str] = {
    # ---- профиль ------------------------------------------------------------------------------
    "profile.body": (
        "👤 <b>Профиль</b>\n\n"
        "Telegram ID: {tg_id}\n"
        "Имя пользователя: {username}\n"
        "Имя: {name}\n"
        "Язык: {language}\n\n"
        "💼 Кошелёк:\n{wallet}\n{explorer}\n\n"
        "Статус: {status}\n"
        "Дата регистрации: {registered}\n\n"
        "💰 <b>Балансы</b>, USDT\n"
        "Доступно: {available}\n"
        "Заморожено: {held}\n"
        "Всего заработано: {earned}\n"
        "Всего выведено: {withdrawn}\n"
        "Всего внесено: {deposited}\n\n"
        "📈 Активные уровни: {levels}/5{cycle}\n"
        "👥 Рефералы по уровням 1 / 2 / 3: {d1} / {d2} / {d3}\n"
        "✅ Подтверждённые прямые рефералы: {referrals}\n"
        "📇 Контакты: {contacts}\n\n"
        "🔗 Реферальная ссылка:\n{link}"
    ),
    "profile.explorer": "🔎 Открыть в обозревателе",
    "profile.status.verified": "✅ подтверждён",
    "profile.status.unverified": "⚠️ не подтверждён — депозиты и вывод откроются после верификации",
    "profile.cycle": "\n🔄 Цикл уровня 1: {bar} {percent}% ({accrued} из {cap} USDT)",
    "profile.none": "—",
    # ---- настройки ----------------------------------------------------------------------------
    "profile.settings.body": (
        "⚙️ <b>Настройки</b>\n\n"
        "🌐 Язык: {language}\n"
        "🔔 Уведомления о начислениях: {notify}\n"
        "📇 Контакты: {contacts}"
    ),
    "profile.settings.on": "включены",
    "profile.settings.off": "выключены",
    "profile.settings.btn.notify_on": "🔔 Включить уведомления",
    "profile.settings.btn.notify_off": "🔕 Выключить уведомления",
    "profile.settings.btn.contacts": "📇 Изменить контакты",
    "profile.settings.notify_now_on": "🔔 Уведомления о начислениях включены.",
    "profile.settings.notify_now_off": "🔕 Уведомления о начислениях выключены.",
    "profile.settings.contacts_prompt": (
        "📇 <b>Изменение контактов</b>\n\n"
        "Сейчас: {current}\n\n"
        "Отправьте новый телефон и/или e-mail одним сообщением через пробел (они заменят текущие):\n"
        "• телефон в международном формате: <code>+</code> и 8–15 цифр, например <code>+79123456789</code>;\n"
        "• e-mail: <code>name@example.com</code>.\n\n"
        "Отправьте <code>-</code>, чтобы удалить контакты."
    ),
    "profile.settings.contacts_saved": "✅ Контакты обновлены: {contacts}",
    "profile.settings.contacts_removed": "✅ Контакты удалены.",
}
