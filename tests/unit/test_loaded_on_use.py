"""Libraries a running service needs only for some work are loaded when that work first runs, not at
start-up: their memory would count in every process's idle RSS (docs/performance.md, "Idle RSS").
A fresh interpreter imports what `sigmatrade run` imports (the app, every router, every job) and none of
them may be there yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

LOADED_ON_USE = {
    "argon2": "password hashing: the first finpass, master key or recovery",
    "sqlite3": "on PostgreSQL, only a SQLite backup or restore uses it",
    "cryptography.hazmat.primitives.ciphers.aead": "the first encryption (7 MB)",
    "matplotlib": "the first chart",
    "web3": "never by the service",
    "psutil": "not on Linux (ops/readings.py reads /proc)",
    "statistics": "never (0.2 MB for one median: chain/provider computes it)",
    "sqlalchemy.dialects.sqlite": "on PostgreSQL, never (0.6 MB: db/base.py's where())",
    "aiohttp.web_app": "never: the HTTP server is aiohttp's low-level one (1 MB: web/server.py)",
}

_PROBE = """
import json, sys
import sigmatrade.cli, sigmatrade.app, sigmatrade.bot.factory
from sigmatrade.jobs import scheduler
scheduler.discover()
print(json.dumps(sorted(sys.modules)))
"""


def test_start_up_imports_leave_the_libraries_of_occasional_work_unloaded() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert "sigmatrade.jobs.tasks.backup" in loaded  # the probe did import the jobs
    early = {name: why for name, why in LOADED_ON_USE.items() if name in loaded}
    assert early == {}


def test_the_service_keeps_pythons_own_mime_table() -> None:
    """The standard library's HTTP server (imported by prometheus-client) reads the system's mime.types
    (0.37 MB): ``sigmatrade`` keeps Python's built-in table, which still knows what the bot uploads."""
    probe = _PROBE.replace(
        "print(json.dumps(sorted(sys.modules)))",
        "import mimetypes; print(len(mimetypes.types_map), mimetypes.guess_type('chart.png')[0])",
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert int(out[0]) < 400 and out[1] == "image/png"
