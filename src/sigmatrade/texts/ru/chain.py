"""Blockchain runtime alerts for admins (ru): RPC endpoints, token check, thresholds."""

TEXTS: dict[str, str] = {
    "chain.alert.reconcile": (
        "🚨 <b>Учёт не сходится с блокчейном</b>: расхождений {count} в блоках {start}..{end}.\n"
        "{lines}\n"
        "Ещё {more} в журнале. Запустите <code>sigmatrade ledger reconcile</code>."
    ),
    "chain.alert.reconcile_line": "• {side} {kind}: <code>{tx}</code> блокчейн {chain} / учёт {books}",
    "chain.alert.all_down": (
        "🚨 <b>Все RPC-узлы недоступны</b> ({endpoints}).\n"
        "Обнаружение депозитов и выплаты приостановлены, пока хотя бы один узел не ответит."
    ),
    "chain.alert.recovered": "✅ RPC-узел <b>{endpoint}</b> снова отвечает: депозиты и выплаты возобновлены.",
    "chain.alert.wrong_chain": (
        "🚨 RPC-узел <b>{endpoint}</b> сообщает chain id <code>{reported}</code> "
        "вместо <code>{expected}</code>: он не используется."
    ),
    "chain.alert.decimals_mismatch": (
        "🚨 Контракт USDT <code>{address}</code> сообщает <b>{actual}</b> знаков после запятой, "
        "а USDT_DECIMALS = <b>{expected}</b>.\n"
        "Наблюдение за депозитами и отправка выплат отключены: исправьте настройку и перезапустите бота."
    ),
    "chain.alert.decimals_unverified": (
        "⚠️ Не удалось прочитать <code>decimals()</code> контракта USDT <code>{address}</code> ({error}).\n"
        "Наблюдение за депозитами и отправка выплат отключены, пока проверка не пройдёт."
    ),
    "chain.alert.enabled": (
        "✅ Контракт USDT проверен ({decimals} знаков): наблюдение за депозитами и отправка выплат включены."
    ),
    "chain.alert.rpc_success_rate": (
        "⚠️ RPC-узел <b>{endpoint}</b>: успешных ответов {rate}% из {requests} запросов за последние 5 минут."
    ),
    "chain.alert.rpc_latency": (
        "⚠️ RPC-узел <b>{endpoint}</b>: медианная задержка {latency_ms} мс за последние 5 минут."
    ),
    "chain.alert.rpc_queue": "⚠️ RPC-узел <b>{endpoint}</b>: {queued} запросов ждут в очереди ограничителя.",
    "chain.alert.rpc_utilisation": (
        "⚠️ RPC-узел <b>{endpoint}</b>: занято {percent}% допустимых параллельных запросов "
        "за последние 5 минут (возможно, нужен больший CHAIN_RPC_PLAN)."
    ),
}
