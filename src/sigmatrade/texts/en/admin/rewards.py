"""Reward sessions screens (en)."""

TEXTS: dict[str, str] = {
    "adm.btn.rewards": "🎁 Reward sessions",
    "adm.rs.title": "🎁 <b>Reward sessions</b> ({total})",
    "adm.rs.row": "#{id} <b>{name}</b>{current}\n{window} · {status} · L1 {rate}%",
    "adm.rs.empty": "No reward sessions yet.",
    "adm.rs.active": "active",
    "adm.rs.inactive": "inactive",
    "adm.rs.current": " ⭐ current",
    "adm.rs.status.current": "✅ active, running now",
    "adm.rs.status.active": "✅ active",
    "adm.rs.status.inactive": "⏸ inactive",
    "adm.rs.view": (
        "🎁 <b>Reward session #{id}</b>: {name}\n"
        "Window: {window}\n"
        "Status: {status}\n"
        "Rates L1–L5: {rates}\n\n"
        "Accruals: {accruals}, total {total} USDT; deposits accrued: {deposits}"
    ),
    "adm.rs.level": "L{level}: {count} accruals, {total} USDT",
    "adm.rs.btn.create": "➕ Create session",
    "adm.rs.btn.recalc": "🔁 Recalculate",
    "adm.rs.btn.on": "▶️ Activate",
    "adm.rs.btn.off": "⏸ Deactivate",
    "adm.rs.btn.delete": "🗑 Delete",
    "adm.rs.btn.delete_yes": "🗑 Yes, delete",
    "adm.rs.btn.create_yes": "✅ Create",
    "adm.rs.btn.list": "⬅️ Reward sessions",
    "adm.rs.ask_name": "➕ New reward session (1/4). Send its name (up to 100 characters).",
    "adm.rs.ask_start": (
        "➕ Start (2/4), in the display timezone: <code>DD.MM.YYYY</code> or <code>DD.MM.YYYY HH:MM</code>."
    ),
    "adm.rs.ask_end": (
        "➕ End (3/4), not included in the session: <code>DD.MM.YYYY</code> or <code>DD.MM.YYYY HH:MM</code>."
    ),
    "adm.rs.ask_rates": (
        "➕ Rates (4/4): five percents per accrual period for levels 1–5, separated by spaces or "
        "<code>|</code>; <code>.</code> or <code>,</code> as the decimal mark.\n"
        "Example: <code>1.117 | 1 | 0,5 | 0 | 0</code>"
    ),
    "adm.rs.summary": (
        "🎁 <b>Create this reward session?</b>\nName: {name}\nWindow: {window}\nRates L1–L5: {rates}"
    ),
    "adm.rs.created": "✅ Session created and active.",
    "adm.rs.activated": "✅ Session activated.",
    "adm.rs.deactivated": "⏸ Session deactivated.",
    "adm.rs.deleted": "🗑 Session #{id} deleted.",
    "adm.rs.delete_confirm": "🗑 Delete reward session #{id} ({name})? This cannot be undone.",
    "adm.rs.recalculated": "🔁 Recalculated: {count} accruals added, {total} USDT in total.",
    "adm.rs.recalc_disabled": (
        "ℹ️ Rewards are turned off (setting <code>reward.enabled</code>): nothing accrues until they are on; "
        "missed periods are back-filled then."
    ),
    "adm.rs.recalc_inactive": (
        "ℹ️ The session is inactive: it accrues nothing until it is activated; "
        "missed periods are back-filled then."
    ),
    "adm.rs.err.name_empty": "⚠️ The name is empty.",
    "adm.rs.err.name_too_long": "⚠️ The name is longer than 100 characters.",
    "adm.rs.err.moment_format": "⚠️ Not a date: use DD.MM.YYYY or DD.MM.YYYY HH:MM.",
    "adm.rs.err.moment_invalid": "⚠️ No such date or time.",
    "adm.rs.err.moment_nonexistent": "⚠️ That local time does not exist (clock change). Pick another time.",
    "adm.rs.err.moment_ambiguous": "⚠️ That local time occurs twice (clock change). Pick another time.",
    "adm.rs.err.window_order": "⚠️ The end must be after the start.",
    "adm.rs.err.rates_count": "⚠️ Send exactly five rates, one per level.",
    "adm.rs.err.rate_format": "⚠️ A rate is not a number (example: 1.117 or 0,5).",
    "adm.rs.err.rate_too_large": "⚠️ A rate is above 100 %.",
    "adm.rs.err.rate_places": "⚠️ A rate has more than 4 decimals.",
    "adm.rs.err.rates_all_zero": "⚠️ At least one rate must be above zero.",
    "adm.rs.err.expired": "⚠️ The wizard's answers were lost; start again.",
    "adm.rs.err.overlap": "⚠️ Overlaps active session #{id} ({name}, {window}). Nothing was changed.",
    "adm.rs.err.overlap_alert": "Overlaps active session #{id}. Nothing was changed.",
    "adm.rs.err.has_accruals": "⚠️ This session has accruals: it cannot be deleted, only deactivated.",
}
