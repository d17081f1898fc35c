"""Reward sessions screens through the real bot (SPEC §5.8, §5.9; admin halves of scenarios 27–32).

Sessions and deposits are seeded as the services write them; accruals come from the real calculator
(Recalculate, or ``run_once``); every screen and refusal is driven over the Bot API emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import AuditLog, RewardAccrual, RewardSession
from sigmatrade.domain.enums import AdminRole
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.emulator.client import UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from sigmatrade.services.rewards.run import run_once
from tests.conftest import REDIS_URL
from tests.e2e.admin.helpers import admin_client, login, press, row_counts, tap
from tests.factories import make_user
from tests.rewards.builders import make_deposit, make_session

DAY = timedelta(days=1)
RIGHTS = "Insufficient rights"


@pytest.fixture
async def msk(db_url: str) -> AsyncIterator[Harness]:
    """The real bot with a display timezone east of UTC (Moscow, UTC+3, no clock changes)."""
    h = Harness(db_url, redis_url=REDIS_URL, display_timezone="Europe/Moscow")
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
    rejected = h.emulator.rejected()
    assert not rejected, f"the emulator refused requests: {[(r.method, r.response) for r in rejected]}"


async def _sessions(h: Harness) -> list[RewardSession]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(RewardSession).order_by(RewardSession.id))).all())


async def _accruals(h: Harness) -> int:
    async with h.rt.db.session() as session:
        return int(await session.scalar(select(func.count(RewardAccrual.id))) or 0)


async def _set(h: Harness, key: str, value: object) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


async def _check(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


def rs(act: str = "", session_id: int = 0, page: int = 0) -> str:
    return Adm(sec="rs", act=act, id=session_id, page=page).pack()


async def test_view_recalculate_delete_and_role_refusals(harness: Harness) -> None:
    """Scenario 32 (admin half) and the session view with real accruals per level."""
    h = harness
    start = clock.now().replace(microsecond=0)
    async with h.rt.db.transaction() as session:
        row = await make_session(
            session,
            starts_at=start,
            ends_at=start + 30 * DAY,
            rates=("1.117", "2", "1", "1", "1"),
            name="March",
        )
        a = await make_user(session, telegram_id=8101)
        b = await make_user(session, telegram_id=8102)
        await make_deposit(session, a, confirmed_at=start)
        await make_deposit(session, b, confirmed_at=start, level=2, amount=Decimal(50))
    sid = row.id
    clock.travel(2 * DAY + timedelta(seconds=1))

    boss = await admin_client(h, 8001)
    ex = await tap(boss, "🎁 Reward sessions")
    assert "Reward sessions</b> (1)" in ex.last.source_html and f"#{sid} March" in ex.text
    assert "⭐ current" in ex.text and "L1 1.117%" in ex.text and "➕ Create session" in ex.buttons()
    ex = await press(boss, rs("view", sid))
    assert "Accruals: 0, total 0.00 USDT; deposits accrued: 0" in ex.text
    assert "running now" in ex.text and "1.117% | 2% | 1% | 1% | 1%" in ex.text

    # Recalculate: reports what it added; a second run adds nothing.
    ex = await tap(boss, "🔁 Recalculate")
    assert "Recalculated: 4 accruals added, 2.2234 USDT in total." in ex.text, ex.text
    assert "Accruals: 4, total 2.2234 USDT; deposits accrued: 2" in ex.text
    assert "L1: 2 accruals, 0.2234 USDT" in ex.text and "L2: 2 accruals, 2.00 USDT" in ex.text
    assert "L3: 0 accruals, 0.00 USDT" in ex.text
    before = await row_counts(h)
    ex = await tap(boss, "🔁 Recalculate")
    assert "Recalculated: 0 accruals added, 0.00 USDT in total." in ex.text
    assert "Accruals: 4, total 2.2234 USDT" in ex.text
    after = await row_counts(h)
    assert after == {**before, "audit_log": before["audit_log"] + 1}  # only the audit row

    # Delete is refused while accruals exist: nothing changes.
    ex = await tap(boss, "🗑 Delete")
    assert "Delete reward session" in ex.text and "March" in ex.text
    before = await row_counts(h)
    ex = await tap(boss, "🗑 Yes, delete")
    assert ex.answer is not None and "cannot be deleted" in ex.answer["text"]
    assert "cannot be deleted, only deactivated" in ex.text
    assert await row_counts(h) == before and len(await _sessions(h)) == 1

    # Deactivate, then activate again.
    ex = await tap(boss, "⏸ Deactivate")
    assert "Session deactivated" in ex.text and "⏸ inactive" in ex.text and "▶️ Activate" in ex.buttons()
    ex = await tap(boss, "▶️ Activate")
    assert "Session activated" in ex.text and "running now" in ex.text

    # A plain admin sees the list and the numbers, no actions; forged actions are refused.
    clock.travel(DAY)  # one more period is due: a refused recalculation must not accrue it
    plain = await admin_client(h, 8002, role=AdminRole.ADMIN)
    ex = await tap(plain, "🎁 Reward sessions")
    assert "➕ Create session" not in ex.buttons()
    ex = await press(plain, rs("view", sid))
    assert "Accruals: 4, total 2.2234 USDT; deposits accrued: 2" in ex.text
    assert ex.buttons() == ["⬅️ Reward sessions"]
    extended = await admin_client(h, 8003, role=AdminRole.EXTENDED_ADMIN)
    before = await row_counts(h)
    for client in (plain, extended):
        for data in (rs("create"), rs("recalc", sid), rs("off", sid), rs("del", sid), rs("del_ok", sid)):
            ex = await press(client, data)
            assert ex.answer is not None and RIGHTS in ex.answer["text"], data
            assert ex.screens == []
    assert await row_counts(h) == before
    assert [s.is_active for s in await _sessions(h)] == [True]

    async with h.rt.db.session() as session:
        actions = (
            await session.scalars(
                select(AuditLog.action).where(AuditLog.target_type == "reward_session").order_by(AuditLog.id)
            )
        ).all()
    assert list(actions) == [
        "reward_session_recalculated",
        "reward_session_recalculated",
        "reward_session_deactivated",
        "reward_session_activated",
    ]
    await _check(h)


async def _wizard(client: UserClient, *answers: str) -> None:
    await press(client, rs("create"))
    for answer in answers:
        await client.send(answer)


async def test_create_wizard_en_display_timezone_errors_and_overlap(msk: Harness) -> None:
    """Scenario 30 (admin half): the wizard in the display timezone; bad input and overlaps refused."""
    h = msk
    boss = await admin_client(h, 8201)
    await tap(boss, "🎁 Reward sessions")
    ex = await tap(boss, "➕ Create session")
    assert "Send its name" in ex.text
    before = await row_counts(h)
    ex = await boss.send("   ")
    assert "The name is empty" in ex.text
    ex = await boss.send("Spring <b>promo</b>")
    assert "Start (2/4)" in ex.text
    for bad, why in (
        ("tomorrow", "Not a date"),
        ("31.02.2027", "No such date"),
        ("01.03.2027 25:00", "No such date"),
    ):
        ex = await boss.send(bad)
        assert why in ex.text and "Start (2/4)" in ex.text, (bad, ex.text)
    ex = await boss.send("01.03.2027 10:00")
    assert "End (3/4)" in ex.text
    ex = await boss.send("01.03.2027 09:59")
    assert "The end must be after the start" in ex.text
    ex = await boss.send("2027-04-01")
    assert "Rates (4/4)" in ex.text
    for bad, why in (
        ("1 2 3", "exactly five rates"),
        ("1 2 x 4 5", "not a number"),
        ("1 2 -3 4 5", "not a number"),
        ("0 0 0 0 0", "At least one rate"),
        ("101 0 0 0 0", "above 100"),
        ("1.12345 0 0 0 0", "more than 4 decimals"),
    ):
        ex = await boss.send(bad)
        assert why in ex.text and "Rates (4/4)" in ex.text, (bad, ex.text)
    assert await row_counts(h) == before and await _sessions(h) == []
    ex = await boss.send("1,117 | 0.5|0 | 0 |0")
    assert "Create this reward session?" in ex.text
    assert "Spring &lt;b&gt;promo&lt;/b&gt;" in ex.last.source_html  # the name is escaped
    assert "2027-03-01 10:00 → 2027-04-01 00:00" in ex.text  # Moscow time, as typed
    assert "1.117% | 0.5% | 0% | 0% | 0%" in ex.text
    assert await _sessions(h) == []
    ex = await tap(boss, "✅ Create")
    assert "Session created and active" in ex.text and "Spring <b>promo</b>" in ex.text
    (row,) = await _sessions(h)
    assert row.starts_at.astimezone(UTC) == datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
    assert row.ends_at.astimezone(UTC) == datetime(2027, 3, 31, 21, 0, tzinfo=UTC)
    assert [row.rate_for(n) for n in range(1, 6)] == [Decimal("1.117"), Decimal("0.5"), 0, 0, 0]
    assert row.is_active and row.name == "Spring <b>promo</b>"
    # Pressing Create again creates nothing.
    ex = await press(boss, rs("create_ok"))
    assert ex.answer is not None and ex.answer.get("show_alert") and len(await _sessions(h)) == 1

    # An overlapping window: the summary says why, nothing is created.
    await _wizard(boss, "Overlap", "31.03.2027 23:00", "10.04.2027")
    ex = await boss.send("1 1 1 1 1")
    assert "Create this reward session?" in ex.text
    before = await row_counts(h)
    ex = await tap(boss, "✅ Create")
    assert ex.answer is not None and f"Overlaps active session #{row.id}" in ex.answer["text"]
    assert f"Overlaps active session #{row.id} (Spring <b>promo</b>" in ex.text
    assert "Nothing was changed" in ex.text
    assert await row_counts(h) == before and len(await _sessions(h)) == 1
    # Adjacent (half-open windows): allowed.
    await _wizard(boss, "April", "01.04.2027", "01.05.2027")
    await boss.send("2 | 0 | 0 | 0 | 0")
    ex = await tap(boss, "✅ Create")
    assert "Session created and active" in ex.text
    april = (await _sessions(h))[-1]
    assert april.starts_at.astimezone(UTC) == row.ends_at.astimezone(UTC)

    # Toggle: deactivate March, create an overlapping one, re-activating March is then refused.
    ex = await press(boss, rs("off", row.id))
    assert "Session deactivated" in ex.text
    await _wizard(boss, "Mid", "15.03.2027", "20.03.2027")
    await boss.send("1 0 0 0 0")
    ex = await tap(boss, "✅ Create")
    assert "Session created and active" in ex.text
    mid = (await _sessions(h))[-1]
    before = await row_counts(h)
    ex = await press(boss, rs("on", row.id))
    assert ex.answer is not None and f"Overlaps active session #{mid.id}" in ex.answer["text"]
    assert "⏸ inactive" in ex.text
    assert await row_counts(h) == before
    # Delete without accruals: allowed; the second press finds nothing.
    await press(boss, rs("del", mid.id))
    ex = await tap(boss, "🗑 Yes, delete")
    assert f"Session #{mid.id} deleted" in ex.text
    ex = await press(boss, rs("del_ok", mid.id))
    assert ex.answer is not None and ex.answer.get("show_alert")
    assert [s.id for s in await _sessions(h)] == [row.id, april.id]
    ex = await press(boss, rs("on", row.id))
    assert "Session activated" in ex.text
    assert await _accruals(h) == 0


async def test_create_wizard_ru_with_commas_and_spaces(harness: Harness) -> None:
    h = harness
    boss = await admin_client(h, 8301, language_code="ru")
    ex = await tap(boss, "🎁 Сессии начислений")
    assert "Сессий начислений пока нет" in ex.text
    await tap(boss, "➕ Создать сессию")
    ex = await boss.send("Весна")
    assert "Начало (2/4)" in ex.text
    ex = await boss.send("завтра")
    assert "Это не дата" in ex.text
    await boss.send("01.05.2027")
    ex = await boss.send("01.06.2027 12:30")
    assert "Ставки (4/4)" in ex.text
    ex = await boss.send("2,5 1 0,25 0 0")
    assert "Создать эту сессию начислений?" in ex.text
    assert "01.05.2027 00:00 → 01.06.2027 12:30" in ex.text and "2.5% | 1% | 0.25% | 0% | 0%" in ex.text
    ex = await tap(boss, "✅ Создать")
    assert "Сессия создана и включена" in ex.text and "Начислений: 0" in ex.text
    (row,) = await _sessions(h)
    assert row.starts_at.astimezone(UTC) == datetime(2027, 5, 1, tzinfo=UTC)
    assert [row.rate_for(n) for n in range(1, 6)] == [Decimal("2.5"), 1, Decimal("0.25"), 0, 0]
    # Cancel leaves the wizard: the next text is not taken as a name.
    await tap(boss, "⬅️ Сессии начислений")
    await tap(boss, "➕ Создать сессию")
    ex = await tap(boss, "✖️ Отмена")
    assert "Сессии начислений</b> (1)" in ex.last.source_html
    await _check(h)


async def test_recalculate_matches_the_calculator_run(harness: Harness) -> None:
    """A recalculation after the job already ran adds nothing; the view counts the job's accruals."""
    h = harness
    start = clock.now().replace(microsecond=0)
    async with h.rt.db.transaction() as session:
        row = await make_session(session, starts_at=start, ends_at=start + 10 * DAY)
        user = await make_user(session, telegram_id=8401)
        await make_deposit(session, user, confirmed_at=start)
    clock.travel(3 * DAY + timedelta(seconds=1))
    done = await run_once(h.rt)
    assert done.accruals == 3
    boss = await admin_client(h, 8402)
    ex = await press(boss, rs("view", row.id))
    assert "Accruals: 3, total 0.3351 USDT; deposits accrued: 1" in ex.text
    ex = await tap(boss, "🔁 Recalculate")
    assert "Recalculated: 0 accruals added, 0.00 USDT in total." in ex.text
    assert "turned off" not in ex.text and "inactive:" not in ex.text
    assert await _accruals(h) == 3
    # Rewards turned off: nothing accrues and the admin is told why; back-filled once on again.
    await _set(h, "reward.enabled", False)
    clock.travel(DAY)
    await login(boss)  # a day later the admin session has expired
    await press(boss, rs("view", row.id))
    ex = await tap(boss, "🔁 Recalculate")
    assert "0 accruals added" in ex.text and "Rewards are turned off" in ex.text
    await _set(h, "reward.enabled", True)
    ex = await tap(boss, "⏸ Deactivate")
    ex = await tap(boss, "🔁 Recalculate")
    assert "0 accruals added" in ex.text and "The session is inactive" in ex.text
    ex = await tap(boss, "▶️ Activate")
    ex = await tap(boss, "🔁 Recalculate")
    assert "Recalculated: 1 accruals added, 0.1117 USDT in total." in ex.text
    assert await _accruals(h) == 4
    await _check(h)


