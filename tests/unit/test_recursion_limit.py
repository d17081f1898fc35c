"""The interpreter's recursion limit stays at its default in the service (docs/decisions.md, "The
recursion limit"): eth_account's import of py_ecc raises it to 100,000 for the whole process, and then a
deeply nested JSON document overflows the C stack and kills the process instead of raising
``RecursionError`` (the webhook's and the RPC provider's readers refuse that error: tests/e2e/
test_transport.py, tests/chain/test_provider.py)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ROOT / "src" / "sigmatrade" / "chain" / "accounts.py"
# Importing any of these runs eth_account's package, and so py_ecc's.
IMPORTS_ETH_ACCOUNT = ("eth_account", "web3")


def test_using_a_key_keeps_the_recursion_limit() -> None:
    probe = (
        "import sys\n"
        "before = sys.getrecursionlimit()\n"
        "from sigmatrade.chain import keystore\n"
        "account = keystore.parse_secret('0x' + '11' * 32)\n"
        "print(before, sys.getrecursionlimit(), account.address)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert out[0] == out[1] and out[2].startswith("0x")


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import that runs (those under ``if TYPE_CHECKING:`` do not)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_eth_account_is_imported_only_through_chain_accounts() -> None:
    offenders = []
    for folder in ("src", "tests", "benchmarks", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ALLOWED:
                continue
            for line, module in _runtime_imports(ast.parse(path.read_text(), str(path))):
                if module.split(".")[0] in IMPORTS_ETH_ACCOUNT:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offenders == []
