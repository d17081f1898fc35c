"""Support tickets through the real bot (SPEC §3.10, §5.6 "Support"; scenario 61 user side, 58 escaping).

Refused input changes nothing: ticket/message counts, the draft and the FSM state are asserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Sup
from sigmatrade.bot.states import Support
from sigmatrade.db.models import Admin, AdminSession, SupportMessage, SupportTicket, User
from sigmatrade.domain.enums import ClosedBy, MessageSender, TicketStatus
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, settings
from tests.factories import make_user

NASTY = "<b>x</b> & <script>"


# ------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Counts:
    tickets: int
    messages: int


async def _make(h: Harness, tg: int, **kwargs: Any) -> User:
    async with h.rt.db.transaction() as session:
        return await make_user(session, telegram_id=tg, language="en", **kwargs)


async def _admin(h: Harness, tg: int, *, live_minutes_ago: float | None = None) -> UserClient:
    client = h.user(tg, "Admin", language_code="en")
    client.user.started = True
    async with h.rt.db.transaction() as session:
        admin = Admin(telegram_id=tg, role="admin", created_via="cli")
        session.add(admin)
        await session.flush()
        if live_minutes_ago is not None:
            seen = clock.now() - timedelta(minutes=live_minutes_ago)
            session.add(
                AdminSession(
                    admin_id=admin.id, last_activity_at=seen, expires_at=seen + timedelta(minutes=60)
                )
            )
    return client


async def _counts(h: Harness) -> Counts:
    async with h.rt.db.session() as session:
        tickets = int(await session.scalar(select(func.count(SupportTicket.id))) or 0)
        messages = int(await session.scalar(select(func.count(SupportMessage.id))) or 0)
    return Counts(tickets, messages)


async def _tickets(h: Harness) -> list[SupportTicket]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(SupportTicket).order_by(SupportTicket.id))).all())


async def _messages(h: Harness, ticket_id: int) -> list[SupportMessage]:
    async with h.rt.db.session() as session:
        stmt = select(SupportMessage).where(SupportMessage.ticket_id == ticket_id).order_by(SupportMessage.id)
        return list((await session.scalars(stmt)).all())


def _fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def _state(h: Harness, tg: int) -> str | None:
    return await _fsm(h, tg).get_state()


async def _draft(h: Harness, tg: int) -> list[dict[str, Any]]:
    return list((await _fsm(h, tg).get_data()).get("sup_parts") or [])


def _step() -> None:
    """Past the double-tap window and well inside the per-minute update limit."""
    clock.travel(timedelta(seconds=2.5))


async def press(client: UserClient, label: str) -> Exchange:
    _step()
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    _step()
    return await client.press_data(data)


async def send(client: UserClient, text: str) -> Exchange:
    _step()
    return await client.send(text)


async def media(client: UserClient, kind: str, **kwargs: Any) -> Exchange:
    _step()
    return await client.send_media(kind, **kwargs)


async def _to_composer(client: UserClient, category: str = "🛠 Technical problem") -> Exchange:
    await send(client, "/menu")
    ex = await press(client, "🛟 Support")
    assert "You have no active ticket" in ex.text
    ex = await press(client, "✉️ New ticket")
    assert "Choose the topic" in ex.text
    ex = await press(client, category)
    assert "Send your messages" in ex.text
    return ex


async def _consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


# -------------------------------------------------------------------------------------------- tests
async def test_ticket_with_text_and_media_parts_notifies_admins_escaped(harness: Harness) -> None:
    user = await _make(harness, 6001, username=NASTY)
    admin_client = await _admin(harness, 6101)  # no live session: every admin is notified
    client = harness.user(6001, "Asker", language_code="en", username=NASTY)
    await _to_composer(client)
    ex = await send(client, f"My deposit is missing {NASTY}")
    assert "Added: 1/20 messages, 0/10 attachments" in ex.text
    photo = await media(client, "photo", caption="screenshot")
    assert "Added: 2/20 messages, 1/10 attachments" in photo.text
    await media(client, "voice")
    await media(client, "document", file_name="tx.pdf", mime_type="application/pdf")
    ex = await media(client, "video")
    assert "Added: 5/20 messages, 4/10 attachments" in ex.text
    await send(client, "second text")
    assert len(await _draft(harness, 6001)) == 6
    ex = await press(client, "📤 Send")
    assert "Ticket #1 created" in ex.text and "Administrators will answer" in ex.text
    assert await _state(harness, 6001) is None
    [ticket] = await _tickets(harness)
    assert (ticket.user_id, ticket.category, ticket.status) == (user.id, "tech", TicketStatus.OPEN)
    assert ticket.assigned_admin_id is None and ticket.last_user_message_at is not None
    [message] = await _messages(harness, ticket.id)
    assert message.sender == MessageSender.USER
    assert message.text == f"My deposit is missing {NASTY}\n\nsecond text"
    assert message.attachments is not None
    assert [a["kind"] for a in message.attachments] == ["photo", "voice", "document", "video"]
    assert message.attachments[0]["caption"] == "screenshot"
    assert message.attachments[2]["file_name"] == "tx.pdf"
    assert all(a["file_id"] and a["file_unique_id"] for a in message.attachments)
    alert = await admin_client.wait_message("#1")
    assert "Обращение #1" in alert.body  # an admin without a users row reads Russian
    assert f"@{NASTY}" in alert.body and NASTY in alert.body
    assert alert.source_html is not None and "<script>" not in alert.source_html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in alert.source_html
    # The thread escapes the ticket text, too.
    ex = await press(client, "📨 My ticket #1")
    assert f"My deposit is missing {NASTY}" in ex.text and "photo, voice message, document, video" in ex.text
    await _consistent(harness)


async def test_on_duty_admin_is_assigned_and_alone_notified(harness: Harness) -> None:
    await _make(harness, 6002)
    idle = await _admin(harness, 6102, live_minutes_ago=20)
    duty = await _admin(harness, 6103, live_minutes_ago=1)
    await _admin(harness, 6104)  # no session at all
    client = harness.user(6002, "Asker", language_code="en")
    await _to_composer(client, "💸 Withdrawals")
    await send(client, "where is my payout?")
    ex = await press(client, "📤 Send")
    assert "already working on it" in ex.text
    [ticket] = await _tickets(harness)
    async with harness.rt.db.session() as session:
        duty_id = await session.scalar(select(Admin.id).where(Admin.telegram_id == 6103))
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.assigned_admin_id == duty_id
    note = await duty.wait_message("#1")
    assert "where is my payout?" in note.body
    assert not [m for m in idle.messages() if "#1" in m.body]


async def test_second_active_ticket_is_refused(harness: Harness) -> None:
    await _make(harness, 6003)
    client = harness.user(6003, "Twice", language_code="en")
    await _to_composer(client)
    await send(client, "first problem")
    await press(client, "📤 Send")
    before = await _counts(harness)
    await send(client, "/menu")
    ex = await press(client, "🛟 Support")
    assert "Active ticket #1" in ex.text and "📨 My ticket #1" in ex.buttons()
    ex = await press_data(client, Sup(action="new").pack())  # an old "New ticket" button
    assert ex.answer is not None and "already have an active ticket #1" in ex.answer["text"]
    assert await _state(harness, 6003) is None
    assert await _counts(harness) == before


async def test_ticket_created_meanwhile_refuses_the_send(harness: Harness) -> None:
    """Two composers (e.g. two devices): the second Send is refused, nothing is written."""
    user = await _make(harness, 6004)
    client = harness.user(6004, "Race", language_code="en")
    await _to_composer(client)
    await send(client, "draft")
    async with harness.rt.db.transaction() as session:
        session.add(SupportTicket(user_id=user.id, category="other", status=TicketStatus.ANSWERED))
    before = await _counts(harness)
    ex = await press(client, "📤 Send")
    assert ex.answer is not None and "already have an active ticket #1" in ex.answer["text"]
    assert await _counts(harness) == before and await _state(harness, 6004) is None


async def test_followup_reopens_answered_ticket_then_close_and_history(harness: Harness) -> None:
    await _make(harness, 6005)
    duty = await _admin(harness, 6105, live_minutes_ago=2)
    client = harness.user(6005, "Follow", language_code="en")
    await _to_composer(client, "👥 Referrals")
    await send(client, "question")
    await press(client, "📤 Send")
    [ticket] = await _tickets(harness)
    async with harness.rt.db.transaction() as session:  # the admin answered (admin UI is elsewhere)
        row = await session.get(SupportTicket, ticket.id)
        assert row is not None
        row.status = TicketStatus.ANSWERED
        session.add(SupportMessage(ticket_id=row.id, sender=MessageSender.ADMIN, text="<i>answer</i>"))
    await send(client, "/menu")
    await press(client, "🛟 Support")
    ex = await press(client, "📨 My ticket #1")
    assert "🟢 answered" in ex.text and "<i>answer</i>" in ex.text  # shown as text, not markup
    ex = await press(client, "➕ Add message")
    assert await _state(harness, 6005) == Support.followup.state
    await media(client, "audio", caption="recording")
    ex = await press(client, "📤 Send")
    assert "added to ticket #1" in ex.text
    [ticket] = await _tickets(harness)
    assert ticket.status == TicketStatus.IN_PROGRESS
    messages = await _messages(harness, ticket.id)
    assert len(messages) == 3 and messages[-1].attachments is not None
    assert messages[-1].attachments[0]["kind"] == "audio"
    follow = await duty.wait_message("Новое сообщение в обращении #1")
    assert "recording" in follow.body
    ex = await press(client, "📨 My ticket #1")
    ex = await press(client, "✅ Close ticket")
    assert ex.answer is not None and "Ticket #1 is closed" in ex.answer["text"]
    assert "You have no active ticket" in ex.text
    [ticket] = await _tickets(harness)
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_by == ClosedBy.USER
    before = await _counts(harness)
    ex = await press_data(client, Sup(action="close", id=ticket.id).pack())  # stale Close
    assert ex.answer is not None and "already closed" in ex.answer["text"]
    ex = await press_data(client, Sup(action="add", id=ticket.id).pack())  # stale Add message
    assert ex.answer is not None and "already closed" in ex.answer["text"]
    assert await _state(harness, 6005) is None and await _counts(harness) == before
    ex = await press(client, "🗂 Closed tickets")
    assert "Closed tickets</b> (1)" in (ex.last.source_html or "") and "#1 · 👥 Referrals" in ex.text
    ex = await press(client, "#1 · 👥 Referrals")
    assert "⚪️ closed" in ex.text and "➕ Add message" not in ex.buttons()
    await _consistent(harness)


async def test_category_state_refuses_input_and_foreign_callbacks(harness: Harness) -> None:
    await _make(harness, 6006)
    client = harness.user(6006, "Cat", language_code="en")
    await send(client, "/menu")
    await press(client, "🛟 Support")
    await press(client, "✉️ New ticket")
    ex = await send(client, "just text")
    assert "Choose a topic with the buttons" in ex.text
    ex = await media(client, "sticker")
    assert "Choose a topic with the buttons" in ex.text
    ex = await press_data(client, Sup(action="cat", cat="bogus").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    ex = await press_data(client, Sup(action="send", id=1).pack())  # no composer yet
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await _state(harness, 6006) == Support.category.state
    ex = await press(client, "✖️ Cancel")
    assert "You have no active ticket" in ex.text and await _state(harness, 6006) is None
    assert await _counts(harness) == Counts(0, 0)


async def test_composer_refuses_bad_parts_and_keeps_the_draft(harness: Harness) -> None:
    await _make(harness, 6007)
    client = harness.user(6007, "Bad", language_code="en")
    await _to_composer(client)
    ex = await press(client, "📤 Send")  # empty draft
    assert ex.answer is not None and "at least one message" in ex.answer["text"]
    await send(client, "kept")
    refusals = [
        (await media(client, "sticker"), "cannot be attached"),
        (await media(client, "location"), "cannot be attached"),
        (await media(client, "photo", caption="c" * 1025), "caption is too long (1025"),
        (await send(client, "t" * 4001), "text is too long (4001"),
        (await send(client, "/whatever"), "Commands are not added"),
    ]
    for ex, expected in refusals:
        assert expected in ex.text
    assert [p["text"] for p in await _draft(harness, 6007)] == ["kept"]
    assert await _state(harness, 6007) == Support.compose.state
    ex = await press_data(client, Sup(action="send", id=12345).pack())  # a foreign/stale flow id
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await _counts(harness) == Counts(0, 0)
    await send(client, "/help")  # a command that leaves the flow
    assert await _state(harness, 6007) is None
    ex = await press_data(client, Sup(action="discard").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await _counts(harness) == Counts(0, 0)


async def test_attachment_limit_and_double_send(harness: Harness) -> None:
    await _make(harness, 6008)
    client = harness.user(6008, "Many", language_code="en")
    await _to_composer(client)
    for _ in range(10):
        await media(client, "document")
    ex = await media(client, "photo")
    assert "at most 10 attachments" in ex.text
    ex = await send(client, "a text still fits")
    assert "11/20 messages, 10/10 attachments" in ex.text
    send_msg, _ = client.find_button("📤 Send")
    first = await press(client, "📤 Send")
    assert "Ticket #1 created" in first.text
    second = await press(client, "📤 Send")  # the same button again (after the double-tap window)
    assert second.answer is not None and "outdated" in second.answer["text"]
    assert send_msg is not None
    assert await _counts(harness) == Counts(1, 1)
    [message] = await _messages(harness, 1)
    assert message.attachments is not None and len(message.attachments) == 10


async def test_foreign_ticket_ids_look_missing(harness: Harness) -> None:
    owner = await _make(harness, 6009)
    await _make(harness, 6010)
    async with harness.rt.db.transaction() as session:
        session.add(SupportTicket(user_id=owner.id, category="other", status=TicketStatus.OPEN))
    intruder = harness.user(6010, "Intruder", language_code="en")
    await send(intruder, "/menu")
    for action in ("view", "add", "close"):
        ex = await press_data(intruder, Sup(action=action, id=1).pack())
        assert ex.answer is not None and "outdated" in ex.answer["text"], action
    [ticket] = await _tickets(harness)
    assert ticket.status == TicketStatus.OPEN and await _state(harness, 6010) is None
    guest = harness.user(6011, "Guest", language_code="en")
    await send(guest, "/start")
    ex = await press_data(guest, Sup(action="new").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await _counts(harness) == Counts(1, 0)


async def test_ticket_limit_keeps_the_draft_and_writes_nothing(harness: Harness) -> None:
    await _make(harness, 6012)
    async with harness.rt.db.transaction() as session:
        await settings.write(session, "throttle.support_ticket", "1/1d", None)
    harness.rt.store.invalidate()
    client = harness.user(6012, "Busy", language_code="en")
    await _to_composer(client)
    await send(client, "one")
    await press(client, "📤 Send")
    await send(client, "/menu")
    await press(client, "🛟 Support")
    await press(client, "📨 My ticket #1")
    await press(client, "✅ Close ticket")
    ex = await press(client, "✉️ New ticket")
    ex = await press(client, "💬 Other")
    await send(client, "two")
    before = await _counts(harness)
    ex = await press(client, "📤 Send")
    assert ex.answer is not None and "limit for this action is reached" in ex.answer["text"]
    assert await _counts(harness) == before
    assert await _state(harness, 6012) == Support.compose.state
    assert [p["text"] for p in await _draft(harness, 6012)] == ["two"]
