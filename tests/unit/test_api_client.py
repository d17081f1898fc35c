"""aiogram parses answers with pydantic generic classes that pydantic caches only weakly; the client
pins them so a garbage collection does not make the next Bot API call rebuild one (milliseconds)."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import GetChatMenuButton
from aiogram.methods.base import Response

from sigmatrade.bot import api_client
from sigmatrade.bot.api_client import pin_response_model


def test_response_models_survive_garbage_collection() -> None:
    method = GetChatMenuButton()
    model = weakref.ref(Response[method.__returning__])  # type: ignore[name-defined]
    gc.collect()
    if method.__returning__ not in api_client._PINNED:  # not pinned by an earlier test of this process
        assert model() is None  # what aiogram alone gets: rebuilt on the next call
    pin_response_model(method)
    model = weakref.ref(Response[method.__returning__])  # type: ignore[name-defined]
    gc.collect()
    assert model() is not None
