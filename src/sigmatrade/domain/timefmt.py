"""Display of timestamps (SPEC §1.6): stored as UTC, shown in ``DISPLAY_TIMEZONE``.

Russian ``DD.MM.YYYY HH:MM``, English ``YYYY-MM-DD HH:MM``. Pure functions, usable by every view.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

FORMATS = {"ru": "%d.%m.%Y %H:%M", "en": "%Y-%m-%d %H:%M"}
DATE_FORMATS = {"ru": "%d.%m.%Y", "en": "%Y-%m-%d"}
MISSING = "—"


def _local(moment: datetime, tz: tzinfo) -> datetime:
    if moment.tzinfo is None:  # naive values are UTC by convention
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def format_dt(moment: datetime | None, lang: str, tz: tzinfo = UTC) -> str:
    """Date and time in the display timezone; ``—`` for a missing value. Unknown languages use ru."""
    if moment is None:
        return MISSING
    return _local(moment, tz).strftime(FORMATS.get(lang, FORMATS["ru"]))


def format_date(moment: datetime | None, lang: str, tz: tzinfo = UTC) -> str:
    """Date only, same conventions as :func:`format_dt`."""
    if moment is None:
        return MISSING
    return _local(moment, tz).strftime(DATE_FORMATS.get(lang, DATE_FORMATS["ru"]))
