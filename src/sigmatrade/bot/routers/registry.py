"""Discovers the feature routers in ``bot.routers.features`` (one module per feature) and the admin
routers in ``bot.routers.admin`` (with the panel buttons they contribute)."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from aiogram import Router

from sigmatrade.bot.routers import features
from sigmatrade.bot.views.admin.panel import PanelButton


def feature_routers() -> list[Router]:
    modules = [
        importlib.import_module(f"{features.__name__}.{info.name}")
        for info in pkgutil.iter_modules(features.__path__)
    ]
    modules.sort(key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
    return [m.build() for m in modules]


def admin_routers() -> list[Router]:
    """The admin feature routers (``bot.routers.admin``), mounted only under the admin gate router."""
    from sigmatrade.bot.routers import admin

    modules = [
        importlib.import_module(f"{admin.__name__}.{info.name}")
        for info in pkgutil.iter_modules(admin.__path__)
    ]
    modules.sort(key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
    return [m.build() for m in modules]


@functools.cache
def admin_panel_buttons() -> tuple[PanelButton, ...]:
    """The panel buttons the admin screens contribute (``PANEL`` in their router module). The modules
    do not change while the process runs: they are looked up once (a directory listing per panel
    before)."""
    from sigmatrade.bot.routers import admin

    buttons: list[PanelButton] = []
    for info in pkgutil.iter_modules(admin.__path__):
        buttons.extend(getattr(importlib.import_module(f"{admin.__name__}.{info.name}"), "PANEL", ()))
    return tuple(buttons)
