"""eth_account's account classes, imported with the interpreter's recursion limit kept (docs/decisions.md,
"The recursion limit").

eth_account imports py_ecc, which raises the limit to 100,000 for the whole process. With the limit that
high, a deeply nested JSON document (a webhook body, a lying RPC endpoint's answer) overflows the C stack
and kills the process; at the default limit it raises ``RecursionError``, which the readers refuse. Every
runtime import of eth_account goes through here (tests/unit/test_recursion_limit.py). The service imports
this module when it first uses a key: eth_account costs 5 MB and 0.3 s.
"""

from __future__ import annotations

import sys

_limit = sys.getrecursionlimit()
try:
    from eth_account import Account
    from eth_account.signers.local import LocalAccount
finally:
    sys.setrecursionlimit(_limit)

__all__ = ["Account", "LocalAccount"]
