"""Admin access: login, session, rights, panel (ru)."""

TEXTS: dict[str, str] = {
    "adm.err.rights": "⛔ Недостаточно прав для этого действия.",
    "adm.login.needed": "🔐 Сначала войдите в админ-панель.",
    "adm.login.prompt": (
        "🔐 <b>Админ-панель</b>\n\n"
        "Отправьте мастер-ключ (<code>XXXX-XXXX-XXXX-XXXX</code>). "
        "Сообщение удаляется сразу после прочтения.\n"
        "Осталось попыток: {attempts}"
    ),
    "adm.login.wrong": "❌ Неверный мастер-ключ. Осталось попыток: {attempts}",
    "adm.login.malformed": (
        "⚠️ Это не мастер-ключ (<code>XXXX-XXXX-XXXX-XXXX</code>), попытка не засчитана. "
        "Осталось попыток: {attempts}"
    ),
    "adm.login.unexpected": "✏️ Отправьте мастер-ключ текстовым сообщением или нажмите «Отмена».",
    "adm.login.locked": "🔒 Вход заблокирован после нескольких неверных ключей. Повторите через {minutes} мин.",
    "adm.login.no_key": "🔐 Мастер-ключ ещё не выдан. Попросите супер-админа или оператора выдать его.",
    "adm.login.gone": "⛔ Вы больше не администратор.",
    "adm.logout.done": "👋 Вы вышли из админ-панели.",
    "adm.session.info": (
        "🛡 <b>Сессия администратора</b>\nРоль: {role}\nОсталось: {minutes} мин (каждое действие продлевает)."
    ),
    "adm.alert.locked": (
        "🚨 <b>Тревога безопасности</b>\n"
        "Администратор {admin} (Telegram id <code>{tg}</code>) слишком много раз ввёл неверный мастер-ключ; "
        "вход заблокирован до {until}."
    ),
    "adm.role.admin": "администратор",
    "adm.role.extended_admin": "расширенный администратор",
    "adm.role.super_admin": "супер-администратор",
    "adm.panel.title": (
        "🛡 <b>Админ-панель</b> · {role}\n\n"
        "<b>Требует внимания</b>\n"
        "• выводы на одобрение: {withdrawals}\n"
        "• нераспознанные депозиты: {unmatched}\n"
        "• DLQ: {dlq}\n"
        "• запросы на восстановление пароля: {finpass}\n"
        "• открытые обращения: {tickets}"
    ),
    "adm.btn.panel": "🛡 Админ-панель",
    "adm.btn.refresh": "🔄 Обновить",
}
