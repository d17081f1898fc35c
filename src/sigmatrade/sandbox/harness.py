"""A running SigmaTrade bot wired to the built-in Bot API emulator (tests and the demo).

``Harness`` starts the emulator over real HTTP, then the real application (aiogram bot with
the whole middleware chain, long polling against the emulator) on the given database.
"""

from __future__ import annotations

import base64
from typing import Any

from sigmatrade.app import Application, Components
from sigmatrade.config import Config, load_config
from sigmatrade.runtime import Runtime
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.emulator.client import UserClient, user_client

TEST_ENCRYPTION_KEY = base64.b64encode(b"sigmatrade-sandbox-key-32-bytes!").decode()


def harness_config(database_url: str, emulator: BotApiEmulator, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "_env_file": None,
        "environment": "test",
        "bot_token": emulator.token,
        "telegram_api_url": emulator.base_url,
        "database_url": database_url,
        "encryption_key": TEST_ENCRYPTION_KEY,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "log_level": "WARNING",
        "bsc_rpc_urls": "",
    }
    values.update(overrides)
    return load_config(**values)


class Harness:
    def __init__(
        self,
        database_url: str,
        *,
        http: bool = False,
        emulator: BotApiEmulator | None = None,
        emulator_kwargs: dict[str, Any] | None = None,
        **config_overrides: Any,
    ) -> None:
        self.database_url = database_url
        self.http = http
        self.emulator = emulator or BotApiEmulator(**(emulator_kwargs or {}))
        self._own_emulator = emulator is None
        self.config_overrides = config_overrides
        self.app: Application | None = None

    async def start(self) -> Harness:
        if self._own_emulator:
            await self.emulator.start()
        config = harness_config(self.database_url, self.emulator, **self.config_overrides)
        self.app = Application(config, Components(bot=True, jobs=False, http=self.http), polling_timeout=5)
        await self.app.start()
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None
        if self._own_emulator:
            await self.emulator.stop()

    async def __aenter__(self) -> Harness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def rt(self) -> Runtime:
        assert self.app is not None and self.app.rt is not None
        return self.app.rt

    def user(self, user_id: int, first_name: str = "Test", **kwargs: Any) -> UserClient:
        return user_client(self.emulator, user_id, first_name, **kwargs)
