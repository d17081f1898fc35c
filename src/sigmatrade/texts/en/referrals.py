"""Referral screens (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "ref.btn.link": "🔗 My link",
    "ref.btn.lists": "👥 Referral lists",
    "ref.btn.comms": "💰 Commissions",
    "ref.btn.board": "🏆 Leaderboard",
    "ref.btn.share": "📤 Share the link",
    "ref.btn.depth": "Level {depth}",
    "ref.btn.depth_on": "• Level {depth} •",
    "ref.btn.by_count": "By referrals",
    "ref.btn.by_earned": "By earnings",
    "ref.btn.by_count_on": "• By referrals •",
    "ref.btn.by_earned_on": "• By earnings •",
    "ref.register_first": "Please register first: /start",
    # ---- home ---------------------------------------------------------------------------------
    "ref.home": (
        "👥 <b>Referral program</b>\n\n"
        "Commission rates: level 1 — {r1}%, level 2 — {r2}%, level 3 — {r3}% of your referrals' deposits.\n\n"
        "{levels}\n\n"
        "Verified direct referrals: <b>{verified_direct}</b>\n"
        "Total earned: <code>{earned}</code> USDT"
    ),
    "ref.home_level": "Level {depth}: <b>{total}</b> (verified {verified}) · earned <code>{earned}</code> USDT",
    "ref.inactive": "\n\n⛔️ Your referral link is inactive.",
    # ---- link ---------------------------------------------------------------------------------
    "ref.link": (
        "🔗 <b>Your referral link</b>\n\n"
        "{link}\n"
        "Code: <code>{code}</code>\n\n"
        "How it works: a person opens the link, registers, and becomes your level-1 referral; "
        "their referrals are your levels 2 and 3. When they confirm a deposit you receive a commission "
        "on your available balance."
    ),
    "ref.link_unknown": "(the link appears once the bot is online)",
    "ref.share_text": "Join SigmaTrade with my invite link",
    # ---- lists --------------------------------------------------------------------------------
    "ref.list_title": "👥 <b>Referrals — level {depth}</b> ({total})",
    "ref.list_empty": "👥 <b>Referrals — level {depth}</b>\n\nNobody here yet.",
    "ref.list_item": "{n}. {name} · joined {joined} · {verified} · earned <code>{earned}</code> USDT",
    "ref.verified_yes": "✅ verified",
    "ref.verified_no": "⏳ not verified",
    # ---- commissions --------------------------------------------------------------------------
    "ref.comms_title": "💰 <b>Commissions</b> ({total})",
    "ref.comms_empty": "💰 <b>Commissions</b>\n\nNo commissions yet.",
    "ref.comms_item": (
        "{date} · from {name} (level {depth})\n{base} USDT × {rate}% = <code>{amount}</code> USDT · {status}"
    ),
    "ref.status.credited": "✅ credited",
    "ref.status.skipped": "⛔️ skipped",
    "ref.skip.banned": "⛔️ skipped: account terminated",
    "ref.skip.earnings_blocked": "⛔️ skipped: earnings blocked during password recovery",
    # ---- leaderboard --------------------------------------------------------------------------
    "ref.board_title.count": "🏆 <b>Leaderboard — by referrals</b>",
    "ref.board_title.earned": "🏆 <b>Leaderboard — by earnings</b>",
    "ref.board_empty": "Nobody is on the board yet.",
    "ref.board_row.count": "{place} {name} — {value}",
    "ref.board_row.earned": "{place} {name} — <code>{value}</code> USDT",
    "ref.board_me.count": "Your rank: <b>#{rank}</b> of {ranked} — {value}",
    "ref.board_me.earned": "Your rank: <b>#{rank}</b> of {ranked} — <code>{value}</code> USDT",
    "ref.board_me_none": "You are not ranked yet.",
    "ref.board_ties": "Equal values share a place.",
}
