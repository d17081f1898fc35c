"""Secrets never reach the logs (sigmatrade.logging.redact), and the short-string fast path changes
no result."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.logging import _apply_patterns, redact

TOKEN = "123456789:" + "A" * 35
KEY = "ab" * 32


def test_known_secrets_are_redacted() -> None:
    assert redact(f"token {TOKEN}") == "token [bot-token]"
    assert redact("Authorization: Bearer abc") == "Authorization: [redacted]"
    assert redact(f"private key 0x{KEY}") == "private key [private-key]"
    assert redact(f"seed {KEY}") == "seed [hex64]"
    assert redact("key ABCD-EF23-GH45-JK67") == "key [master-key]"
    assert redact("a@b.cc") == "***@b.cc"
    assert redact("+79991234567") == "+***4567"
    assert redact("https://rpc.example/v1/KEY") == "https://rpc.example/…"
    assert redact(" ".join(["abandon"] * 11 + ["about"])) == "[mnemonic]"
    assert redact("adm:wd:list:0:2") == "adm:wd:list:0:2"
    # The shortest match without a marker character: the fast path's bound (15 characters).
    assert redact("authorization:x") == "authorization:[redacted]"
    assert redact("a@b.cc") != "a@b.cc" and redact("+12345678") == "+***5678"


# Characters every pattern looks for, so that short strings near the patterns' edges are generated.
ALPHABET = "aAuthorizn:= \t-_0123456789abcdefABCDEFGHJK@.+/xsp"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fast_path_agrees_with_every_pattern(text: str) -> None:
    assert redact(text) == _apply_patterns(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_fast_path_agrees_on_any_text(text: str) -> None:
    assert redact(text) == _apply_patterns(text)
