"""The interpreter's recursion limit stays at its default in the service (docs/decisions.md, "The
recursion limit"): eth_account's import of py_ecc raises it to 100,000 for the whole process, and then a
deeply nested JSON document overflows the C stack and kills the process instead of raising
``RecursionError`` (the webhook's and the RPC provider's readers refuse that error: tests/e2e/
test_transport.py, tests/chain/test_provider.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.unit.test_architecture import check_layers

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ROOT / "src" / "sigmatrade" / "chain" / "accounts.py"
# Importing any of these runs py_ecc's package (eth_account and web3 through eth_keyfile).
IMPORTS_PY_ECC = ("eth_account", "web3", "ens", "eth_keyfile", "py_ecc")


_PROBE = """
import importlib, json, pkgutil, sys
before = sys.getrecursionlimit()
from sigmatrade.chain import keystore  # first: the service's first use of a key imports eth_account
account = keystore.parse_secret("0x" + "11" * 32)
account.sign_transaction({"to": account.address, "value": 1, "gas": 21000, "gasPrice": 1, "nonce": 0, "chainId": 56})
keystore.parse_secret("test test test test test test test test test test test junk")
import sigmatrade
skip = ("sigmatrade.sandbox", "sigmatrade.demo", "sigmatrade.__main__", "sigmatrade.db.migrations")
for info in pkgutil.walk_packages(sigmatrade.__path__, "sigmatrade."):
    if not info.name.startswith(skip):
        importlib.import_module(info.name)
try:
    json.loads("[" * 2**20)
    nested = "parsed"
except RecursionError:
    nested = "RecursionError"
print(before, sys.getrecursionlimit(), nested)
"""


def test_every_module_and_a_key_used_leave_the_recursion_limit() -> None:
    """Every service module imported, a key loaded from hex and from a mnemonic, a transaction signed:
    the limit is the interpreter's still, and a megabyte of "[" is a RecursionError, not a crash."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, after, nested = done.stdout.split()
    assert after == before and nested == "RecursionError"


def test_eth_account_is_imported_only_through_chain_accounts() -> None:
    offenders = []
    for folder in ("src", "tests", "benchmarks", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ALLOWED:
                continue
            # The layers check's reading of imports: every one counts, lazy and TYPE_CHECKING included.
            for found in check_layers.imports_of(path.stem, path, {}):
                if found.target in IMPORTS_PY_ECC:
                    offenders.append(f"{path.relative_to(ROOT)}:{found.line} imports {found.target}")
    assert offenders == []
