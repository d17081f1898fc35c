"""Pages of a list: how many there are, and a requested page clamped into range (a forged or stale page
number shows the first or the last page)."""

from __future__ import annotations


def page_count(total: int, size: int) -> int:
    """Pages needed for ``total`` items, ``size`` a page; at least 1 (an empty list has one page)."""
    return max(1, -(-total // size))


def clamp(page: int, total: int, size: int) -> tuple[int, int]:
    """(page, pages): missing, 0 or negative page → 1; beyond the last → last."""
    pages = page_count(total, size)
    return (1 if page < 1 else min(page, pages)), pages
