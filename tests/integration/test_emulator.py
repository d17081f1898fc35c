"""The Bot API emulator refuses what Telegram refuses, with Telegram's error texts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot.api_client import build_bot
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.emulator.client import user_client
from sigmatrade.texts.telegram_html import EntityParseError, parse_html


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    b = build_bot(emu.token, emu.base_url)
    yield b
    await b.session.close()


def _kb(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data=data)]])


async def _started(emu: BotApiEmulator, user_id: int = 42) -> int:
    emu.add_user(user_id, "U").started = True
    return user_id


async def test_callback_data_65_bytes_refused(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await _started(emu)
    await bot.send_message(chat, "ok", reply_markup=_kb("a" * 64))
    with pytest.raises(TelegramBadRequest) as err:
        await bot.send_message(chat, "too long", reply_markup=_kb("a" * 65))
    assert err.value.message == "Bad Request: BUTTON_DATA_INVALID"
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(chat, "multibyte", reply_markup=_kb("я" * 33))  # 66 bytes


async def test_broken_b_tag_refused_with_telegram_text(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await _started(emu)
    with pytest.raises(TelegramBadRequest) as err:
        await bot.send_message(chat, "<b>bold but never closed")
    assert err.value.message == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert emu.rejected()[-1].status == 400


async def test_text_and_caption_limits(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await _started(emu)
    await bot.send_message(chat, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(chat, "я" * 4097)
    # entities do not count towards the limit, escaped characters count once
    await bot.send_message(chat, "<b>" + "&lt;" * 4096 + "</b>")
    photo = BufferedInputFile(b"\x89PNG fake", filename="p.png")
    sent = await bot.send_photo(chat, photo, caption="c" * 1024)
    file_id = sent.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(chat, file_id, caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(chat, "NOT-A-FILE-ID")
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(chat, file_id)


async def test_unknown_blocked_and_unstarted_chats(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hi")
    client = user_client(emu, 43, "B")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(43, "hi")
    client.user.started = True
    client.block_bot()
    with pytest.raises(TelegramForbiddenError) as err:
        await bot.send_message(43, "hi")
    assert err.value.message == "Forbidden: bot was blocked by the user"


async def test_rate_limit_answers_429_with_retry_after(emu: BotApiEmulator) -> None:
    limited = BotApiEmulator(per_chat_rate=1, per_chat_burst=2)
    await limited.start()
    raw = Bot(limited.token, session=build_bot(limited.token, limited.base_url).session)
    # a bot without the retry middleware sees the 429 itself
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    plain = Bot(limited.token, session=AiohttpSession(api=TelegramAPIServer.from_base(limited.base_url)))
    try:
        limited.add_user(7, "R").started = True
        await plain.send_message(7, "1")
        await plain.send_message(7, "2")
        with pytest.raises(TelegramRetryAfter) as err:
            await plain.send_message(7, "3")
        assert err.value.retry_after >= 1
        # the product's session waits retry_after and succeeds
        await raw.send_message(7, "4")
        assert [r.status for r in limited.calls("sendMessage")][-2:] == [429, 200]
    finally:
        await plain.session.close()
        await raw.session.close()
        await limited.stop()


async def test_edit_not_modified_and_missing(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await _started(emu)
    msg = await bot.send_message(chat, "same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("same", chat_id=chat, message_id=msg.message_id)
    await bot.edit_message_text("changed", chat_id=chat, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=chat, message_id=9999)
    assert await bot.delete_message(chat, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(chat, msg.message_id)


async def test_injected_faults(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await _started(emu)
    emu.fail_next("sendMessage", status=500, description="Internal Server Error")
    from aiogram.exceptions import TelegramServerError

    with pytest.raises(TelegramServerError):
        await bot.send_message(chat, "x")
    await bot.send_message(chat, "y")


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<script>", 'Unsupported start tag "script" at byte offset 0'),
        ("x <", "Unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
    ],
)
def test_html_parse_errors(markup: str, error: str) -> None:
    with pytest.raises(EntityParseError) as err:
        parse_html(markup)
    assert str(err.value) == error


def test_html_entities_and_offsets() -> None:
    text, entities = parse_html("😀 <b>a&amp;b</b> &unknown; &#60;")
    assert text == "😀 a&b &unknown; <"
    assert entities == [{"type": "bold", "offset": 3, "length": 3}]
