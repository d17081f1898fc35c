"""domain.paging: the one page-count and page-clamp rule of every list screen."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.paging import clamp, page_count


@given(st.integers(0, 10**6), st.integers(1, 100))
def test_page_count_is_the_ceiling_and_at_least_one(total: int, size: int) -> None:
    assert page_count(total, size) == max(1, math.ceil(total / size))


@given(st.integers(-(2**63), 2**63), st.integers(0, 10**5), st.integers(1, 50))
def test_clamp_keeps_the_page_in_range(page: int, total: int, size: int) -> None:
    clamped, pages = clamp(page, total, size)
    assert 1 <= clamped <= pages == page_count(total, size)
    if 1 <= page <= pages:
        assert clamped == page
