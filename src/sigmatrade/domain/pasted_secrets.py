"""What a private key or a seed phrase pasted into a chat looks like (SPEC §11.2).

The guard must catch what people actually paste: a key in quotes or after ``pk=``, a phrase a phone
capitalised, numbered ``1. word 2. word`` or separated by commas, or a phrase inside a sentence.
Explorer links keep working: a transaction hash after ``/`` (``…/tx/0x…``) is not a key.

Two rules for a phrase, either is enough:
- the whole message is 12, 15, 18, 21 or 24 words of 3–8 letters (a phrase with a typo, or in a
  word list other than English);
- 12 or more consecutive words of the BIP-39 English list, anywhere in the message (a phrase inside a
  sentence). The list ships with eth-account; it is read the first time a message has 12 words.
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


def looks_like_private_key_or_mnemonic(text: str) -> bool:
    if _HEX_KEY.search(text):
        return True
    words = _words(text)
    if len(words) < MIN_PHRASE:
        return False
    if len(words) in PHRASE_LENGTHS and all(_WORD.match(w) for w in words):
        return True
    return _longest_bip39_run(words) >= MIN_PHRASE


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


def _longest_bip39_run(words: list[str]) -> int:
    known = bip39_english()
    longest = run = 0
    for word in words:
        run = run + 1 if word in known else 0
        longest = max(longest, run)
    return longest


@cache
def bip39_english() -> frozenset[str]:
    """The 2,048 words of the BIP-39 English list, read from eth-account's package data without
    importing eth-account (it is heavy and the bot loads it only to sign)."""
    spec = find_spec("eth_account")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "hdaccount" / "wordlist" / "english.txt"
    try:
        return frozenset(path.read_text(encoding="utf-8").split())
    except OSError:
        return frozenset()
