"""A JSON-RPC proxy in front of anvil whose behaviour tests switch at will.

Modes: ``forward`` (default), ``http_500`` (or any ``http_status``), ``hang`` (no answer until the mode
changes — then answered as the new mode says — or the proxy stops), ``refuse`` (the listening socket is
closed: connection refused), ``garbage`` (HTTP 200 with a non-JSON body), ``nested`` (HTTP 200 with
JSON nested deeper than the interpreter reads). Per method: JSON-RPC errors (``fail_method``), a
different chain id (``chain_id``), a head that lags (``head_lag``), an added delay (``delay``), and an
``eth_getLogs`` block-range limit (``max_log_range``: wider ranges get the error real providers send).
Chain views that lie or lag: ``null_results`` (the named methods answer a JSON-RPC ``null`` result, like
a node that lost or never indexed the object), ``null_receipts`` (an alias: True/False adds/removes
``eth_getTransactionReceipt`` in ``null_results``), ``logs_lag`` (``eth_getLogs`` leaves out the logs of the
last N blocks below the head, like a node whose log index lags its head), ``receipt_status`` (every
receipt it serves carries this status instead of the chain's, like a lying node), ``forked_blocks`` (for
these heights ``eth_getBlockByNumber`` answers a block with another hash, like a node on a fork),
``fixed_results`` (the named methods always answer the given result, like a node that lies).
Every request is counted per method (``count``) and the peak of concurrent requests is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

from sigmatrade.sandbox.chain import free_port

RECEIPT = "eth_getTransactionReceipt"


class RpcProxy:
    def __init__(self, target: str, *, port: int | None = None) -> None:
        self.target = target
        self.port = port or free_port()
        self.mode = "forward"
        self.http_status = 500
        self.delay = 0.0
        self.chain_id: int | None = None
        self.head_lag = 0
        self.logs_lag = 0
        self.max_log_range: int | None = None
        self.range_refusals = 0
        self.method_errors: dict[str, tuple[int, str]] = {}
        self.null_results: set[str] = set()
        self.fixed_results: dict[str, Any] = {}
        self.receipt_status: int | None = None
        self.forked_blocks: set[int] = set()
        self.requests: Counter[str] = Counter()
        self.inflight = 0
        self.peak_inflight = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._release = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def null_receipts(self) -> bool:
        return RECEIPT in self.null_results

    @null_receipts.setter
    def null_receipts(self, value: bool) -> None:
        if value:
            self.null_results.add(RECEIPT)
        else:
            self.null_results.discard(RECEIPT)

    def count(self, method: str | None = None) -> int:
        return self.requests[method] if method else sum(self.requests.values())

    # ------------------------------------------------------------------ control
    def set_mode(self, mode: str) -> None:
        if self.mode == "hang" and mode != "hang":
            self._release.set()
        if mode == "hang":
            self._release = asyncio.Event()
        self.mode = mode

    def fail_method(self, method: str, code: int, message: str) -> None:
        """Answer ``method`` with a JSON-RPC error (HTTP 200) until ``clear_errors``."""
        self.method_errors[method] = (code, message)

    def clear_errors(self) -> None:
        self.method_errors.clear()

    async def refuse(self) -> None:
        """Close the listening socket: new connections are refused."""
        self.mode = "refuse"
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restore(self) -> None:
        """Listen again on the same port, forwarding."""
        self.set_mode("forward")
        if self._runner is None:
            await self._listen()

    # ------------------------------------------------------------------ lifecycle
    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def start(self) -> RpcProxy:
        self._client = aiohttp.ClientSession()
        await self._listen()
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def __aenter__(self) -> RpcProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ handling
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        method = str(body.get("method"))
        self.requests[method] += 1
        self.inflight += 1
        self.peak_inflight = max(self.peak_inflight, self.inflight)
        try:
            return await self._answer(body, method)
        finally:
            self.inflight -= 1

    async def _answer(self, body: dict[str, Any], method: str) -> web.StreamResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "hang":
            with contextlib.suppress(asyncio.CancelledError):
                await self._release.wait()
            if self.mode == "hang":  # cancelled (proxy stopping)
                return web.Response(status=503)
            # released: answer as the new mode says (a slow answer, not an error)
        if self.mode == "http_500":
            return web.Response(status=self.http_status, text="upstream error")
        if self.mode == "garbage":
            return web.Response(status=200, text="<html>maintenance</html>")
        if self.mode == "nested":
            return web.Response(status=200, text="[" * 200_000, content_type="application/json")
        if method in self.method_errors:
            code, message = self.method_errors[method]
            return web.json_response(
                {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": code, "message": message}}
            )
        if method in self.null_results:
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": None})
        if method in self.fixed_results:
            result = self.fixed_results[method]
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": result})
        if method == "eth_getLogs" and self.max_log_range is not None and self._too_wide(body):
            self.range_refusals += 1
            error = {"code": -32005, "message": f"block range is too large (max {self.max_log_range})"}
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "error": error})
        if method == "eth_chainId" and self.chain_id is not None:
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": hex(self.chain_id)})
        assert self._client is not None
        async with self._client.post(self.target, json=body) as resp:
            data = json.loads(await resp.read())
        block = data.get("result") if method == "eth_getBlockByNumber" else None
        if isinstance(block, dict) and int(str(block["number"]), 16) in self.forked_blocks:
            block["hash"] = "0x" + "f0" * 32
        if method == RECEIPT and self.receipt_status is not None and isinstance(data.get("result"), dict):
            data["result"]["status"] = hex(self.receipt_status)
        if method == "eth_blockNumber" and self.head_lag and "result" in data:
            data["result"] = hex(max(0, int(data["result"], 16) - self.head_lag))
        if method == "eth_getLogs" and self.logs_lag and isinstance(data.get("result"), list):
            head = await self._head()
            indexed = head - self.logs_lag
            data["result"] = [e for e in data["result"] if int(str(e["blockNumber"]), 16) <= indexed]
        return web.json_response(data)

    async def _head(self) -> int:
        assert self._client is not None
        body = {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}
        async with self._client.post(self.target, json=body) as resp:
            return int(json.loads(await resp.read())["result"], 16) - self.head_lag

    def _too_wide(self, body: dict[str, Any]) -> bool:
        assert self.max_log_range is not None
        params = body.get("params") or [{}]
        query = params[0] if isinstance(params[0], dict) else {}
        try:
            start, end = int(str(query["fromBlock"]), 16), int(str(query["toBlock"]), 16)
        except (KeyError, ValueError):
            return False
        return end - start + 1 > self.max_log_range
