"""Structured logging (SPEC §9.2): JSON (or console) lines with the request id, and redaction."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import logging.handlers
import re
import sys
import weakref
from collections.abc import MutableMapping
from queue import SimpleQueue
from typing import Any

import structlog

from sigmatrade.context import request_id_var

_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # Telegram bot token
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b"), "[bot-token]"),
    # Authorization headers
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(\S+(\s+\S+)?)"), r"\1[redacted]"),
    # 64-hex private keys (with or without 0x) -- tx hashes are 64 hex too, so only when labelled or bare 0x-less
    (re.compile(r"(?i)\b(private[_ ]?key\W{0,3})(0x)?[0-9a-f]{64}\b"), r"\1[private-key]"),
    (re.compile(r"(?<![0-9a-fA-Fx])[0-9a-fA-F]{64}(?![0-9a-fA-F])"), "[hex64]"),
    # master key pattern: four dash-separated groups of four
    (re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b"), "[master-key]"),
    # mnemonic-like sequences of 12 or 24 lower-case words
    (re.compile(r"\b(?:[a-z]{3,8}\s+){11}[a-z]{3,8}(?:(?:\s+[a-z]{3,8}){12})?\b"), "[mnemonic]"),
    # e-mails -> ***@domain
    (re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b"), r"***@\1"),
    # phone numbers: keep the last 4 digits
    (re.compile(r"\+\d{4,11}(\d{4})\b"), r"+***\1"),
    # URL paths/queries of RPC endpoints (may hold API keys): keep scheme://host
    (re.compile(r"\b(https?://[^/\s?#]+)[/?#][^\s\"']*"), r"\1/…"),
]

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Values redacted verbatim wherever they appear (bot token, encryption key, webhook secret)."""
    if value and len(value) >= 6:
        _secrets.add(value)


# No pattern above matches fewer characters than this, except the three with a literal marker ("@",
# "+", "://"); the shortest of the rest is "authorization:x". Shorter strings without a marker (most
# values of a log line: event names, outcomes, callback data) skip the patterns.
_SHORTEST_MATCH = 15


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[secret]")
    if len(text) < _SHORTEST_MATCH and "@" not in text and "+" not in text and "://" not in text:
        return text
    return _apply_patterns(text)


def _apply_patterns(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def _redaction_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key in ("timestamp", "level", "logger"):
            continue
        event_dict[key] = _redact_value(value)
    return event_dict


def _request_id_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    rid = request_id_var.get()
    if rid is not None and "request_id" not in event_dict:
        event_dict["request_id"] = rid
    return event_dict


def _stringify_decimals(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    from decimal import Decimal

    for key, value in list(event_dict.items()):
        if isinstance(value, Decimal):
            event_dict[key] = str(value)
    return event_dict


def setup_logging(level: str = "INFO", fmt: str = "json", log_file: str | None = None) -> None:
    """Configure stdlib logging + structlog once for the process."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _request_id_processor,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _stringify_decimals,
        structlog.processors.format_exc_info,
        _redaction_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    # Each record is rendered once, on the caller's thread (QueueHandler.prepare), and written by a
    # listener thread: the event loop never waits for a write to stderr or the log file. Lines still
    # queued when the process is killed are lost (a graceful stop flushes them: ``stop_logging``).
    outputs: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        outputs.append(
            logging.handlers.TimedRotatingFileHandler(log_file, when="midnight", backupCount=14, utc=True)
        )
    plain = logging.Formatter("%(message)s")
    for output in outputs:
        output.setFormatter(plain)
    queue: SimpleQueue[logging.LogRecord] = SimpleQueue()
    handler = logging.handlers.QueueHandler(queue)
    handler.setFormatter(formatter)
    handler._sigmatrade = True  # type: ignore[attr-defined]
    stop_logging()
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sigmatrade", False):
            root.removeHandler(old)
    root.addHandler(handler)
    listener = logging.handlers.QueueListener(queue, *outputs)
    listener.start()
    _LISTENER["current"] = listener
    root.setLevel(level)
    for noisy in ("aiogram.event", "aiohttp.access", "web3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


_LISTENER: dict[str, logging.handlers.QueueListener] = {}


def stop_logging() -> None:
    """Write out every queued line and stop the writer thread (at exit, or before a new setup)."""
    listener = _LISTENER.pop("current", None)
    if listener is not None:
        listener.stop()
        for output in listener.handlers:
            with contextlib.suppress(ValueError, OSError):  # a stream already closed (test runners)
                output.flush()


atexit.register(stop_logging)


def set_level(level: str) -> None:
    """Runtime level change (used by the disk guard)."""
    logging.getLogger().setLevel(level)


def get_logger(name: str | None = None) -> Any:
    return structlog.stdlib.get_logger(name)


# ------------------------------------------------------------ where a coroutine waits (watchdog, guards)
_helpers: weakref.WeakKeyDictionary[asyncio.Task[Any], asyncio.Task[Any]] = weakref.WeakKeyDictionary()


def helped_by(helper: asyncio.Task[Any]) -> None:
    """The current task will wait for ``helper`` (work it started early, in a task of its own):
    ``awaiting_stack`` follows into the helper while it runs, where the await chain itself cannot."""
    with contextlib.suppress(RuntimeError):
        current = asyncio.current_task()
        if current is not None:
            _helpers[current] = helper


def awaiting_stack(task: asyncio.Task[Any] | None, *, limit: int = 20) -> str:
    """``file:line in function`` for each coroutine in the task's await chain (outermost first), then
    the chain of a helper task it waits for (``helped_by``) while that one runs."""
    lines: list[str] = []
    while task is not None and len(lines) < limit:
        coro: Any = task.get_coro()
        while coro is not None and len(lines) < limit:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is None:
                break
            lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        helper = _helpers.get(task)
        task = helper if helper is not None and not helper.done() else None
    return "\n".join(lines)


def current_stack() -> str:
    try:
        return awaiting_stack(asyncio.current_task())
    except RuntimeError:
        return ""
