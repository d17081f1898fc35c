"""Financial password recovery through the real bot (SPEC §3.8.2–§3.8.4, §5.6 "Recover finpass").

The admin decision is driven through ``services.recovery.decide`` (the admin UI calls it).
Refused input changes nothing: request rows, the earnings flag, the password hash and the state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Fp
from sigmatrade.bot.states import Recovery
from sigmatrade.bot.views.recovery import confirm_new_markup
from sigmatrade.db.models import Admin, AuditLog, FailedNotification, FinpassRecovery, User
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, crypto, settings
from sigmatrade.services import recovery as svc
from tests.factories import make_user

FINPASS = "Abcdefgh2345"


# ------------------------------------------------------------------------------------------ helpers
async def _make(h: Harness, tg: int, **kwargs: Any) -> User:
    async with h.rt.db.transaction() as session:
        return await make_user(session, telegram_id=tg, finpass=FINPASS, language="en", **kwargs)


async def _admin(h: Harness, tg: int) -> tuple[int, UserClient]:
    client = h.user(tg, "Admin", language_code="en")
    client.user.started = True
    async with h.rt.db.transaction() as session:
        admin = Admin(telegram_id=tg, role="admin", created_via="cli")
        session.add(admin)
        await session.flush()
        return admin.id, client


async def _user(h: Harness, user_id: int) -> User:
    async with h.rt.db.session() as session:
        found = await session.get(User, user_id)
        assert found is not None
        return found


async def _requests(h: Harness) -> list[FinpassRecovery]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(FinpassRecovery).order_by(FinpassRecovery.id))).all())


async def _audits(h: Harness, action: str) -> int:
    async with h.rt.db.session() as session:
        return int(
            await session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action)) or 0
        )


def _fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def _state(h: Harness, tg: int) -> str | None:
    return await _fsm(h, tg).get_state()


def _step() -> None:
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


async def _decide(
    h: Harness, request_id: int, admin_id: int, approve: bool, reason: str | None = None
) -> svc.Decision:
    async with h.rt.db.session() as session:
        return await svc.decide(
            session, h.rt, request_id, admin_id, approve, reason, confirm_markup=confirm_new_markup
        )


async def _request(client: UserClient, note: str | None = None) -> Exchange:
    await send(client, "/help")
    ex = await press(client, "🔑 Recover financial password")
    assert "blocked" in ex.text and "few business days" in ex.text and "video call" in ex.text
    if note is None:
        ex = await press(client, "⏭ Skip the note")
    else:
        ex = await send(client, note)
        assert f"Your note: {note}" in ex.text
    assert "Send the request?" in ex.text
    return await press(client, "✅ Confirm the request")


async def _consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


# -------------------------------------------------------------------------------------------- tests
async def test_request_approve_and_confirm_new_password(harness: Harness) -> None:
    user = await _make(harness, 7001)
    admin_id, admin_client = await _admin(harness, 7101)
    client = harness.user(7001, "Lost", language_code="en")
    ex = await _request(client, "call me <b>please</b> & thanks")
    assert "Recovery request #1 sent" in ex.text
    assert await _state(harness, 7001) is None
    [row] = await _requests(harness)
    assert row.status == RecoveryStatus.PENDING and row.user_note == "call me <b>please</b> & thanks"
    assert (await _user(harness, user.id)).earnings_blocked
    async with harness.rt.db.session() as session:
        info = await svc.overview(session, await _user(harness, user.id))
    assert info.earnings_blocked and info.request is not None and info.request.id == row.id
    alert = await admin_client.wait_message("#1")
    assert "call me <b>please</b> & thanks" in alert.body and "&lt;b&gt;" in (alert.source_html or "")
    old_hash = (await _user(harness, user.id)).finpass_hash

    decision = await _decide(harness, row.id, admin_id, True)
    assert decision.delivered and decision.request.status == RecoveryStatus.SENT
    message = await client.wait_message("approved")
    new_password = message.body.split("Your new financial password: ")[1].split("\n")[0]
    assert len(new_password) == 12 and f"<code>{new_password}</code>" in (message.source_html or "")
    fresh = await _user(harness, user.id)
    assert fresh.finpass_hash != old_hash and crypto.verify_secret(fresh.finpass_hash, new_password)
    assert not crypto.verify_secret(fresh.finpass_hash, FINPASS) and fresh.earnings_blocked
    async with harness.rt.db.session() as session:  # the plaintext is nowhere in the database
        stored = [r.payload for r in (await session.scalars(select(FailedNotification))).all()]
        [again] = (await session.scalars(select(FinpassRecovery))).all()
    assert new_password not in repr(stored) and new_password not in repr(again.__dict__)
    with pytest.raises(svc.RecoveryError):  # decided once only
        await _decide(harness, row.id, admin_id, False)

    ex = await press(client, "🔐 Confirm the new password")
    assert "Attempts left: 5" in ex.text and await _state(harness, 7001) == Recovery.confirm_new.state
    assert "Your new financial password" in message.body and not message.deleted  # the password message stays
    ex = await send(client, FINPASS)  # the old password never unblocks
    assert "Wrong password. Attempts left: 4" in ex.text
    assert (await _user(harness, user.id)).earnings_blocked
    ex = await send(client, new_password)
    assert "New financial password confirmed" in ex.text and "#1" in ex.text
    typed = [m for (cid, _), m in client.emu.messages.items() if cid == 7001 and not m.from_bot]
    secrets_typed = [m for m in typed if m.text in (FINPASS, new_password)]
    assert len(secrets_typed) == 2 and all(m.deleted for m in secrets_typed)
    [row] = await _requests(harness)
    assert row.status == RecoveryStatus.COMPLETED and row.completed_at is not None
    fresh = await _user(harness, user.id)
    assert not fresh.earnings_blocked and fresh.finpass_failed_attempts == 0
    assert await _state(harness, 7001) is None
    for action in ("finpass_recovery_requested", "finpass_recovery_approved", "finpass_recovery_completed"):
        assert await _audits(harness, action) == 1, action
    await _consistent(harness)


async def test_rejection_keeps_earnings_blocked_and_escapes_comment(harness: Harness) -> None:
    user = await _make(harness, 7002)
    admin_id, _ = await _admin(harness, 7102)
    client = harness.user(7002, "Rejected", language_code="en")
    await _request(client)
    [row] = await _requests(harness)
    assert row.user_note is None
    decision = await _decide(harness, row.id, admin_id, False, "<b>identity</b> not confirmed")
    assert decision.request.status == RecoveryStatus.REJECTED
    message = await client.wait_message("rejected")
    assert "Comment: <b>identity</b> not confirmed" in message.body
    assert "&lt;b&gt;identity" in (message.source_html or "")
    fresh = await _user(harness, user.id)
    assert fresh.earnings_blocked and crypto.verify_secret(fresh.finpass_hash, FINPASS)
    ex = await press_data(client, Fp(action="confirm_new").pack())  # nothing to confirm
    assert ex.answer is not None and "no new password waiting" in ex.answer["text"]
    assert await _state(harness, 7002) is None
    # A rejected request is closed: a new one may be filed.
    ex = await _request(client)
    assert "Recovery request #2 sent" in ex.text
    await _consistent(harness)


async def test_open_request_is_shown_instead_of_a_second_one(harness: Harness) -> None:
    await _make(harness, 7003)
    client = harness.user(7003, "Again", language_code="en")
    await _request(client)
    await send(client, "/help")
    ex = await press(client, "🔑 Recover financial password")
    assert "Request #1: waiting for review" in ex.text and await _state(harness, 7003) is None
    ex = await press_data(client, Fp(action="confirm").pack())  # the old Confirm button
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert len(await _requests(harness)) == 1


async def test_note_state_refuses_unexpected_input(harness: Harness) -> None:
    user = await _make(harness, 7004)
    client = harness.user(7004, "Noter", language_code="en")
    await send(client, "/help")
    await press(client, "🔑 Recover financial password")
    ex = await press_data(client, Fp(action="confirm").pack())  # confirm before the confirm screen
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    _step()
    ex = await client.send_media("sticker")
    assert "Send the note as a text message" in ex.text
    _step()
    ex = await client.send_media("photo", caption="note in a caption")
    assert "Send the note as a text message" in ex.text
    ex = await send(client, "/whatever")
    assert "Commands are not taken as a note" in ex.text
    assert await _state(harness, 7004) == Recovery.note.state
    assert await _requests(harness) == [] and not (await _user(harness, user.id)).earnings_blocked
    await press(client, "⏭ Skip the note")
    first = await press(client, "✅ Confirm the request")
    assert "Recovery request #1 sent" in first.text
    second = await press_data(client, Fp(action="confirm").pack())  # double tap after the window
    assert second.answer is not None and "outdated" in second.answer["text"]
    assert len(await _requests(harness)) == 1


async def test_cancel_mid_flow_and_guest_button(harness: Harness) -> None:
    user = await _make(harness, 7005)
    client = harness.user(7005, "Cancel", language_code="en")
    await send(client, "/help")
    await press(client, "🔑 Recover financial password")
    await send(client, "a note")
    ex = await send(client, "/cancel")
    assert "Cancelled" in ex.all_text and await _state(harness, 7005) is None
    ex = await press_data(client, Fp(action="confirm").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await _requests(harness) == [] and not (await _user(harness, user.id)).earnings_blocked
    guest = harness.user(7006, "Guest", language_code="en")
    await send(guest, "/start")
    ex = await press_data(guest, Fp(action="start").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    ex = await press_data(guest, Fp(action="confirm_new").pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]


async def test_confirm_new_state_refuses_media_and_commands(harness: Harness) -> None:
    user = await _make(harness, 7007)
    admin_id, _ = await _admin(harness, 7107)
    client = harness.user(7007, "Media", language_code="en")
    await _request(client)
    await _decide(harness, 1, admin_id, True)
    await client.wait_message("approved")
    await press(client, "🔐 Confirm the new password")
    before = await _user(harness, user.id)
    _step()
    ex = await client.send_media("document", caption="maybe the password")
    assert "Type the password as a text message" in ex.text
    assert ex.deleted  # a caption may carry the password: deleted too
    ex = await send(client, "/whatever")
    assert "Type the password as a text message" in ex.text
    after = await _user(harness, user.id)
    assert await _state(harness, 7007) == Recovery.confirm_new.state
    assert (after.finpass_failed_attempts, after.earnings_blocked) == (before.finpass_failed_attempts, True)
    [row] = await _requests(harness)
    assert row.status == RecoveryStatus.SENT


async def test_request_limit_refuses_without_writing(harness: Harness) -> None:
    user = await _make(harness, 7008)
    admin_id, _ = await _admin(harness, 7108)
    async with harness.rt.db.transaction() as session:
        await settings.write(session, "throttle.finpass_recovery", "1/1d", None)
    harness.rt.store.invalidate()
    client = harness.user(7008, "Limited", language_code="en")
    await _request(client)
    await _decide(harness, 1, admin_id, False)
    async with harness.rt.db.transaction() as session:  # an admin unblocked earnings meanwhile
        row = await session.get(User, user.id)
        assert row is not None
        row.earnings_blocked = False
    ex = await _request(client)
    assert ex.answer is not None and "limit for this action is reached" in ex.answer["text"]
    assert len(await _requests(harness)) == 1 and not (await _user(harness, user.id)).earnings_blocked
    assert await _state(harness, 7008) is None


async def test_a_password_that_never_arrived_can_be_asked_for_again(harness: Harness) -> None:
    """The approval's one-time password could not be delivered (the user had blocked the bot): the
    request used to stay ``sent`` for good — no new request possible, the admin unable to decide it
    again, earnings blocked forever. The user now sends it back to the queue; a second approval sends
    a new password, which completes the recovery (found by an independent review)."""
    user = await _make(harness, 7401)
    admin_id, _ = await _admin(harness, 7402)
    client = harness.user(7401, "Lost", language_code="en")
    await _request(client)
    [row] = await _requests(harness)
    harness.emulator.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user", chat_id=7401
    )
    decision = await _decide(harness, row.id, admin_id, True)
    assert not decision.delivered and decision.request.status == RecoveryStatus.SENT
    await send(client, "/help")
    ex = await press(client, "🔑 Recover financial password")
    assert "never arrived" in ex.text
    ex = await press(client, "🔁 I did not get it / lost it")
    assert "back with the administrators" in ex.text
    assert [r.status for r in await _requests(harness)] == [RecoveryStatus.PENDING]
    assert await _audits(harness, "finpass_recovery_asked_again") == 1
    assert (await _user(harness, user.id)).earnings_blocked
    # A stale button pressed again changes nothing.
    ex = await press_data(client, Fp(action="again").pack())
    assert ex.answer is not None and "no new password waiting" in str(ex.answer["text"])
    assert await _audits(harness, "finpass_recovery_asked_again") == 1
    # The admin approves again; this time the password arrives and confirms the recovery.
    second = await _decide(harness, row.id, admin_id, True)
    assert second.delivered
    message = await client.wait_message("approved")
    password = message.body.split("Your new financial password: ")[1].split("\n")[0]
    await press(client, "🔐 Confirm the new password")
    ex = await send(client, password)
    assert "New financial password confirmed" in ex.text
    assert not (await _user(harness, user.id)).earnings_blocked
