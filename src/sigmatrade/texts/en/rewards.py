"""Reward accrual messages (en): per-run summary, cycle completion."""

TEXTS: dict[str, str] = {
    "rewards.summary": "💰 <b>Rewards credited</b>: +{total} USDT\n{lines}",
    "rewards.summary.line": "• Level {level} deposit #{deposit_id}: +{amount} USDT",
    "rewards.completed": (
        "🏁 <b>Cycle completed</b>\n"
        "Your level {level} deposit of {amount} USDT reached its cap: <b>{cap} USDT</b> accrued.\n"
        "You can buy level 1 again from the Deposits menu."
    ),
}
