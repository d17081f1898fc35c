"""``bot/private_attrs``: the Telegram objects' private attributes come out as pydantic's own function makes
them, for aiogram's types (an update, a Bot API answer, a keyboard we build) and for the cases aiogram's
types do not have (a default to copy, a default factory, one that takes the validated data)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from pydantic import BaseModel, PrivateAttr
from pydantic._internal import _model_construction

from sigmatrade.bot import private_attrs

BOT = Bot("123456:TEST")
CHAT = {"id": 720001, "type": "private", "first_name": "User"}
KEYBOARD = {"inline_keyboard": [[{"text": f"B{i}", "callback_data": f"nav:x{i}"}] for i in range(6)]}
MESSAGE = {
    "message_id": 5,
    "date": 1_700_000_000,
    "chat": CHAT,
    "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
    "text": "Hello",
    "entities": [{"type": "bold", "offset": 0, "length": 5}],
    "reply_markup": KEYBOARD,
}
UPDATE = {
    "update_id": 9,
    "callback_query": {
        "id": "q1",
        "chat_instance": "c",
        "data": "nav:menu",
        "from": {"id": 720001, "is_bot": False, "first_name": "User"},
        "message": MESSAGE,
    },
}


class Copied(BaseModel):
    value: int = 0
    _seen: list[int] = PrivateAttr(default=[1])
    _absent: int = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._seen.append(self.value)


class Made(BaseModel):
    value: int = 0
    _made: list[int] = PrivateAttr(default_factory=list)
    _plain: str = PrivateAttr(default="x")

    def model_post_init(self, context: Any, /) -> None:
        pass


class FromData(BaseModel):
    value: int = 0
    _double: int = PrivateAttr(default_factory=lambda data: data["value"] * 2)

    def model_post_init(self, context: Any, /) -> None:
        pass


def _objects(root: Any) -> Iterator[BaseModel]:
    if isinstance(root, BaseModel):
        yield root
        for name in type(root).model_fields:
            yield from _objects(getattr(root, name))
    elif isinstance(root, list | tuple):
        for item in root:
            yield from _objects(item)


def _built() -> list[Any]:
    """Every object of a kind the bot meets, with its private attributes."""
    roots: list[Any] = [
        Update.model_validate(UPDATE, context={"bot": BOT}),
        Response[Message].model_validate({"ok": True, "result": MESSAGE}, context={"bot": BOT}),
        SendMessage(
            chat_id=1,
            text="t",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="b")]]
            ),
        ),
        Copied(value=3),
        Made(value=4),
        FromData(value=5),
    ]
    return [
        (type(obj).__name__, obj.__pydantic_private__, getattr(obj, "_bot", None))
        for root in roots
        for obj in _objects(root)
    ]


def test_the_objects_come_out_as_pydantic_makes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_model_construction, "init_private_attributes", private_attrs.PYDANTIC_ORIGINAL)
    theirs = _built()
    calls: list[str] = []

    def counted(self: BaseModel, context: Any, /) -> None:
        calls.append(type(self).__name__)
        private_attrs.init_private_attributes(self, context)

    monkeypatch.setattr(_model_construction, "init_private_attributes", counted)
    ours = _built()
    assert ours == theirs
    # pydantic's wrapper looks the function up on each call: every button of the update, of the answer and
    # of the request went through it (some more than once: unions are tried member by member)
    assert calls.count("InlineKeyboardButton") >= 13
    assert len(ours) > 30  # the update's and the answer's parts, each button included
    assert ("InlineKeyboardButton", {"_bot": BOT}, BOT) in ours
    assert ("Copied", {"_seen": [1, 3]}, None) in ours  # a copy of the default per instance
    assert ("Made", {"_made": [], "_plain": "x"}, None) in ours
    assert ("FromData", {"_double": 10}, None) in ours


def test_each_instance_gets_its_own_copy_of_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_model_construction, "init_private_attributes", private_attrs.init_private_attributes)
    first, second = Copied(value=1), Copied(value=2)
    assert first._seen == [1, 1] and second._seen == [1, 2]


def test_it_is_in_use_on_pydantic_2_13_only() -> None:
    assert private_attrs.install() is pydantic.VERSION.startswith("2.13.")
