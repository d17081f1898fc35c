"""Every configuration variable is documented in .env.example."""

from __future__ import annotations

from pathlib import Path

from sigmatrade.config import Config

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_documented() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0].strip()
        for line in text.splitlines()
        if "=" in line and not line.startswith("#")
    }
    missing = {name.upper() for name in Config.model_fields} - documented
    assert not missing, f"not in .env.example: {sorted(missing)}"
