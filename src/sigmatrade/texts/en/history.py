"""Transaction history (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    "hist.btn.all": "All",
    "hist.btn.deposits": "Deposits",
    "hist.btn.rewards": "Rewards",
    "hist.btn.referral": "Referral",
    "hist.btn.payouts": "Payouts",
    "hist.btn.on": "• {label} •",
    "hist.register_first": "Please register first: /start",
    "hist.title": (
        "📜 <b>History</b> — {filter}\n\n"
        "Deposited: <code>{deposited}</code> USDT\n"
        "Rewards: <code>{rewards}</code> USDT\n"
        "Referral income: <code>{referral}</code> USDT\n"
        "Withdrawn: <code>{withdrawn}</code> USDT\n"
        "Pending payouts: <code>{pending}</code> USDT"
    ),
    "hist.empty": "Nothing here yet.",
    "hist.item.deposits": "{date} · 💼 Deposit #{id}, level {level} · <code>{amount}</code> USDT · {status}",
    "hist.item.rewards": "{date} · 📈 Rewards, deposit #{id} (level {level}) × {count} · <code>+{amount}</code> USDT",
    "hist.item.referral": "{date} · 🤝 Commission from {name} (level {depth}) · <code>+{amount}</code> USDT",
    "hist.item.payouts": "{date} · 💸 {kind} #{id} · <code>-{amount}</code> USDT · {status}",
    "hist.tx": " · {link}",
    "hist.tx_label": "tx",
    "hist.kind.withdrawal": "Withdrawal",
    "hist.kind.auto_payout": "Automatic payout",
    "hist.kind.refund": "Refund",
    "hist.dep.pending": "⏳ waiting for transfer",
    "hist.dep.detected": "🔎 detected, confirming",
    "hist.dep.confirmed": "✅ active",
    "hist.dep.completed": "🏁 cycle completed",
    "hist.dep.expired": "⌛️ expired",
    "hist.dep.cancelled": "✖️ cancelled",
    "hist.po.requested": "⏳ awaiting approval",
    "hist.po.approved": "✅ approved, queued",
    "hist.po.signing": "📤 sending",
    "hist.po.sent": "📤 sent",
    "hist.po.confirmed": "✅ completed",
    "hist.po.cancelled": "✖️ cancelled",
    "hist.po.rejected": "❌ rejected",
    "hist.po.failed": "⚠️ failed, funds returned",
}