async def test_list_five_per_page_newest_first_and_unknown_ids(harness: Harness) -> None:
    h = harness
    start = datetime(2027, 1, 1, tzinfo=UTC)
    async with h.rt.db.transaction() as session:
        for n in range(7):
            await make_session(
                session,
                starts_at=start + n * 10 * DAY,
                ends_at=start + (n + 1) * 10 * DAY,
                name=f"S{n}",
                active=n % 2 == 0,
            )
    viewer = await admin_client(h, 8501, role=AdminRole.ADMIN)
    ex = await tap(viewer, "🎁 Reward sessions")
    assert "Reward sessions</b> (7)" in ex.last.source_html
    names = [b.split(" ", 1)[1] for b in ex.buttons() if b.startswith("#")]
    assert names == ["S6", "S5", "S4", "S3", "S2"]
    assert "⭐" not in ex.text  # no session holds "now"
    ex = await press(viewer, rs("list", page=2))
    assert [b.split(" ", 1)[1] for b in ex.buttons() if b.startswith("#")] == ["S1", "S0"]
    assert "inactive" in ex.text and "active" in ex.text
    # A session that does not exist (deleted meanwhile, or a forged id): the outdated-button answer.
    ex = await press(viewer, rs("view", 999_999))
    assert ex.answer is not None and ex.answer.get("show_alert") and ex.screens == []
