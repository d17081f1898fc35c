"""Merges the per-feature text modules of one language package and its sub-packages (``admin/``);
duplicate keys are an error."""

from __future__ import annotations

import importlib
import pkgutil


def collect(package: str) -> dict[str, str]:
    module = importlib.import_module(package)
    merged: dict[str, str] = {}
    for info in sorted(pkgutil.walk_packages(module.__path__, prefix=f"{package}."), key=lambda i: i.name):
        if info.ispkg:
            continue
        texts: dict[str, str] = getattr(importlib.import_module(info.name), "TEXTS", {})
        duplicates = set(merged) & set(texts)
        if duplicates:
            raise RuntimeError(f"duplicate text keys in {info.name}: {sorted(duplicates)}")
        merged.update(texts)
    return merged
