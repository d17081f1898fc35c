"""Merges the per-feature text modules of one language package (duplicate keys are an error)."""

from __future__ import annotations

import importlib
import pkgutil


def collect(package: str) -> dict[str, str]:
    module = importlib.import_module(package)
    merged: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        texts: dict[str, str] = getattr(importlib.import_module(f"{package}.{info.name}"), "TEXTS", {})
        duplicates = set(merged) & set(texts)
        if duplicates:
            raise RuntimeError(f"duplicate text keys in {package}.{info.name}: {sorted(duplicates)}")
        merged.update(texts)
    return merged
