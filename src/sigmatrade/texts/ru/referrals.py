"""Referral screens (ru). Same keys and placeholders as en (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "ref.btn.link": "🔗 Моя ссылка",
    "ref.btn.lists": "👥 Списки рефералов",
    "ref.btn.comms": "💰 Комиссии",
    "ref.btn.board": "🏆 Рейтинг",
    "ref.btn.share": "📤 Поделиться ссылкой",
    "ref.btn.depth": "Уровень {depth}",
    "ref.btn.depth_on": "• Уровень {depth} •",
    "ref.btn.by_count": "По рефералам",
    "ref.btn.by_earned": "По доходу",
    "ref.btn.by_count_on": "• По рефералам •",
    "ref.btn.by_earned_on": "• По доходу •",
    "ref.register_first": "Сначала зарегистрируйтесь: /start",
    # ---- home ---------------------------------------------------------------------------------
    "ref.home": (
        "👥 <b>Реферальная программа</b>\n\n"
        "Ставки комиссии: уровень 1 — {r1}%, уровень 2 — {r2}%, уровень 3 — {r3}% от депозитов ваших рефералов.\n\n"
        "{levels}\n\n"
        "Верифицированных прямых рефералов: <b>{verified_direct}</b>\n"
        "Всего заработано: <code>{earned}</code> USDT"
    ),
    "ref.home_level": "Уровень {depth}: <b>{total}</b> (верифицировано {verified}) · заработано <code>{earned}</code> USDT",
    "ref.inactive": "\n\n⛔️ Ваша реферальная ссылка неактивна.",
    # ---- link ---------------------------------------------------------------------------------
    "ref.link": (
        "🔗 <b>Ваша реферальная ссылка</b>\n\n"
        "{link}\n"
        "Код: <code>{code}</code>\n\n"
        "Как это работает: человек открывает ссылку, регистрируется и становится вашим рефералом 1-го уровня; "
        "его рефералы — ваши 2-й и 3-й уровни. Когда они подтверждают депозит, вы получаете комиссию "
        "на доступный баланс."
    ),
    "ref.link_unknown": "(ссылка появится, когда бот будет в сети)",
    "ref.share_text": "Присоединяйтесь к SigmaTrade по моей ссылке",
    # ---- lists --------------------------------------------------------------------------------
    "ref.list_title": "👥 <b>Рефералы — уровень {depth}</b> ({total})",
    "ref.list_empty": "👥 <b>Рефералы — уровень {depth}</b>\n\nПока никого нет.",
    "ref.list_item": "{n}. {name} · с {joined} · {verified} · заработано <code>{earned}</code> USDT",
    "ref.verified_yes": "✅ верифицирован",
    "ref.verified_no": "⏳ не верифицирован",
    # ---- commissions --------------------------------------------------------------------------
    "ref.comms_title": "💰 <b>Комиссии</b> ({total})",
    "ref.comms_empty": "💰 <b>Комиссии</b>\n\nКомиссий пока нет.",
    "ref.comms_item": (
        "{date} · от {name} (уровень {depth})\n{base} USDT × {rate}% = <code>{amount}</code> USDT · {status}"
    ),
    "ref.status.credited": "✅ зачислено",
    "ref.status.skipped": "⛔️ пропущено",
    "ref.skip.banned": "⛔️ пропущено: аккаунт заблокирован",
    "ref.skip.earnings_blocked": "⛔️ пропущено: начисления приостановлены на время восстановления пароля",
    # ---- leaderboard --------------------------------------------------------------------------
    "ref.board_title.count": "🏆 <b>Рейтинг — по рефералам</b>",
    "ref.board_title.earned": "🏆 <b>Рейтинг — по доходу</b>",
    "ref.board_empty": "В рейтинге пока никого нет.",
    "ref.board_row.count": "{place} {name} — {value}",
    "ref.board_row.earned": "{place} {name} — <code>{value}</code> USDT",
    "ref.board_me.count": "Ваше место: <b>#{rank}</b> из {ranked} — {value}",
    "ref.board_me.earned": "Ваше место: <b>#{rank}</b> из {ranked} — <code>{value}</code> USDT",
    "ref.board_me_none": "Вы пока не в рейтинге.",
    "ref.board_ties": "При равных значениях место общее.",
}
