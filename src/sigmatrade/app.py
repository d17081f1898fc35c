"""Process lifecycle (SPEC §1.4): ordered start-up and shutdown of DB, HTTP, bot and jobs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from sigmatrade.config import Config
from sigmatrade.db import schema
from sigmatrade.db.locks import lock_startup
from sigmatrade.db.session import Database
from sigmatrade.ledger.accounts import seed_system_accounts
from sigmatrade.logging import get_logger, register_secret
from sigmatrade.ops import heap
from sigmatrade.runtime import Runtime
from sigmatrade.services import admins
from sigmatrade.services import settings as settings_service
from sigmatrade.services.ratelimit import Counter, MemoryCounter, RedisCounter
from sigmatrade.services.settings import SettingsStore
from sigmatrade.web.server import HttpServer

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from sigmatrade.bot.lanes import UpdateLanes
    from sigmatrade.bot.polling import Poller
    from sigmatrade.jobs.scheduler import Scheduler

log = get_logger("sigmatrade.app")


@dataclass
class Components:
    bot: bool = True
    jobs: bool = True
    http: bool = True
    polling: bool = True  # long polling (ignored in webhook mode)


async def prepare_database(db: Database, config: Config) -> None:
    """Upgrade the schema, seed config and system accounts, bootstrap admins."""
    await schema.upgrade(db.engine)
    if not await schema.is_at_head(db.engine):
        raise RuntimeError("database schema is not at the latest revision")
    async with db.transaction() as session:
        await lock_startup(session)  # a second replica seeds after the first committed
        await settings_service.seed(session, config)
        await seed_system_accounts(session)
        await admins.bootstrap(session, config.super_admin_ids)


async def connect_redis(url: str) -> Redis:
    from redis.asyncio import Redis

    client: Redis = Redis.from_url(url, decode_responses=False)
    await client.ping()
    return client


async def build_runtime(config: Config, *, db: Database | None = None) -> Runtime:
    """The one place a ``Runtime`` is assembled: the database (upgraded and seeded unless ``db`` is
    given), Redis when configured, the rate-limit counter and the settings store. Components started
    later (bot, chain, scheduler, error hook) set their own typed attributes."""
    if db is None:
        db = Database(config.database_url, pool_size=config.db_pool_size, max_overflow=config.db_max_overflow)
        await prepare_database(db, config)
    redis = await connect_redis(config.redis_url) if config.redis_url else None
    counter: Counter = RedisCounter(redis) if redis is not None else MemoryCounter()
    return Runtime(config=config, db=db, store=SettingsStore(db.sessionmaker), counter=counter, redis=redis)


class Application:
    def __init__(
        self,
        config: Config,
        components: Components | None = None,
        *,
        token: str | None = None,
        polling_timeout: int = 10,
    ) -> None:
        self.config = config
        self.components = components or Components()
        self.token = token
        self.polling_timeout = polling_timeout
        self.rt: Runtime | None = None
        self.http: HttpServer | None = None
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None
        self.poller: Poller | None = None
        self.lanes: UpdateLanes | None = None  # polling and webhook
        self._poll_task: asyncio.Task[None] | None = None
        self.scheduler: Scheduler | None = None
        self._scheduler_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    async def start(self) -> Runtime:
        config = self.config
        secrets = (
            config.bot_token,
            config.webhook_secret,
            config.encryption_key,
            config.backup_encryption_key,
        )
        for secret in secrets:
            register_secret(secret.get_secret_value() if secret else None)
        rt = await build_runtime(config)
        self.rt = rt
        self._install_error_alerts(rt)
        from sigmatrade.ops.loop_lag import LagSampler

        rt.ops.loop_lag = LagSampler()
        rt.ops.loop_lag.start()
        if self.components.http:
            self.http = HttpServer(rt)
            await self.http.start(config.http_host, config.http_port)
            log.info("http_started", port=self.http.port)
        if self.components.bot:
            await self._start_bot(rt)
        elif self.config.bot_token is not None:
            # Jobs-only replicas still send notifications.
            from sigmatrade.bot.api_client import build_bot

            rt.bot = self.bot = build_bot(
                self.config.bot_token.get_secret_value(), self.config.telegram_api_url
            )
        from sigmatrade.chain.runtime import start_chain

        # After the HTTP server and the bot (startup alerts are delivered at once), before the jobs.
        await start_chain(rt)
        if self.components.jobs:
            from sigmatrade.jobs.scheduler import Scheduler

            self.scheduler = Scheduler(rt)
            rt.jobs = self.scheduler
            self._scheduler_task = asyncio.create_task(self.scheduler.run(), name="scheduler")
        heap.settle()  # a process without the bot
        log.info("started", replica=rt.replica_id, components=self.components.__dict__, **heap.state())
        return rt

    async def _start_bot(self, rt: Runtime) -> None:
        from sigmatrade.bot.api_client import build_bot
        from sigmatrade.bot.commands import publish_commands, sync_admin_commands
        from sigmatrade.bot.factory import build_dispatcher
        from sigmatrade.bot.lanes import UpdateLanes
        from sigmatrade.bot.polling import Poller

        token = self.token or self.config.require_bot_token()
        register_secret(token)
        self.bot = build_bot(token, self.config.telegram_api_url)
        rt.bot = self.bot
        me = await self.bot.get_me()
        rt.bot_username = me.username
        self.dp = build_dispatcher(rt)
        self.lanes = UpdateLanes(self.feed, watchdog_seconds=self.config.update_watchdog_seconds)
        await publish_commands(self.bot)
        await sync_admin_commands(self.bot, rt)
        heap.settle()  # everything updates need is built: before the first update can arrive
        if self.config.webhook_url:
            secret = self.config.webhook_secret.get_secret_value() if self.config.webhook_secret else None
            if self.http is None:
                raise RuntimeError("webhook mode needs the HTTP server")
            self.http.webhook_handler = self._feed_raw
            await self.bot.set_webhook(
                self.config.webhook_url + self.config.webhook_path,
                secret_token=secret,
                allowed_updates=["message", "callback_query"],
            )
        elif self.components.polling:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self.poller = Poller(
                rt,
                self.bot,
                self.dp,
                timeout=self.polling_timeout,
                lanes=self.lanes,
                max_in_flight=self.config.polling_max_in_flight,
            )
            self._poll_task = asyncio.create_task(self.poller.run(), name="telegram-polling")
        if self.http is not None:
            self.http.ready_flags["bot"] = True

    @staticmethod
    def _install_error_alerts(rt: Runtime) -> None:
        """Unexpected handler errors alert super admins: class + request id only, once per class per 10 min."""
        from sigmatrade.domain.enums import AdminRole
        from sigmatrade.services.notifications import Content, notifier

        async def alert(error_class: str, request_id: str | None) -> None:
            await notifier(rt).to_admins(
                lambda t: Content(
                    t("alert.unexpected_error", error=error_class, ref=(request_id or "")[:16])
                ),
                min_role=AdminRole.SUPER_ADMIN,
                dedupe_key=f"error:{error_class}",
                dedupe_seconds=600,
            )

        rt.on_unexpected_error = alert

    async def _feed_raw(self, payload: dict[str, Any]) -> None:
        """A webhook update: on its user's lane (never behind another user's), done when handled. One
        that does not parse is taken as handled (Telegram would redeliver it, and hold every later one
        behind it, for as long as it got no 200), logged by id and alerted, as in polling."""
        assert self.bot is not None and self.dp is not None and self.lanes is not None
        from pydantic import ValidationError

        from sigmatrade.bot.polling import UNREADABLE, alert_soon, log_unreadable, unreadable_fields

        try:
            update = Update.model_validate(payload, context={"bot": self.bot})
        except ValidationError as error:
            log_unreadable(
                payload.get("update_id") if isinstance(payload, dict) else None, unreadable_fields(error)
            )
            alert_soon(self.rt.on_unexpected_error if self.rt is not None else None, UNREADABLE)
            return
        await self.lanes.submit(update)

    async def feed(self, update: Update) -> Any:
        assert self.bot is not None and self.dp is not None
        return await self.dp.feed_update(self.bot, update)

    async def stop(self) -> None:
        """Shutdown order: stop updates -> stop jobs -> release leases -> close sessions and DB."""
        if self.http is not None:
            self.http.accepting_updates = False
        if self.poller is not None:
            self.poller.stop()
        if self._poll_task is not None:
            from sigmatrade.bot.polling import STOP_WITHIN

            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._poll_task, STOP_WITHIN)
        if self.scheduler is not None:
            await self.scheduler.stop(grace=30)
        if self._scheduler_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._scheduler_task, 5)
        if self.lanes is not None:
            await self.lanes.drain(10)  # webhook updates still running
        if self.rt is not None:
            from sigmatrade.chain.runtime import stop_chain

            if self.rt.ops.loop_lag is not None:
                await self.rt.ops.loop_lag.stop()
                self.rt.ops.loop_lag = None

            await stop_chain(self.rt)
        if self.dp is not None:
            with contextlib.suppress(Exception):
                await self.dp.fsm.close()
        if self.bot is not None:
            await self.bot.session.close()
        if self.http is not None:
            await self.http.stop()
        if self.rt is not None:
            from sigmatrade.db import leases

            with contextlib.suppress(Exception):
                await leases.release_all(self.rt.db, self.rt.replica_id)
            if self.rt.redis is not None:
                await self.rt.redis.aclose()
            await self.rt.db.dispose()
        self._stopped.set()

    async def run_forever(self) -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("shutting_down")
        try:
            await self.stop()
        except Exception:
            log.exception("shutdown_failed")
            return 1
        return 0
