"""What a private key or a seed phrase pasted into a chat looks like (SPEC §11.2).

The guard must catch what people actually paste: a key in quotes or after ``pk=``, a phrase a phone
capitalised, numbered ``1. word 2. word`` or separated by commas, or a phrase inside a sentence — and
leave ordinary messages alone (a support question of twelve short words is not a phrase). Explorer
links keep working: a transaction hash after ``/`` (``…/tx/0x…``) is not a key.

A phrase is any of:
- a whole message of 12, 15, 18, 21 or 24 lower-case words of 3–8 letters, as typed (a phrase with a
  typo, or from a list not shipped here);
- a whole message of that many words once lower-cased and stripped of numbering and punctuation, all
  but at most two of them words of a BIP-39 list;
- 12 or more consecutive words of one BIP-39 list anywhere in the message (a phrase inside a
  sentence).
The lists ship with eth-account; they are read the first time a message has 12 words.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path

# 64 hex digits, optionally 0x-prefixed, not part of a longer word, a longer hex run or a URL path.
_HEX_KEY = re.compile(r"(?<![0-9A-Za-z/])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# Numbering a phrase is often written with: "1.", "12)", "3:", "#4", "(5)".
_NUMBERING = re.compile(r"^[#(]?\d{1,2}[.):]?$")
_GLUED_NUMBER = re.compile(r"^\d{1,2}[.):]")
_SEPARATORS = re.compile(r"[\s,;|]+")
_EDGE_PUNCTUATION = "\"'`«»“”‘’.,;:!?()[]{}<>-"
_WORD = re.compile(r"^[a-z]{3,8}$")
PHRASE_LENGTHS = (12, 15, 18, 21, 24)
MIN_PHRASE = PHRASE_LENGTHS[0]


TYPOS = 2  # words of a whole-message phrase allowed outside the lists


def looks_like_private_key_or_mnemonic(text: str) -> bool:
    if _HEX_KEY.search(text):
        return True
    raw = text.split()
    if len(raw) in PHRASE_LENGTHS and all(_WORD.match(w) for w in raw):
        return True
    words = _words(text)
    if len(words) < MIN_PHRASE:
        return False
    lists = bip39_lists()
    if len(words) in PHRASE_LENGTHS and any(sum(w not in known for w in words) <= TYPOS for known in lists):
        return True
    return any(_longest_run(words, known) >= MIN_PHRASE for known in lists)


def _words(text: str) -> list[str]:
    """Lower-case words with numbering and edge punctuation removed."""
    words = []
    for token in _SEPARATORS.split(text):
        if not token or _NUMBERING.match(token):
            continue
        # "1.abandon" and "1)abandon": numbering glued to its word.
        word = _GLUED_NUMBER.sub("", token).strip(_EDGE_PUNCTUATION).lower()
        if word:
            words.append(word)
    return words


def _longest_run(words: list[str], known: frozenset[str]) -> int:
    longest = run = 0
    for word in words:
        run = run + 1 if word in known else 0
        longest = max(longest, run)
    return longest


BIP39_LISTS = (
    "english",
    "spanish",
    "french",
    "italian",
    "czech",
    "japanese",
    "korean",
    "chinese_simplified",
    "chinese_traditional",
)


@cache
def bip39_lists() -> tuple[frozenset[str], ...]:
    """The BIP-39 word lists (2,048 words each), read from eth-account's package data without
    importing eth-account (it is heavy and the bot loads it only to sign)."""
    spec = find_spec("eth_account")
    if spec is None or not spec.submodule_search_locations:
        return ()
    folder = Path(next(iter(spec.submodule_search_locations))) / "hdaccount" / "wordlist"
    lists = []
    for name in BIP39_LISTS:
        try:
            lists.append(frozenset((folder / f"{name}.txt").read_text(encoding="utf-8").split()))
        except OSError:
            continue
    return tuple(lists)


def bip39_english() -> frozenset[str]:
    return bip39_lists()[0]
