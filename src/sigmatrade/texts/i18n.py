"""Translations (ru default, en second). Every key exists in both languages (tested).

``Translator.__call__(key, **values)`` formats the template with HTML-escaped values.
"""

from __future__ import annotations

import string
from typing import Any

from sigmatrade.texts import en, ru
from sigmatrade.texts.render import Safe, escape

LANGUAGES = ("ru", "en")
CATALOGUES: dict[str, dict[str, str]] = {"ru": ru.TEXTS, "en": en.TEXTS}


def resolve_language(chosen: str | None, telegram_code: str | None, default: str = "ru") -> str:
    """User's chosen language, else Telegram's language_code (en* -> en, anything else -> ru)."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code:
        return "en" if telegram_code.lower().startswith("en") else "ru"
    return default


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in CATALOGUES else "ru"
        self._texts = CATALOGUES[self.lang]

    def __call__(self, key: str, **values: Any) -> Safe:
        template = self._texts[key]
        if not values:
            return Safe(template)
        return Safe(template.format(**{k: escape(v) for k, v in values.items()}))

    def raw(self, key: str) -> str:
        """Plain text (button labels, alerts): no HTML parsing applies there."""
        return self._texts[key]

    def plain(self, key: str, **values: Any) -> str:
        """Plain text with values inserted unescaped (for button labels and callback alerts)."""
        template = self._texts[key]
        return template.format(**{k: str(v) for k, v in values.items()}) if values else template
