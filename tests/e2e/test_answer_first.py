"""Navigation buttons are answered before their screen is built (bot/answers.py): the button's spinner
stops at once. Buttons that may alert a guest are answered first only for registered users."""

from __future__ import annotations

from sigmatrade.bot.callbacks import Nav
from sigmatrade.sandbox.emulator.client import Exchange
from sigmatrade.sandbox.harness import Harness
from tests.factories import make_user


def kinds(ex: Exchange) -> list[str]:
    return [e.kind for e in ex.events if e.kind in ("answer", "edit", "send")]


async def test_navigation_is_answered_before_the_screen(harness: Harness) -> None:
    guest = harness.user(3101, "Guest", language_code="en")
    await guest.send("/start")
    for to in ("help", "language", "menu", "faq", "instructions"):
        ex = await guest.press_data(Nav(to=to).pack())
        assert kinds(ex) == ["answer", "edit"], (to, ex.events)
        assert ex.answer is not None and not ex.answer.get("text")

    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=3102, language="en")
    member = harness.user(3102, "Member", language_code="en")
    await member.send("/start")
    for to in ("profile", "settings", "history", "deposits", "menu"):
        ex = await member.press_data(Nav(to=to).pack())
        assert kinds(ex) == ["answer", "edit"], (to, ex.events)


async def test_a_guest_still_gets_the_alert_of_a_members_button(harness: Harness) -> None:
    guest = harness.user(3103, "Guest", language_code="en")
    await guest.send("/start")
    for to in ("profile", "history", "deposits"):
        ex = await guest.press_data(Nav(to=to).pack())
        answers = [e.data for e in ex.events if e.kind == "answer"]
        assert len(answers) == 1 and answers[0].get("show_alert") and answers[0].get("text"), (to, answers)


async def test_a_second_answer_in_one_update_is_not_sent() -> None:
    """Telegram refuses a second answer: the tracker drops it (and logs the bug) instead of failing."""
    from aiogram.methods import AnswerCallbackQuery

    from sigmatrade.bot.answers import AnswerTracker, start_update

    sent: list[str | None] = []

    async def make_request(_bot: object, method: AnswerCallbackQuery) -> bool:
        sent.append(method.text)
        return True

    tracker = AnswerTracker()
    start_update()
    await tracker(make_request, None, AnswerCallbackQuery(callback_query_id="q1"))  # type: ignore[arg-type]
    await tracker(
        make_request, None, AnswerCallbackQuery(callback_query_id="q1", text="late", show_alert=True)
    )  # type: ignore[arg-type]
    await tracker(make_request, None, AnswerCallbackQuery(callback_query_id="q2", text="other"))  # type: ignore[arg-type]
    assert sent == [None, "other"]
