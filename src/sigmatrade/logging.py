"""Structured logging (SPEC §9.2): JSON (or console) lines with the request id, and redaction."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import logging.handlers
import re
import sys
import threading
import traceback
import weakref
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.stdlib import NAME_TO_LEVEL

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


def _exception_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``exc_info`` (True, an exception or a tuple) rendered as ``exception`` by ``format_exception``;
    the texts it holds back are replaced in the line's other strings too (asyncio's "exception was
    never retrieved" quotes the error in its message)."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    elif not isinstance(exc_info, tuple):
        exc_info = sys.exc_info()
    if exc_info[1] is None:
        return event_dict
    text, held_back = format_exception(exc_info[1])
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = _hold_back(value, held_back)
    event_dict["exception"] = text
    return event_dict


def format_exception(exc: BaseException) -> tuple[str, list[tuple[str, str]]]:
    """A traceback as the stdlib prints it, without what some errors' messages quote, wherever such an
    error sits in the chain (causes, contexts, groups) and wherever its text is copied into another
    message: a pydantic ``ValidationError``'s inputs (what a user typed, a financial password
    included), PostgreSQL's DETAIL (the failing row: a finpass hash, an encrypted key), aiogram's
    ``ClientDecodeError``'s content (a Bot API answer: a message as sent). Also the (original, shown)
    texts it replaced. Never raises: a chain it cannot render safely is shown by its types only."""
    try:
        safe = _safe_messages(exc)
        report = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
        _show_safe(report, exc, safe, set())
        held_back = _held_back(safe)
        return _hold_back("".join(report.format()).rstrip("\n"), held_back), held_back
    except Exception:
        return f"{type(exc).__name__} (its traceback could not be rendered safely, so it is not logged)", []


def safe_message(exc: BaseException) -> str:
    """``str(exc)`` without what ``format_exception`` holds back: for an error kept outside the log (a
    job's last error, shown to admins)."""
    texts = _texts(exc)
    if not texts:
        return "(its message could not be rendered)"
    try:
        return _hold_back(texts[0], _held_back(_safe_messages(exc)))
    except Exception:
        return "(its message could not be rendered safely, so it is not kept)"


def _held_back(safe: dict[int, tuple[BaseException, str]]) -> list[tuple[str, str]]:
    """Each such error's own texts (str and repr) with what is shown instead, longest first: a copy
    inside another error's text is replaced before the shorter texts it contains."""
    return sorted(
        ((original, shown) for error, shown in safe.values() for original in _texts(error)),
        key=lambda pair: -len(pair[0]),
    )


def _hold_back(text: str, held_back: list[tuple[str, str]]) -> str:
    for original, shown in held_back:
        if original and original in text:
            text = text.replace(original, shown)
    return text


def _texts(error: BaseException) -> list[str]:
    texts = []
    for render in (str, repr):
        with contextlib.suppress(Exception):
            texts.append(render(error))
    return texts


def _safe_messages(exc: BaseException) -> dict[int, tuple[BaseException, str]]:
    """What to show instead of each such error's own message in ``exc``'s chain, by the error's id."""
    from pydantic_core import ValidationError

    # The drivers' error types where they are loaded (this layer depends on neither): asyncpg only where
    # PostgreSQL is used, aiogram by the bot.
    asyncpg, aiogram = sys.modules.get("asyncpg"), sys.modules.get("aiogram.exceptions")
    postgres_error = asyncpg.PostgresError if asyncpg is not None else ()
    decode_error = aiogram.ClientDecodeError if aiogram is not None else ()
    safe: dict[int, tuple[BaseException, str]] = {}
    pending: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ValidationError):
            safe[id(current)] = (current, _without_inputs(current))
        elif decode_error and isinstance(current, decode_error):
            safe[id(current)] = (current, f"{current.message} (the answer is not logged)")
        elif postgres_error and isinstance(current, postgres_error):
            safe[id(current)] = (current, f"{current.args[0] if current.args else ''} (detail not logged)")
        extra = [current.original] if decode_error and isinstance(current, decode_error) else []
        pending += [current.__cause__, current.__context__, *getattr(current, "exceptions", ()), *extra]
    return safe


def _show_safe(
    report: traceback.TracebackException,
    exc: BaseException | None,
    safe: dict[int, tuple[BaseException, str]],
    seen: set[int],
) -> None:
    """Set each report node's message (and drop its notes) where its error is in ``safe``."""
    if exc is None or id(exc) in seen:
        return
    seen.add(id(exc))
    if id(exc) in safe:
        report._str = safe[id(exc)][1]  # type: ignore[attr-defined]  # what format_exception_only prints
        report.__notes__ = None
    if report.__cause__ is not None:
        _show_safe(report.__cause__, exc.__cause__, safe, seen)
    if report.__context__ is not None:
        _show_safe(report.__context__, exc.__context__, safe, seen)
    for sub_report, sub in zip(report.exceptions or (), getattr(exc, "exceptions", ()), strict=False):
        _show_safe(sub_report, sub, safe, seen)


def validation_problems(error: Any) -> list[tuple[str, str, str]]:
    """A pydantic ``ValidationError``'s problems without the inputs (they may be what a user typed):
    where (the dotted location), the message and the error type, for each."""
    return [
        (".".join(str(part) for part in item["loc"]), item["msg"], item["type"])
        for item in error.errors(include_input=False, include_url=False)
    ]


def _without_inputs(error: Any) -> str:
    lines = [f"{error.error_count()} validation error(s) for {error.title} (inputs not logged)"]
    for where, message, kind in validation_problems(error):
        lines.append(where or "(the whole value)")
        lines.append(f"  {message} [type={kind}]")
    return "\n".join(lines)


