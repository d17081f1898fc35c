"""The secrets guard's rule (domain/pasted_secrets.py): the forms people paste keys and phrases in are
caught; explorer links, addresses, hashes in URLs and ordinary prose are not."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.domain.pasted_secrets import bip39_english, bip39_lists, looks_like_private_key_or_mnemonic

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
PHRASE = [
    "legal",
    "winner",
    "thank",
    "year",
    "wave",
    "sausage",
    "worth",
    "useful",
    "legal",
    "winner",
    "thank",
    "yellow",
]


def test_the_english_word_list_is_there() -> None:
    words = bip39_english()
    assert len(words) == 2048 and all(w in words for w in PHRASE)


@pytest.mark.parametrize(
    "text",
    [
        KEY,
        f"0x{KEY}",
        f"0X{KEY.upper()}",
        f'"{KEY}"',
        f"'0x{KEY}'",
        f"pk={KEY}",
        f"key:0x{KEY}",
        f"(0x{KEY})",
        f"my key is {KEY}, please help",
        " ".join(PHRASE),
        " ".join(w.capitalize() for w in PHRASE),
        " ".join(w.upper() for w in PHRASE),
        " ".join(f"{i}. {w}" for i, w in enumerate(PHRASE, 1)),
        " ".join(f"{i}.{w}" for i, w in enumerate(PHRASE, 1)),
        "\n".join(f"{i}) {w}" for i, w in enumerate(PHRASE, 1)),
        ", ".join(PHRASE),
        "Here is my seed phrase: " + " ".join(PHRASE) + " can you check my wallet?",
        '"' + " ".join(PHRASE * 2) + '"',
        # Not English list words, but a phrase's shape: 12 words of 3-8 letters.
        "abandonx " * 11 + "aboutx",
    ],
)
def test_pasted_keys_and_phrases_are_caught(text: str) -> None:
    assert looks_like_private_key_or_mnemonic(text)


@pytest.mark.parametrize(
    "text",
    [
        f"https://bscscan.com/tx/0x{KEY}",
        f"https://testnet.bscscan.com/tx/0x{KEY}/",
        "0x" + KEY[:40],  # an address
        KEY[:63],
        KEY + "a",  # 65 hex digits: not a key's length
        KEY + KEY,  # a 128-digit run: a signature, not a key
        "Hello, I sent my deposit two hours ago and it is still not confirmed, can you check it?",
        "Please check where my deposit went because the wallet shows the transfer was done",
        "legal winner thank year wave sausage worth useful legal winner thank",  # 11 words
        "ABCD-EF23-GH45-JK67",
        "Ab3dEf7hJk9m",
        # twelve words of 3-8 letters once capitals and punctuation go: ordinary questions
        "Why does the bot show zero balance after deposit? Please help, thanks",
        "Hello, when will the bonus arrive? Still waiting since last night, thanks!",
        "Please check where deposit went because wallet shows transfer arrived today, thanks",
        "Здравствуйте, мой депозит не пришёл уже два часа, проверьте пожалуйста мой кошелёк",
    ],
)
def test_links_addresses_and_prose_pass(text: str) -> None:
    assert not looks_like_private_key_or_mnemonic(text)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["", " ", "key ", "pk=", '"', "'", "(", "my key: ", "\n"]),
    suffix=st.sampled_from(["", " ", '"', "'", ")", ".", ",", " thanks", "\n"]),
    zero_x=st.booleans(),
    upper=st.booleans(),
)
def test_any_random_key_in_any_wrapping_is_caught(
    prefix: str, suffix: str, zero_x: bool, upper: bool
) -> None:
    key = secrets.token_hex(32)
    key = key.upper() if upper else key
    assert looks_like_private_key_or_mnemonic(f"{prefix}{'0x' if zero_x else ''}{key}{suffix}")


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(sorted(bip39_english())), min_size=12, max_size=24),
    style=st.sampled_from(["plain", "capitalised", "numbered", "commas", "lines", "in a sentence"]),
)
def test_any_phrase_of_list_words_in_any_style_is_caught(words: list[str], style: str) -> None:
    if style == "capitalised":
        text = " ".join(w.capitalize() for w in words)
    elif style == "numbered":
        text = " ".join(f"{i}. {w}" for i, w in enumerate(words, 1))
    elif style == "commas":
        text = ", ".join(words)
    elif style == "lines":
        text = "\n".join(words)
    elif style == "in a sentence":
        text = "My seed is " + " ".join(words) + ", is it safe?"
    else:
        text = " ".join(words)
    assert looks_like_private_key_or_mnemonic(text)


@settings(max_examples=100, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=8),
    picks=st.lists(st.integers(min_value=0, max_value=2047), min_size=12, max_size=12),
    typo=st.booleans(),
)
def test_a_phrase_from_any_shipped_list_is_caught(index: int, picks: list[int], typo: bool) -> None:
    """Spanish, French, Japanese, … phrases too; a whole-message phrase even with a typo."""
    lists = bip39_lists()
    assert len(lists) == 9 and all(len(words) == 2048 for words in lists)
    words = [sorted(lists[index])[i] for i in picks]
    if typo:
        words[3] = words[3] + "x"
    assert looks_like_private_key_or_mnemonic(" ".join(words))
