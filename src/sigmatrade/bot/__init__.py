"""The Telegram bot: aiogram routers, middlewares, keyboards, callback data, FSM, texts."""
