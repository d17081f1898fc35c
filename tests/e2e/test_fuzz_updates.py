"""Random sequences of updates (texts, commands, callbacks from any screen, forged callbacks, media) sent
by a registered and an unregistered user: no unhandled error, no request refused by the emulator, and
the ledger stays consistent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sigmatrade.db.models import User
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings as settings_service
from tests.factories import credit, make_user

REGISTERED, GUEST = 7001, 7002
TEXTS = [
    "/start",
    "/start T0000001",
    "/menu",
    "/cancel",
    "/help",
    "/language",
    "/admin",
    "/logout",
    "/session",
    "/unknown",
    "hello",
    "12,50",
    "5",
    "-1",
    "1e3",
    "abc",
    "<b>x</b> & <script>",
    "0x" + "a" * 40,
    "AbCdEfGh2345",
    "+4915112345678 user@example.org",
    "x" * 5000,
    "  ",
    "🙂",
]
PREFIXES = ["nav", "lang", "reg", "dep", "wd", "hist", "ref", "sup", "fp", "set", "pg", "adm", "zzz"]
field = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "999999999999", "menu", "x", "all", "start", "ru"]),
    st.text(alphabet="abc019:-_", max_size=8),
)
forged = st.builds(
    lambda p, parts: ":".join([p, *parts])[:64], st.sampled_from(PREFIXES), st.lists(field, max_size=5)
)
who = st.sampled_from([REGISTERED, GUEST])
action = st.one_of(
    st.tuples(st.just("text"), who, st.sampled_from(TEXTS)),
    st.tuples(st.just("press"), who, st.integers(0, 50)),
    st.tuples(st.just("forged"), who, forged),
    st.tuples(
        st.just("media"),
        who,
        st.sampled_from(["photo", "document", "voice", "video", "audio", "sticker", "location"]),
    ),
)
ERROR_MARKERS = ("Something went wrong", "Что-то пошло не так")


async def _prepare(h: Harness) -> None:
    async with h.rt.db.session() as session:
        if await session.scalar(select(User.id).where(User.telegram_id == REGISTERED)) is not None:
            return
    async with h.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=REGISTERED, username="fuzz_user", finpass="Abcdefgh2345")
        await credit(session, user, Decimal("100"))
        await settings_service.write(session, "throttle.updates_per_minute", 10_000, None)
        for action_name in (
            "registration",
            "deposit_activation",
            "withdrawal_request",
            "finpass_recovery",
            "support_ticket",
            "support_part",
            "contacts_update",
        ):
            await settings_service.write(session, f"throttle.{action_name}", "100000/1h", None)
    h.rt.store.invalidate()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(action, min_size=4, max_size=18))
async def test_random_update_sequences(harness: Harness, steps: list[tuple[str, int, object]]) -> None:
    await _prepare(harness)
    clients = {
        REGISTERED: harness.user(REGISTERED, "Reg", username="fuzz_user", language_code="en"),
        GUEST: harness.user(GUEST, "<b>x</b> & <script>", language_code="ru"),
    }
    for kind, who_id, arg in steps:
        client = clients[who_id]
        if kind == "text":
            ex = await client.send(str(arg))
        elif kind == "media":
            ex = await client.send_media(str(arg), caption="caption <i>")
        elif kind == "forged":
            ex = await client.press_data(str(arg))
        else:
            buttons = [(m, b) for m in client.messages()[-3:] for b in m.buttons() if "callback_data" in b]
            if not buttons:
                continue
            msg, button = buttons[int(str(arg)) % len(buttons)]
            ex = await client.press_data(button["callback_data"], message=msg)
        for screen in ex.screens:
            assert not any(marker in screen.body for marker in ERROR_MARKERS), screen.body
        if ex.answer and ex.answer.get("text"):
            assert not any(marker in ex.answer["text"] for marker in ERROR_MARKERS), ex.answer
    assert not harness.emulator.rejected(), [(r.method, r.response) for r in harness.emulator.rejected()]
    async with harness.rt.db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()
