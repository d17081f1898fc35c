"""Long polling guarded by the ``telegram_polling`` lease (only one replica polls).

Fetching never waits for handling: updates go to per-user lanes (``bot.lanes``) and the loop polls
again at once, so one slow update holds only its own user. Telegram's offset is the only receipt, so
the poller confirms (sends as ``offset``) the lowest update id still unfinished: everything below
it was handled; updates at or above it come back in the next answer and those already known are
skipped. A crash therefore replays unfinished (and some finished) updates and never loses one. At
most ``max_in_flight`` updates (≤ 100, one ``getUpdates`` page) are fetched beyond that offset.

While something is in flight Telegram answers at once (the unconfirmed updates are pending), so
after every answer the loop waits until an update finishes (one that finished meanwhile counts) or
``BUSY_REPOLL`` seconds pass before polling again; new updates taken also wait for that, so the
handlers they start do not share the loop with a poll that would bring them back unconfirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

from sigmatrade import clock
from sigmatrade.bot.lanes import UpdateLanes
from sigmatrade.db import leases
from sigmatrade.logging import get_logger, validation_problems
from sigmatrade.runtime import ErrorHook, Runtime

log = get_logger("sigmatrade.polling")
LEASE_NAME = "telegram_polling"
ALLOWED_UPDATES = ["message", "callback_query"]
BUSY_REPOLL = 0.2
# A long poll ends well inside the lease: the lease is renewed between polls (at most every
# RENEW_EVERY seconds), so a poll longer than TTL - RENEW_EVERY could outlive it while another replica
# takes it over and polls too (both would get the unconfirmed updates).
MAX_LONG_POLL = int(leases.TTL - leases.RENEW_EVERY) - 1
SHUTDOWN_GRACE = 10.0  # running updates may finish for this long at shutdown ...
CANCEL_GRACE = 5.0  # ... and those still running then get this long to unwind their cancellation
CONFIRM_TIMEOUT = 5  # the final offset confirmation (one getUpdates with timeout 0)
RELEASE_TIMEOUT = 5.0  # the lease's release (it would expire on its own)
# The longest the poller's own shutdown can take; whoever stops the poller waits at least this long, or
# the handled updates' offset would go unconfirmed (and they would be handled again by the next poller).
STOP_WITHIN = SHUTDOWN_GRACE + CANCEL_GRACE + CONFIRM_TIMEOUT + RELEASE_TIMEOUT + 1
ALERT_TIMEOUT = 30.0
_alerts: set[asyncio.Task[None]] = set()  # alerts in flight (``alert_soon``)
UNREADABLE = "UnreadableUpdate"  # the alert for an update passed over because it does not parse
TRANSIENT = (TelegramNetworkError, TelegramServerError, TelegramConflictError, OSError)


class Poller:
    def __init__(
        self,
        rt: Runtime,
        bot: Bot,
        dp: Dispatcher,
        *,
        timeout: int = 10,
        lanes: UpdateLanes | None = None,
        max_in_flight: int = 100,
    ) -> None:
        self.rt = rt
        self.bot = bot
        self.dp = dp
        self.timeout = max(0, min(timeout, MAX_LONG_POLL))
        self.max_in_flight = max(1, min(100, max_in_flight))
        self.lanes = lanes or UpdateLanes(self.feed)
        self.offset: int | None = None  # the last offset sent: every update below it was handled
        self._highest: int | None = None  # highest update id taken
        self._known: set[int] = set()  # taken ids at or above the confirmed offset
        self._stop = asyncio.Event()
        self._lease_checked = 0.0
        self.has_lease = False
        self.started = asyncio.Event()
        self._fetch: asyncio.Future[Any] | None = None  # the getUpdates call in flight

    def stop(self) -> None:
        self._stop.set()
        if self._fetch is not None:
            self._fetch.cancel()  # the long poll in flight ends now (``_get_updates``)

    async def _hold_lease(self) -> bool:
        now = time.monotonic()
        if self.has_lease and now - self._lease_checked < leases.RENEW_EVERY:
            return True
        self.has_lease = await leases.acquire(self.rt.db, LEASE_NAME, self.rt.replica_id, leases.TTL)
        self._lease_checked = now
        return self.has_lease

    def confirmable_offset(self) -> int | None:
        """Every update below this id has been handled."""
        lowest = self.lanes.lowest_unfinished()
        if lowest is not None:
            return lowest
        return None if self._highest is None else self._highest + 1

    async def run(self) -> None:
        backoff = 0.5
        self.started.set()
        try:
            while not self._stop.is_set():
                try:
                    holding = await self._hold_lease()
                except Exception:  # the database is unreachable or busy: keep trying, never die
                    log.exception("polling_lease_failed")
                    holding = self.has_lease = False
                if not holding:
                    await clock.sleep_unless(self._stop, leases.RETRY_EVERY)
                    continue
                finished = self.lanes.finished
                if len(self.lanes.unfinished) >= self.max_in_flight:
                    await self.lanes.wait_finished(finished, BUSY_REPOLL)
                    continue
                busy = bool(self.lanes.unfinished)
                try:
                    updates = await self._get_updates(0 if busy else self.timeout)
                except Exception as exc:  # the poller outlives any failed poll (``_failed``)
                    await clock.sleep_unless(self._stop, self._failed(exc, backoff))
                    backoff = min(backoff * 2, 30)
                    continue
                backoff = 0.5
                self._take(updates)
                if self.lanes.unfinished:
                    # Poll again once an update finishes (its offset can then be confirmed), not at
                    # once: Telegram would answer at once with the unconfirmed updates, fetched and
                    # parsed again on the loop while the handlers run.
                    await self.lanes.wait_finished(finished, BUSY_REPOLL)
        finally:
            await self._shutdown()

    def _take(self, updates: list[Update]) -> None:
        """Hand the new updates to their lanes (those already known are skipped)."""
        floor = self.offset
        for update in updates:
            uid = update.update_id
            if uid in self._known or (floor is not None and uid < floor):
                continue
            self._known.add(uid)
            self._highest = uid if self._highest is None else max(self._highest, uid)
            self.lanes.submit(update)

    def _failed(self, exc: Exception, backoff: float) -> float:
        """Log a failed ``getUpdates`` and return how long to wait before the next one. Every error is
        retried: a poller that died would leave a process that looks alive and answers nobody. A network or
        server error is routine (a warning, the growing backoff); Telegram's flood wait that outlasted the
        Bot API client's own retries is waited out; Telegram's other refusals (a revoked token's 401, a 400)
        are errors for the operator, retried at the backoff's pace until fixed; anything else is a fault of
        ours and is also alerted."""
        if isinstance(exc, TelegramRetryAfter):
            wait = max(backoff, exc.retry_after)
            log.warning("polling_failed", error=str(exc), retry_in=wait)
            return wait
        if isinstance(exc, TRANSIENT):
            log.warning("polling_failed", error=str(exc), retry_in=backoff)
        elif isinstance(exc, TelegramAPIError):
            log.error("polling_failed", error=str(exc), kind=type(exc).__name__, retry_in=backoff)
        elif isinstance(exc, ClientDecodeError):  # its text holds the answer: users' messages, never logged
            cause = exc.original
            problems = unreadable_fields(cause) if isinstance(cause, ValidationError) else []
            log.error("polling_failed", kind=type(cause).__name__, problems=problems, retry_in=backoff)
            self._alert(type(exc).__name__)
        else:  # not Telegram's answer: a fault of ours, with its traceback
            log.exception("polling_failed", kind=type(exc).__name__, retry_in=backoff)
            self._alert(type(exc).__name__)
        return backoff

    def _alert(self, kind: str) -> None:
        """A failed poll that is neither Telegram's answer nor the network's is a fault of ours (a bug,
        an update this version cannot read): super admins hear of it (``alert_soon``)."""
        alert_soon(self.rt.on_unexpected_error if self.rt is not None else None, kind)

    async def _shutdown(self) -> None:
        # The lease stays renewed while running updates finish: a standby taking it over meanwhile
        # would poll from the last confirmed offset and handle those updates a second time.
        keeper = asyncio.ensure_future(self._keep_lease()) if self.has_lease else None
        try:
            await self.lanes.drain(SHUTDOWN_GRACE, CANCEL_GRACE)
        finally:
            if keeper is not None:
                keeper.cancel()
                await asyncio.wait((keeper,))
        if self.has_lease:
            with contextlib.suppress(Exception):
                offset = self.confirmable_offset()
                if offset is not None and offset != self.offset:
                    # confirm what was handled before letting another replica poll; bounded as a whole
                    # (the client's own retries of a 429 wait on top of each attempt's timeout)
                    confirm = GetUpdates(offset=offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)
                    await asyncio.wait_for(
                        self.bot(confirm, request_timeout=CONFIRM_TIMEOUT), CONFIRM_TIMEOUT
                    )
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    leases.release(self.rt.db, LEASE_NAME, self.rt.replica_id), RELEASE_TIMEOUT
                )
            self.has_lease = False

    async def _keep_lease(self) -> None:
        """Renew the lease as it falls due until cancelled (the shutdown's drain)."""
        while True:
            await asyncio.sleep(leases.RENEW_EVERY / 2)
            try:
                await self._hold_lease()
            except Exception:  # the database is unreachable or busy: the next renewal may succeed
                log.exception("polling_lease_failed")

    async def _get_updates(self, timeout: int) -> list[Update]:
        if self._stop.is_set():
            return []
        offset = self.confirmable_offset()
        request = GetUpdates(
            offset=offset, timeout=timeout, limit=self.max_in_flight, allowed_updates=ALLOWED_UPDATES
        )
        # The call runs as a task of its own so that ``stop`` can cancel it alone. Awaited directly (not
        # raced against a stop event: two more tasks and loop steps between every answer and its updates'
        # lanes).
        fetch = self._fetch = asyncio.ensure_future(self.bot(request, request_timeout=timeout + 10))
        try:
            answer: list[Update] = await fetch
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._stop.is_set() and fetch.cancelled() and not (task is not None and task.cancelling()):
                return []  # ``stop`` ended the long poll
            raise
        except ClientDecodeError as exc:
            # No await from here to ``_take``: the updates passed over and the readable ones are taken
            # in one step (a cancel in between would confirm an offset past readable updates).
            readable = self._readable(exc, offset)
            if readable is None:
                raise  # not some unreadable updates in a good answer: retried (``_failed``)
            answer = readable
        finally:
            self._fetch = None
        result = list(answer)
        if offset is not None:
            self.offset = offset
            self._known = {uid for uid in self._known if uid >= offset}
        return result

    def _readable(self, exc: ClientDecodeError, offset: int | None) -> list[Update] | None:
        """The updates of an answer that failed to parse as a whole, each parsed on its own. Those that
        do not parse are passed over (taken as handled; logged by id and alerted once, their content
        never: it may be a password typed in): one update this version cannot read must not stop every
        user's. None when the answer is not a list of updates with ids or no single update is to blame
        (retried as any failed poll)."""
        data = exc.data
        raw = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            return None
        readable: list[Update] = []
        unreadable: dict[int, list[str]] = {}
        for item in raw:
            uid = item.get("update_id")
            if not isinstance(uid, int):
                return None
            try:
                readable.append(Update.model_validate(item, context={"bot": self.bot}))
            except ValidationError as error:
                unreadable[uid] = unreadable_fields(error)
            except Exception:  # not a parse error of this update: the answer is retried
                return None
        if not unreadable:
            return None
        taken = {update.update_id for update in readable}
        new = {
            uid: problems
            for uid, problems in unreadable.items()
            if uid not in taken and uid not in self._known and (offset is None or uid >= offset)
        }
        for uid, problems in new.items():
            log_unreadable(uid, problems)
            self._known.add(uid)
            self._highest = uid if self._highest is None else max(self._highest, uid)
        if new:
            self._alert(UNREADABLE)
        return readable

    async def feed(self, update: Update) -> Any:
        return await self.dp.feed_update(self.bot, update)


def alert_soon(hook: ErrorHook | None, kind: str) -> None:
    """Alert super admins (``on_unexpected_error``: once per kind per 10 minutes) in the background, for
    at most ``ALERT_TIMEOUT`` seconds: its sends wait on the Bot API's flood gate, and neither the poll
    nor a webhook answer may wait for them."""
    if hook is None:
        return

    async def send() -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(hook(kind, None), ALERT_TIMEOUT)

    task = asyncio.ensure_future(send())
    _alerts.add(task)
    task.add_done_callback(_alerts.discard)


def log_unreadable(update_id: object, problems: list[str]) -> None:
    """The one record of an update passed over because it does not parse (polling and webhook): its id
    and where it failed (``unreadable_fields``), never its content."""
    log.error("update_unreadable", update_id=update_id, problems=problems)


def unreadable_fields(error: ValidationError) -> list[str]:
    """Where an answer failed to parse, without the values (``validation_problems``): the first five."""
    return [f"{where}: {kind}" for where, _, kind in validation_problems(error)[:5]]
