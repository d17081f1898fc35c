"""What `sigmatrade run` writes to stderr and its log file (sigmatrade.logging.setup_logging): our events
and other libraries' records as the same JSON lines, in the order they were logged, redacted, at the
stdlib's levels, written by the writer thread without a stop, and every pending line written by
``stop_logging``."""

from __future__ import annotations

import json
import logging
import logging.config
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from aiogram.exceptions import ClientDecodeError
from pydantic import BaseModel, ValidationError

from sigmatrade import logging as sl
from sigmatrade.context import request_id_var

TOKEN = "123456789:" + "A" * 35
NOISY = ("aiogram.event", "aiohttp.access", "web3", "urllib3", "asyncio")


class Stderr:
    """The process's stderr as the test's set-up saw it (pytest's capture of the test's own call)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._seen = ""

    def getvalue(self) -> str:
        self._seen += self._capsys.readouterr().err
        return self._seen


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    """stderr while logging is set up in the test; the set-up undone afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *NOISY)}
    handlers = list(root.handlers)
    try:
        yield Stderr(capsys)
    finally:
        sl.stop_logging()
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.reset_defaults()


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_our_events_and_foreign_records_become_the_same_lines_in_order(
    stderr: Stderr, tmp_path: Path
) -> None:
    log_file = tmp_path / "sigmatrade.log"
    sl.setup_logging("INFO", "json", str(log_file))
    token = request_id_var.set("req-1")
    try:
        sl.get_logger("sigmatrade.test").info("paid", amount=Decimal("1.500000000000000001"), note=TOKEN)
        logging.getLogger("aiogram.dispatcher").warning("foreign %s", TOKEN)
        sl.get_logger("sigmatrade.test").warning("last")
    finally:
        request_id_var.reset(token)
    sl.stop_logging()

    lines = _lines(log_file.read_text())
    assert _lines(stderr.getvalue()) == lines
    assert [(line["event"], line["level"], line["logger"]) for line in lines] == [
        ("paid", "info", "sigmatrade.test"),
        ("foreign [bot-token]", "warning", "aiogram.dispatcher"),
        ("last", "warning", "sigmatrade.test"),
    ]
    assert lines[0]["amount"] == "1.500000000000000001"  # exact, as text
    assert lines[0]["note"] == "[bot-token]"
    assert all(line["request_id"] == "req-1" for line in lines)
    assert all(str(line["timestamp"]).endswith("Z") for line in lines)


def test_the_stdlib_levels_decide_for_both_paths(stderr: Stderr) -> None:
    sl.setup_logging("INFO", "json")
    ours, foreign = sl.get_logger("sigmatrade.test"), logging.getLogger("some.library")
    ours.debug("hidden")
    ours.info("shown")
    sl.get_logger("asyncio").info("below asyncio's own level")  # set to WARNING by the set-up
    sl.set_level("WARNING")  # what the disk guard does at run time
    ours.info("hidden after")
    foreign.info("hidden too")
    ours.warning("still shown")
    foreign.error("foreign shown")
    sl.stop_logging()
    assert [line["event"] for line in _lines(stderr.getvalue())] == ["shown", "still shown", "foreign shown"]


