"""Стол выплат и DLQ (SPEC §5.8 «Выплаты и DLQ», §4.6.9)."""

TEXTS: dict[str, str] = {
    "adm.po.btn.panel": "📤 Выплаты и DLQ",
    "adm.po.title": "📤 <b>Выплаты в работе</b>: {flights} · <b>DLQ</b>: {dlq}",
    "adm.po.none_in_flight": "Сейчас ничего не отправляется.",
    "adm.po.flight": "#{id} {kind} · {user} · <code>{net}</code> USDT · {status} · {age} · {tx}",
    "adm.po.btn.dlq": "☠️ Очередь DLQ ({n})",
    "adm.po.dlq.title": "☠️ <b>Очередь DLQ</b>: {total}",
    "adm.po.dlq.empty": "Очередь пуста.",
    "adm.po.dlq.item": (
        "#{id} {kind} · {user} · <code>{amount}</code> USDT · попыток {attempts} · {error} · {since}"
    ),
    "adm.po.item": (
        "☠️ <b>Выплата #{id}</b> ({kind}) — {status}\n"
        "Пользователь: {user}\n"
        "Сумма <code>{amount}</code>, к отправке <code>{net}</code> USDT на {destination}\n"
        "Попыток: {attempts}, вид ошибки: {error_kind}\n"
        "Последняя ошибка: {error}\n"
        "В DLQ уже {since}; nonce {nonce}; транзакция {tx}"
    ),
    "adm.po.conflict_warning": (
        "⚠️ Конфликт nonce: проверьте историю <code>{address}</code> в обозревателе перед решением. "
        "Решить эту выплату может только супер-администратор."
    ),
    "adm.po.btn.retry": "🔁 Повторить",
    "adm.po.btn.fail": "✖️ Решить: не выполнена, вернуть средства",
    "adm.po.btn.paid": "✅ Решить: оплачена (ссылка на транзакцию)",
    "adm.po.retried": "Выплата #{id} возвращена в обработку: попытка будет сейчас.",
    "adm.po.confirm_fail": (
        "Завершить выплату #{id} как <b>невыполненную</b>? <code>{amount}</code> USDT вернутся на доступный "
        "баланс пользователя, он получит уведомление."
    ),
    "adm.po.confirm_fail_refund": (
        "Завершить возврат #{id} как <b>невыполненный</b>? Нераспознанный платёж (<code>{amount}</code> USDT) "
        "вернётся в очередь разбора."
    ),
    "adm.po.failed": "✖️ Выплата #{id} завершена как невыполненная, средства возвращены.",
    "adm.po.hash_prompt": (
        "Выплата #{id}: отправьте ссылку обозревателя на транзакцию, которой она оплачена (…/tx/0x…). "
        "Она проверяется в сети: подтверждена, перевод ровно суммы к отправке с кошелька выплат на адрес назначения."
    ),
    "adm.po.bad_hash": "Отправьте ссылку обозревателя на транзакцию (…/tx/0x и 64 шестнадцатеричные цифры).",
    "adm.po.paid": "✅ Выплата #{id} завершена как оплаченная транзакцией {tx}.",
}
