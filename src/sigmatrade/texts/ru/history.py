"""История операций (ru). Те же ключи и плейсхолдеры, что в en (проверяется тестом)."""

TEXTS: dict[str, str] = {
    "hist.btn.all": "Все",
    "hist.btn.deposits": "Депозиты",
    "hist.btn.rewards": "Начисления",
    "hist.btn.referral": "Рефералы",
    "hist.btn.payouts": "Выплаты",
    "hist.btn.on": "• {label} •",
    "hist.register_first": "Сначала зарегистрируйтесь: /start",
    "hist.title": (
        "📜 <b>История</b> — {filter}\n\n"
        "Внесено: <code>{deposited}</code> USDT\n"
        "Начисления: <code>{rewards}</code> USDT\n"
        "Реферальный доход: <code>{referral}</code> USDT\n"
        "Выведено: <code>{withdrawn}</code> USDT\n"
        "В обработке: <code>{pending}</code> USDT"
    ),
    "hist.empty": "Здесь пока пусто.",
    "hist.item.deposits": "{date} · 💼 Депозит #{id}, уровень {level} · <code>{amount}</code> USDT · {status}",
    "hist.item.rewards": "{date} · 📈 Начисления, депозит #{id} (уровень {level}) × {count} · <code>+{amount}</code> USDT",
    "hist.item.referral": "{date} · 🤝 Комиссия от {name} (уровень {depth}) · <code>+{amount}</code> USDT",
    "hist.item.payouts": "{date} · 💸 {kind} #{id} · <code>-{amount}</code> USDT · {status}",
    "hist.tx": " · {link}",
    "hist.tx_label": "tx",
    "hist.kind.withdrawal": "Вывод",
    "hist.kind.auto_payout": "Автовыплата",
    "hist.kind.refund": "Возврат",
    "hist.dep.pending": "⏳ ожидает перевода",
    "hist.dep.detected": "🔎 обнаружен, подтверждается",
    "hist.dep.confirmed": "✅ активен",
    "hist.dep.completed": "🏁 цикл завершён",
    "hist.dep.expired": "⌛️ истёк",
    "hist.dep.cancelled": "✖️ отменён",
    "hist.po.requested": "⏳ ожидает одобрения",
    "hist.po.approved": "✅ одобрен, в очереди",
    "hist.po.signing": "📤 отправляется",
    "hist.po.sent": "📤 отправлен",
    "hist.po.confirmed": "✅ выполнен",
    "hist.po.cancelled": "✖️ отменён",
    "hist.po.rejected": "❌ отклонён",
    "hist.po.failed": "⚠️ не выполнен, средства возвращены",
}
