"""Reward sessions screens (ru)."""

TEXTS: dict[str, str] = {
    "adm.btn.rewards": "🎁 Сессии начислений",
    "adm.rs.title": "🎁 <b>Сессии начислений</b> ({total})",
    "adm.rs.row": "#{id} <b>{name}</b>{current}\n{window} · {status} · L1 {rate}%",
    "adm.rs.empty": "Сессий начислений пока нет.",
    "adm.rs.active": "активна",
    "adm.rs.inactive": "неактивна",
    "adm.rs.current": " ⭐ текущая",
    "adm.rs.status.current": "✅ активна, идёт сейчас",
    "adm.rs.status.active": "✅ активна",
    "adm.rs.status.inactive": "⏸ неактивна",
    "adm.rs.view": (
        "🎁 <b>Сессия начислений #{id}</b>: {name}\n"
        "Период: {window}\n"
        "Статус: {status}\n"
        "Ставки L1–L5: {rates}\n\n"
        "Начислений: {accruals}, всего {total} USDT; депозитов с начислениями: {deposits}"
    ),
    "adm.rs.level": "L{level}: {count} начисл., {total} USDT",
    "adm.rs.btn.create": "➕ Создать сессию",
    "adm.rs.btn.recalc": "🔁 Пересчитать",
    "adm.rs.btn.on": "▶️ Включить",
    "adm.rs.btn.off": "⏸ Выключить",
    "adm.rs.btn.delete": "🗑 Удалить",
    "adm.rs.btn.delete_yes": "🗑 Да, удалить",
    "adm.rs.btn.create_yes": "✅ Создать",
    "adm.rs.btn.list": "⬅️ Сессии начислений",
    "adm.rs.ask_name": "➕ Новая сессия начислений (1/4). Отправьте название (до 100 символов).",
    "adm.rs.ask_start": (
        "➕ Начало (2/4) в часовом поясе отображения: <code>ДД.ММ.ГГГГ</code> или "
        "<code>ДД.ММ.ГГГГ ЧЧ:ММ</code>."
    ),
    "adm.rs.ask_end": (
        "➕ Конец (3/4), в сессию не входит: <code>ДД.ММ.ГГГГ</code> или <code>ДД.ММ.ГГГГ ЧЧ:ММ</code>."
    ),
    "adm.rs.ask_rates": (
        "➕ Ставки (4/4): пять процентов за период начисления для уровней 1–5 через пробел или "
        "<code>|</code>; десятичный разделитель <code>.</code> или <code>,</code>.\n"
        "Пример: <code>1,117 | 1 | 0.5 | 0 | 0</code>"
    ),
    "adm.rs.summary": (
        "🎁 <b>Создать эту сессию начислений?</b>\nНазвание: {name}\nПериод: {window}\nСтавки L1–L5: {rates}"
    ),
    "adm.rs.created": "✅ Сессия создана и включена.",
    "adm.rs.activated": "✅ Сессия включена.",
    "adm.rs.deactivated": "⏸ Сессия выключена.",
    "adm.rs.deleted": "🗑 Сессия #{id} удалена.",
    "adm.rs.delete_confirm": "🗑 Удалить сессию начислений #{id} ({name})? Это необратимо.",
    "adm.rs.recalculated": "🔁 Пересчёт: добавлено начислений {count}, всего {total} USDT.",
    "adm.rs.recalc_disabled": (
        "ℹ️ Начисления выключены (настройка <code>reward.enabled</code>): ничего не начисляется, пока их не включат; "
        "пропущенные периоды будут дозачислены."
    ),
    "adm.rs.recalc_inactive": (
        "ℹ️ Сессия выключена: по ней ничего не начисляется, пока её не включат; "
        "пропущенные периоды будут дозачислены."
    ),
    "adm.rs.err.name_empty": "⚠️ Название пустое.",
    "adm.rs.err.name_too_long": "⚠️ Название длиннее 100 символов.",
    "adm.rs.err.moment_format": "⚠️ Это не дата: используйте ДД.ММ.ГГГГ или ДД.ММ.ГГГГ ЧЧ:ММ.",
    "adm.rs.err.moment_invalid": "⚠️ Такой даты или времени не существует.",
    "adm.rs.err.moment_nonexistent": "⚠️ Такого местного времени нет (перевод часов). Выберите другое.",
    "adm.rs.err.moment_ambiguous": "⚠️ Это местное время бывает дважды (перевод часов). Выберите другое.",
    "adm.rs.err.window_order": "⚠️ Конец должен быть позже начала.",
    "adm.rs.err.rates_count": "⚠️ Нужно ровно пять ставок, по одной на уровень.",
    "adm.rs.err.rate_format": "⚠️ Ставка не число (пример: 1,117 или 0.5).",
    "adm.rs.err.rate_too_large": "⚠️ Ставка больше 100 %.",
    "adm.rs.err.rate_places": "⚠️ В ставке больше 4 знаков после запятой.",
    "adm.rs.err.rates_all_zero": "⚠️ Хотя бы одна ставка должна быть больше нуля.",
    "adm.rs.err.expired": "⚠️ Ответы мастера потеряны; начните заново.",
    "adm.rs.err.overlap": "⚠️ Пересекается с активной сессией #{id} ({name}, {window}). Ничего не изменено.",
    "adm.rs.err.overlap_alert": "Пересекается с активной сессией #{id}. Ничего не изменено.",
    "adm.rs.err.has_accruals": "⚠️ У сессии есть начисления: удалить нельзя, только выключить.",
}
