"""Общие слова экранов денежного стола (выводы, выплаты и DLQ, нераспознанные, запросы финпароля)."""

TEXTS: dict[str, str] = {
    "adm.desk.age.dh": "{d} д {h} ч",
    "adm.desk.age.hm": "{h} ч {m} мин",
    "adm.desk.age.m": "{m} мин",
    "adm.desk.page": "{page}/{pages}",
    "adm.desk.btn.back": "‹ Назад",
    "adm.desk.btn.cancel": "Отмена",
    "adm.desk.btn.panel": "🏠 Панель",
    "adm.desk.btn.confirm": "✅ Подтвердить",
    "adm.desk.flag.verified": "верифицирован",
    "adm.desk.flag.banned": "заблокирован",
    "adm.desk.flag.blocked": "начисления заблокированы",
    "adm.desk.kind.withdrawal": "вывод",
    "adm.desk.kind.auto_payout": "автовыплата",
    "adm.desk.kind.refund": "возврат",
    "adm.desk.refused.not_found": "Не найдено (возможно, уже удалено).",
    "adm.desk.refused.already_processed": "Уже обработано другим администратором.",
    "adm.desk.refused.same_admin": "Вы уже одобрили: подтвердить должен другой администратор.",
    "adm.desk.refused.not_rejectable": "Отклонить уже нельзя (отправляется или завершено).",
    "adm.desk.refused.in_dlq": "Выплата в очереди DLQ: решите её там (Выплаты и DLQ).",
    "adm.desk.refused.not_in_dlq": "Эта выплата уже не в очереди DLQ.",
    "adm.desk.refused.nonce_bound": "Её транзакция ещё может попасть в блок: сначала решите вопрос в сети.",
    "adm.desk.refused.super_only": "Конфликт nonce может разрешить только супер-администратор.",
    "adm.desk.refused.bad_tx": "Эта транзакция в сети не является переводом этой выплаты.",
    "adm.desk.refused.paid_on_chain": (
        "Одна из её транзакций прошла в сети: выплата сделана. Решите её как выплаченную по этой ссылке."
    ),
    "adm.desk.refused.chain_unavailable": "Сеть сейчас недоступна, попробуйте позже.",
}
