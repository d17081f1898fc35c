"""Сообщения о начислениях (ru): сводка за прогон, завершение цикла."""

TEXTS: dict[str, str] = {
    "rewards.summary": "💰 <b>Начислены награды</b>: +{total} USDT\n{lines}",
    "rewards.summary.line": "• Депозит #{deposit_id}, уровень {level}: +{amount} USDT",
    "rewards.completed": (
        "🏁 <b>Цикл завершён</b>\n"
        "Ваш депозит уровня {level} на {amount} USDT достиг лимита: начислено <b>{cap} USDT</b>.\n"
        "Уровень 1 снова можно купить в меню «Депозиты»."
    ),
}