def test_an_exception_is_logged_with_its_traceback(stderr: Stderr) -> None:
    sl.setup_logging("INFO", "json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sl.get_logger("sigmatrade.test").exception("failed")
    sl.stop_logging()
    (line,) = _lines(stderr.getvalue())
    assert line["level"] == "error"
    assert "RuntimeError: boom" in str(line["exception"])


def test_lines_are_written_without_a_stop(stderr: Stderr, tmp_path: Path) -> None:
    log_file = tmp_path / "sigmatrade.log"
    sl.setup_logging("INFO", "json", str(log_file))
    sl.get_logger("sigmatrade.test").info("soon")
    _wait_for("soon", log_file)
    assert [line["event"] for line in _lines(log_file.read_text())] == ["soon"]
    assert "soon" in stderr.getvalue()


def test_console_format_for_the_demo(stderr: Stderr) -> None:
    sl.setup_logging("INFO", "console")
    sl.get_logger("sigmatrade.demo").info("started", replica="r1")
    sl.stop_logging()
    (line,) = stderr.getvalue().splitlines()
    assert "started" in line and "replica=r1" in line and "[info" in line


def test_lines_are_still_written_after_a_library_closes_every_handler(stderr: Stderr, tmp_path: Path) -> None:
    """``logging.config`` closes every handler ever made, the log file's included: it is opened again."""
    log_file = tmp_path / "sigmatrade.log"
    sl.setup_logging("INFO", "json", str(log_file))
    sl.get_logger("sigmatrade.test").info("before")
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    sl.get_logger("sigmatrade.test").info("after")
    logging.getLogger("some.library").warning("foreign after")
    _wait_for("foreign after", log_file)
    assert [line["event"] for line in _lines(log_file.read_text())] == ["before", "after", "foreign after"]


def test_a_logger_kept_across_a_new_set_up_writes_to_the_new_outputs(stderr: Stderr, tmp_path: Path) -> None:
    sl.setup_logging("INFO", "json")
    kept = sl.get_logger("sigmatrade.test").bind(component="poller")
    log_file = tmp_path / "sigmatrade.log"
    sl.setup_logging("INFO", "json", str(log_file))
    kept.info("kept")
    sl.stop_logging()
    (line,) = _lines(log_file.read_text())
    assert (line["event"], line["component"]) == ("kept", "poller")


def test_a_log_file_that_cannot_be_opened_leaves_the_logging_as_it_was(
    stderr: Stderr, tmp_path: Path
) -> None:
    log_file = tmp_path / "sigmatrade.log"
    sl.setup_logging("INFO", "json", str(log_file))
    with pytest.raises(OSError):
        sl.setup_logging("INFO", "json", str(tmp_path / "missing" / "dir" / "x.log"))
    sl.get_logger("sigmatrade.test").info("still logged")
    sl.stop_logging()
    assert [line["event"] for line in _lines(log_file.read_text())] == ["still logged"]


def test_our_loggers_answer_the_stdlib_questions(stderr: Stderr) -> None:
    sl.setup_logging("WARNING", "json")
    log = sl.get_logger("sigmatrade.test")
    assert not log.isEnabledFor(logging.INFO) and log.isEnabledFor(logging.ERROR)
    assert log.name == "sigmatrade.test" and log.getEffectiveLevel() == logging.WARNING


def _wait_for(text: str, path: Path) -> None:
    deadline = time.monotonic() + 5
    while text not in (path.read_text() if path.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.01)


class _Form(BaseModel):
    amount: int


def test_a_validation_error_is_logged_without_the_inputs_it_quotes(stderr: Stderr) -> None:
    """pydantic's message quotes each invalid input (what a user typed, a financial password included)."""
    sl.setup_logging("INFO", "json")
    typed = "my-finpass-Secret1"
    try:
        try:
            _Form(amount=typed)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise RuntimeError("handler failed") from exc
    except RuntimeError:
        sl.get_logger("sigmatrade.errors").exception("update_failed")
    try:
        _Form(amount=typed)  # type: ignore[arg-type]
    except ValidationError:
        logging.getLogger("aiogram.dispatcher").exception("foreign")
    sl.stop_logging()
    ours, foreign = _lines(stderr.getvalue())
    for line in (ours, foreign):
        exception = str(line["exception"])
        assert typed not in exception
        assert "Traceback (most recent call last)" in exception
        assert "1 validation error(s) for _Form (inputs not logged)\namount\n" in exception
        assert "[type=int_parsing]" in exception
    assert "RuntimeError: handler failed" in str(ours["exception"])


def test_what_other_errors_quote_is_held_back_wherever_it_appears(stderr: Stderr) -> None:
    """aiogram's ClientDecodeError carries the Bot API's answer (a message as sent: a financial
    password); an exception group's members are indented by the stdlib; asyncio's "exception was never
    retrieved" copies the error into its message; a job's last error is kept for admins."""
    typed = "my-finpass-Secret1"
    try:
        _Form(amount=typed)  # type: ignore[arg-type]
    except ValidationError as exc:
        invalid = exc
    decode = ClientDecodeError("Failed to deserialize object", invalid, {"text": f"Your password: {typed}"})
    group = ExceptionGroup("lanes", [RuntimeError("other"), invalid])
    sl.setup_logging("INFO", "json")
    sl.get_logger("sigmatrade.errors").error("update_failed", exc_info=decode)
    sl.get_logger("sigmatrade.errors").error("update_failed", exc_info=group)
    logging.getLogger("asyncio").error("Task exception was never retrieved: %r", invalid, exc_info=invalid)
    sl.stop_logging()
    lines = _lines(stderr.getvalue())
    assert len(lines) == 3
    assert typed not in stderr.getvalue()
    assert "Failed to deserialize object (the answer is not logged)" in str(lines[0]["exception"])
    assert "inputs not logged" in str(lines[1]["exception"])
    assert "Task exception was never retrieved" in str(lines[2]["event"])
    assert typed not in sl.safe_message(decode) and typed not in sl.safe_message(invalid)


def test_an_error_that_cannot_be_rendered_is_logged_by_its_type(stderr: Stderr) -> None:
    class Unprintable(ClientDecodeError):
        def __str__(self) -> str:
            raise RuntimeError("no")

    sl.setup_logging("INFO", "json")
    sl.get_logger("sigmatrade.errors").error("update_failed", exc_info=Unprintable("m", ValueError(), {}))
    sl.stop_logging()
    (line,) = _lines(stderr.getvalue())
    assert line["event"] == "update_failed" and "Unprintable" in str(line["exception"])
