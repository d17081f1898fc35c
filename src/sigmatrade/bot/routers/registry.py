"""Feature routers between the common router and the fallback (extended as features land)."""

from __future__ import annotations

from aiogram import Router


def feature_routers() -> list[Router]:
    return []
