from __future__ import annotations

from sigmatrade.texts.i18n import CATALOGUES, Translator, placeholders, resolve_language
from sigmatrade.texts.render import Safe, code
from sigmatrade.texts.telegram_html import parse_html


def test_every_key_exists_in_both_languages() -> None:
    ru, en = CATALOGUES["ru"], CATALOGUES["en"]
    assert set(ru) == set(en), set(ru) ^ set(en)


def test_placeholders_match() -> None:
    ru, en = CATALOGUES["ru"], CATALOGUES["en"]
    for key in ru:
        assert placeholders(ru[key]) == placeholders(en[key]), key


def test_every_template_is_valid_telegram_html() -> None:
    for lang, texts in CATALOGUES.items():
        for key, template in texts.items():
            filled = template.format(**{name: "x" for name in placeholders(template)})
            parse_html(filled)  # raises on broken markup
            assert lang and key


def test_values_are_escaped() -> None:
    t = Translator("en")
    out = t("welcome.back", name="<b>x</b> & <script>")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in out
    text, _ = parse_html(out)
    assert "<b>x</b> & <script>" in text


def test_safe_values_are_not_double_escaped() -> None:
    t = Translator("en")
    out = t("welcome.back", name=code("a<b"))
    assert out == Safe("👋 Welcome back, <code>a&lt;b</code>!")


def test_language_resolution() -> None:
    assert resolve_language(None, "en-US") == "en"
    assert resolve_language(None, "de") == "ru"
    assert resolve_language(None, None) == "ru"
    assert resolve_language("en", "ru") == "en"
