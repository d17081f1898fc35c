"""Стол выводов (SPEC §5.8 «Выводы», «Просмотр вывода»)."""

TEXTS: dict[str, str] = {
    "adm.wd.btn.panel": "💸 Выводы",
    "adm.wd.title": "💸 <b>Выводы на одобрении</b>: {total}",
    "adm.wd.empty": "Ничего не ждёт.",
    "adm.wd.item": "#{id} · {user} · <code>{amount}</code> → <code>{net}</code> USDT · {age} · {done}/{need}",
    "adm.wd.btn.item": "#{id} · {amount} USDT",
    "adm.wd.view.title": "💸 <b>Выплата #{id}</b> ({kind}) — {status}",
    "adm.wd.view.user": (
        "Пользователь: {user}, id {user_id}\n"
        "Доступно <code>{available}</code>, в холде <code>{held}</code>, внесено <code>{principal}</code> USDT\n"
        "Активных депозитов: {deposits}, прямых рефералов: {referrals}\n"
        "Отметки: {flags}"
    ),
    "adm.wd.view.money": (
        "Сумма: <code>{amount}</code> USDT\n"
        "Комиссия: <code>{fee}</code> USDT\n"
        "К отправке: <code>{net}</code> USDT\n"
        "Куда: {destination}\n"
        "Ожидает: {age}"
    ),
    "adm.wd.view.approvals": "Одобрения: {done}/{need} ({who})",
    "adm.wd.view.tx": "Транзакция: {link}",
    "adm.wd.view.reason": "Причина: {reason}",
    "adm.wd.status.requested": "⏳ ждёт одобрения",
    "adm.wd.status.approved": "✅ одобрена, в очереди",
    "adm.wd.status.signing": "📤 подписывается",
    "adm.wd.status.sent": "📤 отправлена",
    "adm.wd.status.confirmed": "✅ подтверждена",
    "adm.wd.status.failed": "⚠️ не выполнена",
    "adm.wd.status.cancelled": "✖️ отменена пользователем",
    "adm.wd.status.rejected": "❌ отклонена",
    "adm.wd.btn.approve": "✅ Одобрить",
    "adm.wd.btn.reject": "❌ Отклонить",
    "adm.wd.btn.no_reason": "Отклонить без причины",
    "adm.wd.approved": "Выплата #{id} одобрена и передана на отправку.",
    "adm.wd.recorded": "Одобрение #{id} учтено ({done}/{need}): подтвердить должен другой администратор.",
    "adm.wd.reason_prompt": "Отклонение выплаты #{id}: отправьте причину для пользователя (или отклоните без неё).",
    "adm.wd.reason_too_long": "Отправьте причину текстом не длиннее 500 символов (или отклоните без неё).",
    "adm.wd.rejected": "❌ Выплата #{id} отклонена, <code>{amount}</code> USDT возвращены.\nПричина: {reason}",
}
