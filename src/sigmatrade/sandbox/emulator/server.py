"""The Bot API emulator: an aiohttp server answering ``/bot<token>/<method>`` like Telegram.

It validates what Telegram validates (text/caption length after entity parsing, HTML
entities, inline keyboards and callback_data size, unknown or blocked chats, unknown file
ids), can answer 429 with ``retry_after`` above a configurable rate, supports long polling
and webhook delivery, records every request, and gives tests a client: act as user N
(send text or media, press buttons) and wait until the bot has processed the update.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from sigmatrade.sandbox.emulator.state import (
    ChatEvent,
    EmuMessage,
    EmuUser,
    Fault,
    PendingUpdate,
    RecordedRequest,
    StoredFile,
)
from sigmatrade.texts.telegram_html import EntityParseError, parse_html, utf16_len

DEFAULT_TOKEN = "7000000001:EMULATOR-sigmatrade-test-token-0123456789"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_ANSWER_TEXT = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MEDIA_METHODS = {
    "sendphoto": "photo",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendaudio": "audio",
    "senddocument": "document",
}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class EmulatorError(AssertionError):
    """Raised in tests when the bot did not do what was expected (timeouts, missing buttons)."""


class _Bucket:
    """Token bucket: ``rate`` per second, ``burst`` capacity."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> float:
        """Take one token; return 0 if allowed, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class BotApiEmulator:
    """Start with ``await emu.start()``; point the bot at ``emu.base_url``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "sigmatrade_sandbox_bot",
        bot_first_name: str = "SigmaTrade",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float = 3,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self._global_bucket = _Bucket(global_rate, global_rate) if global_rate else None
        self._chat_buckets: dict[int, _Bucket] = {}
        self.users: dict[int, EmuUser] = {}
        self.messages: dict[tuple[int, int], EmuMessage] = {}
        self._next_message_id: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.files: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        self.events: list[ChatEvent] = []
        self.requests: list[RecordedRequest] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.webhook: dict[str, Any] | None = None
        self._updates: list[PendingUpdate] = []
        self._update_seq = itertools.count(100_001)
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._new_update = asyncio.Event()
        self._event_added = asyncio.Event()
        self._poller: asyncio.Future[None] | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._webhook_http: aiohttp.ClientSession | None = None
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.host = "127.0.0.1"
        self.get_updates_calls = 0
        self.first_get_updates_at: float | None = None  # monotonic time of the first getUpdates
        self.delivered_at: dict[int, float] = {}  # update_id -> monotonic time first handed to the bot

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiEmulator:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.host = host
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._webhook_http is not None:
            await self._webhook_http.close()
        for pending in self._updates:
            if not pending.processed.done():
                pending.processed.cancel()
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ HTTP entry points
    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"].lower()
        try:
            params = await self._read_params(request)
        except ApiError as err:
            return self._error_response(method, {}, err)
        if token != self.token:
            return self._error_response(method, params, ApiError(401, "Unauthorized"))
        handler = getattr(self, f"_m_{method}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._check_faults(method, params)
            result = await handler(params)
        except ApiError as err:
            return self._error_response(method, params, err)
        body = {"ok": True, "result": result}
        self.requests.append(RecordedRequest(method, _loggable(params), 200, body))
        return web.json_response(body)

    def _error_response(self, method: str, params: dict[str, Any], err: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": err.status, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        self.requests.append(RecordedRequest(method, _loggable(params), err.status, body))
        return web.json_response(body, status=err.status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if f"{stored.kind}s/{stored.file_unique_id}" == path:
                return web.Response(body=stored.content or b"\0" * min(stored.size, 1024))
        return web.Response(status=404)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if request.method == "POST" and request.can_read_body:
            if ctype == "application/json":
                try:
                    params.update(await request.json())
                except json.JSONDecodeError as exc:
                    raise ApiError(400, "Bad Request: can't parse JSON body") from exc
            elif ctype == "multipart/form-data":
                uploads: dict[str, tuple[bytes, str | None, str | None]] = {}
                reader = await request.multipart()
                while True:
                    part = await reader.next()
                    if part is None:
                        break
                    if not isinstance(part, aiohttp.BodyPartReader):
                        continue
                    name = part.name or ""
                    if part.filename is not None:
                        data = await part.read(decode=False)
                        uploads[name] = (bytes(data), part.filename, part.headers.get("Content-Type"))
                    else:
                        params[name] = await part.text()
                params["__uploads__"] = uploads
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    # ------------------------------------------------------------------ fault injection / limits
    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (optionally only for one chat) fail."""
        self.faults.append(Fault(method.lower(), status, description, retry_after, count, chat_id))

    def _check_faults(self, method: str, params: dict[str, Any]) -> None:
        chat = _int_or_none(params.get("chat_id"))
        for fault in self.faults:
            if (
                fault.remaining > 0
                and fault.method == method
                and (fault.chat_id is None or fault.chat_id == chat)
            ):
                fault.remaining -= 1
                extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
                raise ApiError(fault.status, fault.description, extra)

    def _rate_limit(self, chat_id: int) -> None:
        waits = []
        if self._global_bucket is not None:
            waits.append(self._global_bucket.take())
        if self.per_chat_rate:
            bucket = self._chat_buckets.setdefault(chat_id, _Bucket(self.per_chat_rate, self.per_chat_burst))
            waits.append(bucket.take())
        wait = max(waits, default=0.0)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    # ------------------------------------------------------------------ validation helpers
    def _chat(self, params: dict[str, Any], *, for_sending: bool = True) -> EmuUser:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = _int_or_none(raw)
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        user = self.users.get(chat_id)
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        if for_sending:
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return user

    def _parse(
        self, text: str, parse_mode: str | None, entities_raw: Any, *, field: str
    ) -> tuple[str, list[Any]]:
        if parse_mode:
            mode = parse_mode.lower()
            if mode != "html":
                if mode in ("markdown", "markdownv2"):
                    raise ApiError(
                        400, f"Bad Request: emulator supports only HTML parse mode, got {parse_mode}"
                    )
                raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
            try:
                return parse_html(text)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        entities = _json_param(entities_raw, field) if entities_raw else []
        length = utf16_len(text)
        for entity in entities or []:
            offset, size = entity.get("offset"), entity.get("length")
            if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size <= 0:
                raise ApiError(400, "Bad Request: can't parse entities: wrong entity offset or length")
            if offset + size > length:
                raise ApiError(400, "Bad Request: entity ends after the end of the text")
        return text, list(entities or [])

    def _markup(self, raw: Any) -> dict[str, Any] | None:
        if raw is None or raw == "":
            return None
        markup = _json_param(raw, "reply_markup")
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                return markup
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
        count = 0
        for row in rows:
            for button in row:
                count += 1
                _check_button(button)
        if count > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        return markup

    # ------------------------------------------------------------------ message storage
    def _new_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> EmuMessage:
        message_id = next(self._next_message_id[chat_id])
        msg = EmuMessage(
            chat_id=chat_id, message_id=message_id, from_bot=from_bot, date=int(time.time()), **fields
        )
        self.messages[(chat_id, message_id)] = msg
        return msg

    def _record(self, kind: str, chat_id: int, message: EmuMessage | None = None, **data: Any) -> None:
        self.events.append(ChatEvent(kind=kind, chat_id=chat_id, message=message, data=data))
        self._event_added.set()
        self._event_added = asyncio.Event()

    def _message_json(self, msg: EmuMessage) -> dict[str, Any]:
        user = self.users.get(msg.chat_id)
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": user.as_chat() if user else {"id": msg.chat_id, "type": "private"},
            "from": self._bot_user()
            if msg.from_bot
            else (user.as_telegram() if user else {"id": msg.chat_id}),
        }
        if msg.edit_count:
            data["edit_date"] = int(time.time())
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        if msg.media_kind and msg.file:
            data.update(_media_json(msg.file))
            if msg.caption:
                data["caption"] = msg.caption
                if msg.caption_entities:
                    data["caption_entities"] = msg.caption_entities
        if msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _store_file(
        self,
        kind: str,
        size: int,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
    ) -> StoredFile:
        seq = next(self._file_seq)
        unique = f"U{kind[:2].upper()}{seq:06d}"
        file_id = f"EMU{kind[:3].upper()}{seq:06d}{secrets.token_hex(6)}"
        stored = StoredFile(file_id, unique, kind, size, content, file_name, mime_type, duration)
        self.files[file_id] = stored
        return stored

    # ------------------------------------------------------------------ Bot API methods
    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_logout(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = _json_param(params.get("commands"), "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for cmd in commands:
            name, desc = cmd.get("command", ""), cmd.get("description", "")
            if not (1 <= len(name) <= 32) or not all(
                ch.islower() or ch.isdigit() or ch == "_" for ch in name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(desc) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or '{"type":"default"}'
        key = f"{_json_param(scope, 'scope') if isinstance(scope, str) else scope}|{params.get('language_code', '')}"
        self.commands[key] = commands
        return True

    async def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[Any]:
        scope = params.get("scope") or '{"type":"default"}'
        key = f"{_json_param(scope, 'scope') if isinstance(scope, str) else scope}|{params.get('language_code', '')}"
        return self.commands.get(key, [])

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url", "")
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256):
            raise ApiError(400, "Bad Request: secret token is invalid")
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._drop_pending()
        self.webhook = {"url": url, "secret_token": secret} if url else None
        if self.webhook:
            for pending in list(self._updates):
                self._deliver_webhook(pending)
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._drop_pending()
        self.webhook = None
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self.get_updates_calls += 1
        if self.first_get_updates_at is None:
            self.first_get_updates_at = time.monotonic()
        offset = _int_or_none(params.get("offset"))
        limit = min(100, max(1, _int_or_none(params.get("limit")) or 100))
        timeout = max(0, _int_or_none(params.get("timeout")) or 0)
        if offset is not None:
            self._acknowledge(offset)
        if self._poller is not None and not self._poller.done():
            self._poller.set_exception(
                ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure "
                    "that only one bot instance is running",
                )
            )
        deadline = time.monotonic() + timeout
        while not self._updates:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._new_update.clear()
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._poller = waiter
            wake: asyncio.Future[Any] = asyncio.ensure_future(self._new_update.wait())
            try:
                await asyncio.wait([wake, waiter], timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                wake.cancel()
            if waiter.done() and waiter.exception() is not None:
                exc = waiter.exception()
                assert isinstance(exc, ApiError)
                raise exc
            if not waiter.done():
                waiter.cancel()
            if self._runner is None:
                return []
        batch = self._updates[:limit]
        now = time.monotonic()
        for pending in batch:
            self.delivered_at.setdefault(pending.update_id, now)
        return [p.payload for p in batch]

    def _acknowledge(self, offset: int) -> None:
        keep = []
        for pending in self._updates:
            if pending.update_id < offset:
                if not pending.processed.done():
                    pending.processed.set_result(None)
            else:
                keep.append(pending)
        self._updates = keep

    def _drop_pending(self) -> None:
        for pending in self._updates:
            if not pending.processed.done():
                pending.processed.set_result(None)
        self._updates = []

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params)
        text = params.get("text")
        if text is None or text == "":
            raise ApiError(400, "Bad Request: message text is empty")
        plain, entities = self._parse(
            str(text), params.get("parse_mode"), params.get("entities"), field="entities"
        )
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._markup(params.get("reply_markup"))
        self._rate_limit(user.id)
        msg = self._new_message(
            user.id,
            from_bot=True,
            text=plain,
            entities=entities,
            source_html=str(text),
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
        )
        self._record("send", user.id, msg)
        return self._message_json(msg)

    async def _send_media(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = MEDIA_METHODS[method]
        user = self._chat(params)
        caption = params.get("caption")
        plain: str | None = None
        entities: list[Any] = []
        if caption:
            plain, entities = self._parse(
                str(caption),
                params.get("parse_mode"),
                params.get("caption_entities"),
                field="caption_entities",
            )
            if utf16_len(plain) > MAX_CAPTION:
                raise ApiError(400, "Bad Request: message caption is too long")
        stored = self._resolve_file(kind, params.get(kind), params.get("__uploads__") or {})
        markup = self._markup(params.get("reply_markup"))
        self._rate_limit(user.id)
        msg = self._new_message(
            user.id,
            from_bot=True,
            caption=plain or None,
            caption_entities=entities,
            source_html=str(caption) if caption else None,
            media_kind=kind,
            file=stored,
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
        )
        self._record("send", user.id, msg)
        return self._message_json(msg)

    def _resolve_file(
        self, kind: str, value: Any, uploads: dict[str, tuple[bytes, str | None, str | None]]
    ) -> StoredFile:
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            name = value[len("attach://") :]
            if name not in uploads:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            content, filename, mime = uploads[name]
            if not content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return self._store_file(kind, len(content), content=content, file_name=filename, mime_type=mime)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        stored = self.files.get(str(value))
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise ApiError(
                400, f"Bad Request: can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendphoto", params)

    async def _m_sendvideo(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendvideo", params)

    async def _m_sendvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendvoice", params)

    async def _m_sendaudio(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendaudio", params)

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("senddocument", params)

    def _bot_message(self, params: dict[str, Any], action: str) -> EmuMessage:
        user = self._chat(params, for_sending=False)
        if user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message_id = _int_or_none(params.get("message_id"))
        msg = self.messages.get((user.id, message_id or -1))
        if msg is None or msg.deleted or (action != "delete" and not msg.from_bot):
            target = "to delete" if action == "delete" else "to edit"
            raise ApiError(400, f"Bad Request: message {target} not found")
        return msg

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._bot_message(params, "edit")
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = params.get("text")
        if text is None or text == "":
            raise ApiError(400, "Bad Request: message text is empty")
        plain, entities = self._parse(
            str(text), params.get("parse_mode"), params.get("entities"), field="entities"
        )
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._markup(params.get("reply_markup"))
        if plain == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        self._rate_limit(msg.chat_id)
        msg.text, msg.entities, msg.source_html, msg.reply_markup = plain, entities, str(text), markup
        msg.edit_count += 1
        self._record("edit", msg.chat_id, msg)
        return self._message_json(msg)

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._bot_message(params, "edit")
        if msg.media_kind is None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = params.get("caption") or ""
        plain, entities = (
            self._parse(
                str(caption),
                params.get("parse_mode"),
                params.get("caption_entities"),
                field="caption_entities",
            )
            if caption
            else ("", [])
        )
        if utf16_len(plain) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = self._markup(params.get("reply_markup"))
        if (plain or None) == msg.caption and entities == msg.caption_entities and markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.reply_markup = plain or None, entities, markup
        msg.edit_count += 1
        self._record("edit", msg.chat_id, msg)
        return self._message_json(msg)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._bot_message(params, "edit")
        markup = self._markup(params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edit_count += 1
        self._record("edit", msg.chat_id, msg)
        return self._message_json(msg)

    async def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        msg = self._bot_message(params, "delete")
        msg.deleted = True
        self._record("delete", msg.chat_id, msg)
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        query = self._callbacks.get(query_id)
        if query is None or query.get("answered") or time.monotonic() - query["at"] > 15:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text") or ""
        if len(text) > MAX_ANSWER_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query["answered"] = True
        alert = params.get("show_alert") in (True, "true", "True")
        self._record(
            "answer", query["chat_id"], None, text=text, show_alert=alert, callback_query_id=query_id
        )
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        user = self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._record("action", user.id, None, action=params.get("action"))
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": f"{stored.kind}s/{stored.file_unique_id}",
        }

    async def _m_leavechat(self, params: dict[str, Any]) -> bool:
        """The emulator's chats are private: leaving one only records that the bot asked to."""
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        self._record("leave", chat_id, None)
        return True

    async def _m_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._chat(params, for_sending=False).as_chat()

    # ------------------------------------------------------------------ update injection (test side)
    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        username: str | None = None,
        language_code: str | None = "ru",
        last_name: str | None = None,
    ) -> EmuUser:
        """Create (or fetch) a Telegram user (``client.user_client`` wraps it for tests to act as)."""
        if user_id not in self.users:
            self.users[user_id] = EmuUser(user_id, first_name, last_name, username, language_code)
        return self.users[user_id]

    def push_update(self, payload: dict[str, Any], chat_id: int | None = None) -> PendingUpdate:
        update_id = next(self._update_seq)
        payload = {"update_id": update_id, **payload}
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending = PendingUpdate(update_id, payload, future, chat_id)
        self._updates.append(pending)
        self._new_update.set()
        if self.webhook:
            self._deliver_webhook(pending)
        return pending

    def _deliver_webhook(self, pending: PendingUpdate) -> None:
        task = asyncio.ensure_future(self._post_webhook(pending))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _post_webhook(self, pending: PendingUpdate) -> None:
        assert self.webhook is not None
        if self._webhook_http is None:
            self._webhook_http = aiohttp.ClientSession()
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        last_status = 0
        for _ in range(3):
            try:
                async with self._webhook_http.post(
                    self.webhook["url"], json=pending.payload, headers=headers
                ) as resp:
                    last_status = resp.status
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                last_status = -1
            await asyncio.sleep(0.2)
        with contextlib.suppress(ValueError):
            self._updates.remove(pending)
        if not pending.processed.done():
            if last_status == 200:
                pending.processed.set_result(None)
            else:
                pending.processed.set_exception(EmulatorError(f"webhook delivery failed: HTTP {last_status}"))

    async def wait_processed(self, pending: PendingUpdate, timeout: float = 20) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(pending.processed), timeout)
        except TimeoutError:
            raise EmulatorError(
                f"the bot did not process update {pending.update_id} within {timeout}s"
            ) from None

    def chat_events(self, chat_id: int, since: int = 0) -> list[ChatEvent]:
        return [e for e in self.events[since:] if e.chat_id == chat_id]

    async def wait_for_event(
        self, predicate: Callable[[ChatEvent], bool], *, since: int = 0, timeout: float = 10
    ) -> ChatEvent:
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for index in range(checked, len(self.events)):
                if predicate(self.events[index]):
                    return self.events[index]
            checked = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmulatorError("expected bot activity did not happen in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event_added.wait(), remaining)

    # ------------------------------------------------------------------ inspection
    def rejected(self) -> list[RecordedRequest]:
        """Requests Telegram would have refused as malformed (HTTP 400), excluding expected no-ops."""
        return [r for r in self.requests if r.status == 400]

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.lower()]

    def bot_messages(self, chat_id: int) -> list[EmuMessage]:
        return [m for (cid, _), m in sorted(self.messages.items()) if cid == chat_id and m.from_bot]


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        )
    actions = [
        k
        for k in (
            "callback_data",
            "url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "web_app",
            "login_url",
            "pay",
            "callback_game",
            "copy_text",
        )
        if k in button
    ]
    if len(actions) != 1:
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not (1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA):
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if (
            not isinstance(url, str)
            or not url.lower().startswith(("http://", "https://", "tg://"))
            or " " in url
        ):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _media_json(stored: StoredFile) -> dict[str, Any]:
    base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": stored.size}
    if stored.kind == "photo":
        return {"photo": [{**base, "width": 320, "height": 240}]}
    if stored.kind == "document":
        return {
            "document": {
                **base,
                "file_name": stored.file_name or "file.bin",
                "mime_type": stored.mime_type or "application/octet-stream",
            }
        }
    if stored.kind == "voice":
        return {
            "voice": {**base, "duration": stored.duration or 3, "mime_type": stored.mime_type or "audio/ogg"}
        }
    if stored.kind == "audio":
        return {
            "audio": {
                **base,
                "duration": stored.duration or 60,
                "file_name": stored.file_name or "audio.mp3",
                "mime_type": stored.mime_type or "audio/mpeg",
            }
        }
    return {
        "video": {
            **base,
            "width": 640,
            "height": 360,
            "duration": stored.duration or 5,
            "mime_type": stored.mime_type or "video/mp4",
        }
    }


def _json_param(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"<{len(v)} upload(s)>" if k == "__uploads__" else v) for k, v in params.items()}
