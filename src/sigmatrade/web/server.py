"""One small HTTP server: /livez, /readyz, /healthz, /metrics and the webhook endpoint (SPEC §9.4, §10.3).

It is aiohttp's low-level server with a table of five routes: ``aiohttp.web``'s application, router and
runner would add 1 MB to every process's idle RSS for no more than that table (docs/decisions.md,
"The HTTP server")."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.web_exceptions import HTTPRequestEntityTooLarge
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import Response, json_response
from aiohttp.web_server import Server
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from sigmatrade import __version__, metrics
from sigmatrade.db import schema
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime

log = get_logger("sigmatrade.http")
MAX_WEBHOOK_BODY = 1024 * 1024  # a request's body is read up to this, with a length or without one
BOT_API_CACHE_SECONDS = 30.0

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]
Endpoint = Callable[[BaseRequest], Awaitable[Response]]
# How long a stop waits for requests being answered before it cancels them (and as long again for the
# cancelled ones to end); the webhook's pending updates are cancelled first.
SHUTDOWN_SECONDS = 10.0


class HttpServer:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._server: Server | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._routes: dict[tuple[str, str], Endpoint] = {}
        self.port = 0
        self.ready_flags: dict[str, bool] = {}
        self.webhook_handler: UpdateHandler | None = None
        self.accepting_updates = True
        self._bot_api_cache: tuple[float, dict[str, Any]] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def routes(self) -> dict[tuple[str, str], Endpoint]:
        """(method, path) -> endpoint; a GET endpoint answers HEAD too."""
        return {
            ("GET", "/livez"): self.livez,
            ("GET", "/readyz"): self.readyz,
            ("GET", "/healthz"): self.healthz,
            ("GET", "/metrics"): self.metrics,
            ("POST", self.rt.config.webhook_path): self.webhook,
        }

    async def start(self, host: str, port: int) -> None:
        self._routes = self.routes()
        loop = asyncio.get_running_loop()

        def request(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> BaseRequest:
            return BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=MAX_WEBHOOK_BODY
            )

        self._server = Server(self._dispatch, request_factory=request, access_log=None)
        self._listener = await loop.create_server(self._server, host, port, backlog=128)
        sockets = self._listener.sockets
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
        listener, server = self._listener, self._server
        self._listener = self._server = None
        if listener is not None:
            listener.close()  # no new connections
        if server is not None:
            await asyncio.sleep(0)  # requests already read start to be handled before idle connections close
            server.pre_shutdown()
            await server.shutdown(SHUTDOWN_SECONDS)

    async def _dispatch(self, request: BaseRequest) -> Response:
        # As aiohttp's router matches: percent-escapes decoded, except an encoded "/" or "%".
        path = request.rel_url.path_safe
        method = "GET" if request.method == "HEAD" else request.method
        endpoint = self._routes.get((method, path))
        if endpoint is not None:
            return await endpoint(request)
        allowed = sorted({m for m, known in self._routes if known == path})
        if "GET" in allowed:
            allowed.append("HEAD")
        if allowed:
            return Response(status=405, text="405: Method Not Allowed", headers={"Allow": ",".join(allowed)})
        return Response(status=404, text="404: Not Found")

    # ---------------------------------------------------------------- probes
    async def livez(self, _: BaseRequest) -> Response:
        return json_response({"status": "alive"})

    async def _check_db(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            async with self.rt.db.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 5)
        except Exception as exc:
            return {"status": "down", "error": type(exc).__name__}
        latency = (time.perf_counter() - started) * 1000
        return {"status": "ok" if latency < 100 else "degraded", "latency_ms": round(latency, 2)}

    async def _check_redis(self) -> dict[str, Any] | None:
        if self.rt.redis is None:
            return None
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.rt.redis.ping(), 2)
        except Exception as exc:
            return {"status": "down", "error": type(exc).__name__}
        latency = (time.perf_counter() - started) * 1000
        return {"status": "ok" if latency < 50 else "degraded", "latency_ms": round(latency, 2)}

    async def _check_bot_api(self) -> dict[str, Any]:
        if self.rt.bot is None:
            return {"status": "not_configured"}
        now = time.monotonic()
        if self._bot_api_cache and now - self._bot_api_cache[0] < BOT_API_CACHE_SECONDS:
            return self._bot_api_cache[1]
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.rt.bot.get_me(), 5)
            latency = (time.perf_counter() - started) * 1000
            result = {"status": "ok" if latency < 1000 else "degraded", "latency_ms": round(latency, 2)}
        except Exception as exc:
            result = {"status": "down", "error": type(exc).__name__}
        self._bot_api_cache = (now, result)
        return result

    async def _check_chain(self) -> dict[str, Any]:
        chain = self.rt.chain
        if chain is None:
            if not self.rt.config.bsc_rpc_urls:
                return {"status": "not_configured", "reason": "BSC_RPC_URLS is empty"}
            return {"status": "not_configured"}
        try:
            return dict(await chain.health())
        except Exception as exc:
            return {"status": "down", "error": type(exc).__name__}

    async def readyz(self, _: BaseRequest) -> Response:
        checks: dict[str, Any] = {"database": await self._check_db()}
        redis = await self._check_redis()
        if redis is not None:
            checks["redis"] = redis
        if checks["database"]["status"] != "down":
            try:
                at_head = await schema.is_at_head(self.rt.db.engine)
            except Exception:
                at_head = False
            checks["schema"] = {"status": "ok" if at_head else "down"}
        for name, flag in self.ready_flags.items():
            checks[name] = {"status": "ok" if flag else "down"}
        failing = [name for name, check in checks.items() if check["status"] == "down"]
        body = {"status": "ready" if not failing else "not_ready", "failing": failing, "checks": checks}
        return json_response(body, status=200 if not failing else 503)

    async def healthz(self, _: BaseRequest) -> Response:
        checks: dict[str, Any] = {"database": await self._check_db()}
        redis = await self._check_redis()
        if redis is not None:
            checks["redis"] = redis
        checks["bot_api"] = await self._check_bot_api()
        checks["chain"] = await self._check_chain()
        if checks["database"]["status"] == "down" or (redis is not None and redis["status"] == "down"):
            status, code = "down", 503
        elif any(checks[k]["status"] in ("down", "degraded") for k in ("bot_api", "chain")) or any(
            c["status"] == "degraded" for c in checks.values()
        ):
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        body = {
            "status": status,
            "version": __version__,
            "environment": self.rt.config.environment,
            "uptime_s": round(time.monotonic() - self.rt.started_at, 1),
            "checks": checks,
        }
        return json_response(body, status=code)

    async def metrics(self, _: BaseRequest) -> Response:
        return Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # ---------------------------------------------------------------- webhook
    def _ip_allowed(self, request: BaseRequest) -> bool:
        allowed = self.rt.config.webhook_allowed_ips
        if not allowed:
            return True
        try:
            remote = ipaddress.ip_address(request.remote or "")
        except ValueError:
            return False
        return any(remote in ipaddress.ip_network(cidr, strict=False) for cidr in allowed)

    @staticmethod
    async def _continue(request: BaseRequest) -> bool:
        """A client that asked to be told before it sends the body (``Expect: 100-continue``) is told,
        once the request passed every check that needs no body; False for an expectation not met."""
        expect = request.headers.get("Expect")
        if not expect or request.version != (1, 1):
            return True
        if expect.lower() != "100-continue":
            return False
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await request.writer.drain()
        request.writer.output_size = 0  # the response's own size starts after the interim one
        return True

    async def webhook(self, request: BaseRequest) -> Response:
        config = self.rt.config
        if not config.webhook_url or self.webhook_handler is None:
            return Response(status=404)
        expected = config.webhook_secret.get_secret_value() if config.webhook_secret else ""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("webhook_rejected", reason="secret", remote=request.remote)
            return Response(status=403)
        if not self._ip_allowed(request):
            log.warning("webhook_rejected", reason="ip", remote=request.remote)
            return Response(status=403)
        if not self.accepting_updates:
            return Response(status=503)
        if (request.content_length or 0) > MAX_WEBHOOK_BODY:
            return Response(status=413)
        if not await self._continue(request):
            return Response(status=417, text="417: Expectation Failed")
        try:
            payload = json.loads(await request.read())
        except HTTPRequestEntityTooLarge:  # a body without a length, read to over the limit
            return Response(status=413)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, a number too long, nesting too deep
            return Response(status=400)
        task = asyncio.ensure_future(self.webhook_handler(payload))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        # 200 only once the update was handled (on its user's lane, never behind another user's
        # update): an answered update is never lost; one cut off by a shutdown is redelivered.
        await task
        return json_response({"ok": True})
