"""English texts: every module of this package contributes a ``TEXTS`` dict (keys are unique)."""

from sigmatrade.texts.loader import collect

TEXTS: dict[str, str] = collect(__name__)
