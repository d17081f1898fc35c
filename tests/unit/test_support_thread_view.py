"""The ticket thread screen fits Telegram's 4096 UTF-16 units after parsing, whatever the messages
hold (an emoji takes two units; the screen used to budget Python characters and failed with "message
is too long" on an emoji-heavy ticket — found by an independent review)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.bot.views.support import thread
from sigmatrade.db.models import SupportMessage, SupportTicket
from sigmatrade.services.support import Thread
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import plain_length, truncate_plain

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PIECES = st.sampled_from(["😀", "a", "<", "&", "ж", "👨‍👩‍👧", "\n", " "])
# Long runs of one piece (hypothesis keeps lists short) mixed with short runs of others.
TEXTS = st.lists(
    st.tuples(PIECES, st.integers(min_value=0, max_value=4000)).map(lambda p: p[0] * p[1]), max_size=3
).map(lambda runs: "".join(runs)[:4000])
CAPTIONS = st.tuples(PIECES, st.integers(min_value=0, max_value=1024)).map(lambda p: (p[0] * p[1])[:1024])


def _message(text: str | None, captions: list[str]) -> SupportMessage:
    attachments = [{"kind": "photo", "caption": c} for c in captions] or None
    return SupportMessage(sender="user", text=text or None, attachments=attachments, created_at=NOW)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(TEXTS, min_size=1, max_size=6),
    captions=st.lists(CAPTIONS, max_size=10),
    lang=st.sampled_from(["en", "ru"]),
)
def test_the_thread_always_fits_one_message(texts: list[str], captions: list[str], lang: str) -> None:
    ticket = SupportTicket(id=1, category="payments", status="open", created_at=NOW)
    messages = [_message(text, captions if i == len(texts) - 1 else []) for i, text in enumerate(texts)]
    text, _ = thread(
        Translator(lang), Thread(ticket, [m for m in messages if m.text or m.attachments]), tz=UTC
    )
    assert plain_length(text) <= 4096


@given(text=TEXTS, limit=st.integers(min_value=1, max_value=3000))
def test_a_cut_text_fits_its_room_in_utf16_units(text: str, limit: int) -> None:
    cut = truncate_plain(text, limit)
    assert len(cut.encode("utf-16-le")) // 2 <= limit
    assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1]))
