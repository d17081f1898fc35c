"""The refusal raised by the money-desk services (withdrawals, payouts and DLQ, unmatched deposits,
finpass requests): ``code`` selects the admin's message, ``params`` fill it. Raised before anything
is written, or inside a unit of work so that everything it wrote is rolled back."""

from __future__ import annotations

from typing import Any

NOT_FOUND = "not_found"
ALREADY_PROCESSED = "already_processed"
SAME_ADMIN = "same_admin"
NOT_REJECTABLE = "not_rejectable"
IN_DLQ = "in_dlq"  # dead-lettered: only the DLQ desk (extended admin+) decides it


class DeskRefusal(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
