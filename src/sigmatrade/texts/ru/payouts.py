"""Уведомления отправителя выплат (SPEC §3.7, §4.6)."""

TEXTS: dict[str, str] = {
    "po.confirmed": (
        "✅ <b>Выплата #{id} выполнена</b>\n"
        "Сумма: <code>{amount}</code> USDT, комиссия: <code>{fee}</code> USDT\n"
        "Отправлено: <code>{net}</code> USDT на <code>{address}</code>\n"
        "{link}"
    ),
    "po.tx_label": "транзакция в обозревателе",
    "po.alert.low_balance_recovered": (
        "✅ <b>Баланс кошелька выплат восстановлен</b>\n"
        "Кошелёк: <code>{address}</code>\n"
        "USDT: <code>{usdt}</code>, BNB: <code>{bnb}</code>"
    ),
    "po.alert.low_balance": (
        "⚠️ <b>Мало средств на кошельке выплат</b>\n"
        "Кошелёк: <code>{address}</code>\n"
        "USDT: <code>{usdt}</code>, BNB: <code>{bnb}</code>\n"
        "Одобренные выплаты в ожидании: <code>{waiting}</code> USDT"
    ),
    "po.alert.dlq": (
        "🚨 <b>Выплата #{id} перемещена в очередь недоставленных (DLQ)</b>\n"
        "Пользователь: <code>{user}</code>, сумма: <code>{amount}</code> USDT\n"
        "Попыток: {attempts}, вид ошибки: {kind}\n"
        "Последняя ошибка: {error}"
    ),
    "po.alert.nonce_conflict": (
        "🚨 <b>Конфликт nonce у выплаты #{id}</b>\n"
        "Nonce {nonce} кошелька <code>{address}</code> использован чужой транзакцией. "
        "Выплата перемещена в DLQ и не будет отправлена повторно автоматически: проверьте историю "
        "кошелька в обозревателе перед разрешением.\n"
        "Пользователь: <code>{user}</code>, сумма: <code>{amount}</code> USDT"
    ),
    "po.alert.stuck_replaced": (
        "⚠️ <b>Выплата #{id} зависла</b>\n"
        "Nonce {nonce} кошелька <code>{address}</code> не включён в блок {minutes} мин; "
        "транзакция заменена с ценой газа {gwei} gwei (предел {cap} gwei).\n"
        "Сумма: <code>{amount}</code> USDT"
    ),
    "po.alert.foreign": (
        "🛑 <b>Выплаты остановлены: кошелёк выплат отправил транзакции, которых нет в учёте</b>\n"
        "Кошелёк <code>{address}</code>: в сети {chain} транзакций, в учёте подписано {books}. "
        "Ручной перевод, ключ используется где-то ещё или база восстановлена из старой копии (уже "
        "оплаченная выплата была бы оплачена снова). С этого кошелька больше ничего не подписывается: его "
        "выплаты уходят в DLQ неподписанными. Проверьте его транзакции в обозревателе "
        "(<code>sigmatrade ledger reconcile</code> покажет переводы, которых нет в учёте); в DLQ решите "
        "каждую выплату, оплаченную одной из них, как оплаченную (её ссылка); затем "
        "<code>sigmatrade wallet accept-nonce {address} --yes</code> и повторите остальные."
    ),
    "po.alert.undecided": (
        "⚠️ <b>Выплата #{id}: RPC-узлы не дают её решить</b>\n"
        "{minutes} мин узлы отвечают не все или расходятся о её транзакциях "
        "(шаг: {step}; {view}). Ничего не решается, пока они не согласятся: проверьте BSC_RPC_URLS "
        "(уберите мёртвый узел) и кошелёк <code>{address}</code> в обозревателе.\n"
        "Сумма: <code>{amount}</code> USDT"
    ),
    "po.alert.stuck_capped": (
        "🚨 <b>Выплата #{id} зависла на пределе цены газа</b>\n"
        "Nonce {nonce} кошелька <code>{address}</code> не включён в блок {minutes} мин, а предел цены "
        "газа ({cap} gwei) не позволяет замену: следующие выплаты ждут за ней. Поднимите "
        "PAYOUT_MAX_GAS_PRICE_GWEI или проверьте сеть.\n"
        "Сумма: <code>{amount}</code> USDT"
    ),
    "po.alert.open_nonce": (
        "🚨 <b>Выплата #{id} завершена более ранней транзакцией</b>\n"
        "Её более новая транзакция с nonce {nonce} кошелька <code>{address}</code> не включена в блок: "
        "отмените этот nonce сейчас (0 BNB на сам кошелёк, выше цена газа), иначе пользователь получит "
        "выплату дважды.\n"
        "Сумма: <code>{amount}</code> USDT"
    ),
}
