"""The layers contract (docs/architecture.md): no import into a higher or sibling layer, no import cycle
(lazy and TYPE_CHECKING imports included), no aiogram in the texts stack."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "scripts" / "check_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


check_layers = _checker()


def test_source_tree_keeps_the_layers_and_has_no_cycles() -> None:
    assert check_layers.check(SRC) == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(SRC / "sigmatrade", tmp_path / "sigmatrade", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _append(tree: Path, module: str, code: str) -> None:
    path = tree / "sigmatrade" / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + "\n" + code + "\n", encoding="utf-8")


def test_import_into_a_higher_layer_is_named(tree: Path) -> None:
    _append(tree, "services.limits", "from sigmatrade.bot import ui  # noqa")
    (problem,) = check_layers.check(tree)
    assert "sigmatrade.services.limits (services) imports sigmatrade.bot.ui (bot), a higher layer" in problem
    assert "sigmatrade/services/limits.py:" in problem


def test_lazy_import_into_a_sibling_layer_is_named(tree: Path) -> None:
    _append(tree, "web.server", "def _late() -> None:\n    from sigmatrade.jobs import scheduler  # noqa")
    problems = check_layers.check(tree)
    assert any("(web) imports sigmatrade.jobs.scheduler (jobs), a sibling layer" in p for p in problems)


def test_aiogram_in_the_texts_stack_is_refused(tree: Path) -> None:
    _append(tree, "texts.render", "import aiogram  # noqa")
    assert any("sigmatrade.texts.render (texts) imports aiogram" in p for p in check_layers.check(tree))


def test_type_checking_cycle_is_a_cycle(tree: Path) -> None:
    _append(
        tree,
        "services.limits",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sigmatrade.services import withdrawals  # noqa",
    )
    problems = check_layers.check(tree)
    assert any(p.startswith("import cycle:") and "sigmatrade.services.limits" in p for p in problems)


def test_every_module_has_a_layer() -> None:
    modules = check_layers.discover(SRC)
    assert modules and all(check_layers.layer_of(m) in check_layers.RANK for m in modules)