def setup_logging(level: str = "INFO", fmt: str = "json", log_file: str | None = None) -> None:
    """Configure stdlib logging + structlog once for the process.

    Our own events (structlog) are rendered on the caller's thread and handed to the writer as lines,
    without passing through the stdlib's records and handlers: 13-14 µs a line instead of 34 (one per
    update). Other libraries' records (stdlib loggers) go through a root handler that renders them with
    the same processors. The level of both is the stdlib's (``set_level``)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _request_id_processor,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _stringify_decimals,
        _exception_processor,
        _redaction_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    # The outputs first: a log file that cannot be opened leaves the logging in place as it was.
    outputs: list[logging.StreamHandler[Any]] = [logging.StreamHandler(sys.stderr)] if sys.stderr else []
    if log_file:
        outputs.append(
            logging.handlers.TimedRotatingFileHandler(
                log_file, when="midnight", backupCount=14, utc=True, errors="backslashreplace"
            )
        )
    stop_logging()
    writer = _WRITER["current"] = _Writer(outputs)
    structlog.configure(
        processors=[_enabled, *shared, renderer],
        logger_factory=_LineLogger,
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    foreign = _ForeignRecords()
    foreign.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _ForeignRecords):
            root.removeHandler(old)
    root.addHandler(foreign)
    writer.start()
    root.setLevel(level)
    for noisy in ("aiogram.event", "aiohttp.access", "web3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _enabled(logger: _LineLogger, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Drop an event below the level of its stdlib logger of the same name (the first processor)."""
    if logger.levels.isEnabledFor(NAME_TO_LEVEL[method_name]):  # structlog's table (exception: ERROR)
        return event_dict
    raise structlog.DropEvent


def _put(line: str) -> None:
    """A rendered line to the current writer (a logger bound before a new set-up writes to the new
    one); lost when logging is stopped, as records were after the stdlib's listener stopped."""
    writer = _WRITER.get("current")
    if writer is not None:
        writer.put(line)


class _LineLogger:
    """structlog's logger (its factory: ``get_logger(name)`` makes one): hands each rendered event to the
    writer. ``levels`` is the stdlib logger of the same name: its effective level decides what is logged
    (``set_level``, per-library levels), and the stdlib attributes (``isEnabledFor``, ``level``...) are
    its. Our events do not pass through the stdlib's handlers: a handler, filter or ``propagate=False``
    on a named logger, or another root handler (pytest's caplog), does not see them."""

    __slots__ = ("levels", "name")

    def __init__(self, name: str | None = None, *_: Any) -> None:
        self.name = name or "root"
        self.levels = logging.getLogger(name)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "levels":  # not set yet (copying): no stdlib logger to ask
            raise AttributeError(attr)
        return getattr(self.levels, attr)

    debug = info = warning = warn = error = exception = critical = fatal = msg = staticmethod(_put)


class _ForeignRecords(logging.Handler):
    """Other libraries' stdlib records, rendered like our events and handed to the same writer."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _put(self.format(record))
        except Exception:
            self.handleError(record)


FLUSH_EVERY = 0.05  # seconds between the writer's rounds


class _Writer:
    """One thread writes the lines to stderr and the log file, in the order they were logged, in one
    write per output every ``FLUSH_EVERY`` seconds. Logging never waits for a write, and never wakes the
    thread: a deque's append is atomic, and the thread wakes on its own (a wake-up per line, with the
    thread then taking the interpreter lock from the event loop, cost more than the line itself). Lines
    not yet written when the process is killed are lost; a graceful stop writes them (``stop_logging``)."""

    def __init__(self, outputs: list[logging.StreamHandler[Any]]) -> None:
        self.outputs = outputs
        self._lines: deque[str] = deque()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def put(self, line: str) -> None:
        self._lines.append(line)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._write()
        for output in self.outputs:
            if isinstance(output, logging.FileHandler):
                output.close()

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_EVERY):
            try:
                self._write()
            except Exception:  # the thread must not die: every later line would pile up unwritten
                with contextlib.suppress(Exception):
                    traceback.print_exc()

    def _write(self) -> None:
        lines: list[str] = []
        with contextlib.suppress(IndexError):
            while True:
                lines.append(self._lines.popleft())
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        for output in self.outputs:
            _write_to(output, text)


# The batch, where a stdlib handler method takes a record (shouldRollover: only the time counts).
_BATCH = logging.makeLogRecord({})


def _write_to(output: logging.StreamHandler[Any], text: str) -> None:
    """One output's write, as the stdlib's handlers would: a log file closed under us (a library's
    ``logging.config`` closes every handler) is opened again; a failure is reported on stderr
    (``handleError``) and loses this write only."""
    output.acquire()
    try:
        if isinstance(output, logging.FileHandler) and output.stream is None:
            output.stream = output._open()
        if isinstance(output, logging.handlers.TimedRotatingFileHandler) and output.shouldRollover(_BATCH):
            output.doRollover()
        output.stream.write(text)
        output.stream.flush()
    except Exception:
        if not getattr(output.stream, "closed", False):  # a closed stderr (test runners): nothing to say
            output.handleError(_BATCH)
    finally:
        output.release()


_WRITER: dict[str, _Writer] = {}


def stop_logging() -> None:
    """Write out every pending line and stop the writer thread (at exit, or before a new setup)."""
    writer = _WRITER.pop("current", None)
    if writer is not None:
        writer.stop()


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
