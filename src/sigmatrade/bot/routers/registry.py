"""Discovers the feature routers in ``bot.routers.features`` (one module per feature)."""

from __future__ import annotations

import importlib
import pkgutil

from aiogram import Router

from sigmatrade.bot.routers import features


def feature_routers() -> list[Router]:
    modules = [
        importlib.import_module(f"{features.__name__}.{info.name}")
        for info in pkgutil.iter_modules(features.__path__)
    ]
    modules.sort(key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
    return [m.build() for m in modules]
