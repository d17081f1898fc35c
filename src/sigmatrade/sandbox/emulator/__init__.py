"""A Telegram Bot API server emulator speaking real HTTP, validating requests like Telegram."""

from sigmatrade.sandbox.emulator.server import BotApiEmulator, EmulatorError

__all__ = ["BotApiEmulator", "EmulatorError"]
