"""Text measurement: wrapping like PowerPoint, shrink-to-fit, truncation with an ellipsis."""

from __future__ import annotations

import shutil

import pytest

from deckgen.render.pptx_text import (
    Face,
    ParaSpec,
    Token,
    fit,
    font_file,
    truncate_to_lines,
    wrap,
)


def test_wrap_breaks_at_spaces_within_width() -> None:
    text = "Active users up 22% since Q4 2025; 83% of licensed seats are active this quarter."
    lines = wrap((Token(text),), "Arial", 14, 250)
    assert len(lines) > 1
    assert " ".join(lines) == text
    assert all(Face("Arial").width(line, 14) <= 250 for line in lines)


def test_wrap_breaks_overlong_words_between_characters() -> None:
    lines = wrap((Token("X" * 300),), "Arial", 12, 200)
    assert "".join(lines) == "X" * 300
    assert all(Face("Arial").width(line, 12) <= 200 for line in lines)


def test_cjk_and_emoji_count_full_width() -> None:
    face = Face("Arial")
    assert face.width("株式会社", 10) >= 4 * 10
    assert face.width("🚀", 10) >= 10
    lines = wrap((Token("株式会社テスト物流"),), "Arial", 10, 45)
    assert "".join(lines) == "株式会社テスト物流" and len(lines) >= 2


def test_bold_is_wider() -> None:
    assert Face("Arial", True).width("Quarterly value", 12) > Face("Arial").width(
        "Quarterly value", 12
    )


def test_fit_shrinks_then_reports() -> None:
    paras = [ParaSpec((Token("word " * 40),))]
    roomy = fit(paras, "Arial", 400, 400, 18, 10)
    assert roomy.fits and roomy.size == 18
    tight = fit(paras, "Arial", 400, 60, 18, 10)
    assert tight.fits and 10 <= tight.size < 18
    impossible = fit(paras, "Arial", 100, 20, 18, 10)
    assert not impossible.fits and impossible.size == 10


def test_truncate_to_lines() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    cut = truncate_to_lines(text, "Arial", 12, 120, 2)
    assert cut.endswith(" …") and len(wrap((Token(cut),), "Arial", 12, 120)) <= 2
    assert text.startswith(cut[:-2])
    assert truncate_to_lines("short", "Arial", 12, 120, 1) == "short"
    assert truncate_to_lines("short", "Arial", 12, 120, 1, force=True) == "short …"


def test_unknown_fonts_measure_with_a_wide_fallback() -> None:
    path = font_file("No Such Font Family")
    assert path.lower().endswith((".ttf", ".otf", ".ttc"))
    assert Face("No Such Font Family").width("abc", 10) > 0


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig not installed")
def test_arial_measures_with_metric_compatible_liberation() -> None:
    if "Liberation" not in font_file("Liberation Sans"):
        pytest.skip("Liberation fonts not installed")
    assert "LiberationSans" in font_file("Arial")
    assert "LiberationSans-Bold" in font_file("Arial", bold=True)


def test_ascii_fast_path_measures_like_the_character_loop() -> None:
    """ASCII text skips the per-character checks; the width must be what the loop gives."""
    import unicodedata

    from deckgen.render.pptx_text import _ref_font, _width_at_ref

    path = font_file("Arial")
    font = _ref_font(path)
    for text in ("", " ", "Renewal risk: 14% (Q3)", "tab\there", "~!@#$%^&*()_+{}|:<>?", "x" * 80):
        plain = [
            ch
            for ch in text
            if unicodedata.east_asian_width(ch) not in ("W", "F")
            and unicodedata.category(ch) not in ("Mn", "Me", "Cf")
        ]
        expected = 0.0 + font.getlength("".join(plain)) if plain else 0.0
        assert _width_at_ref.__wrapped__(path, text) == expected


def test_ascii_word_split_matches_the_character_loop() -> None:
    import itertools

    from deckgen.render.pptx_text import _split_words

    def by_characters(text: str) -> list[str]:
        words, buf = [], ""
        for ch in text:
            buf += ch
            if ch in " -/":
                words.append(buf)
                buf = ""
        return [*words, buf] if buf else words

    for n in range(6):
        for chars in itertools.product("a -/\n", repeat=n):
            text = "".join(chars)
            assert _split_words(text) == by_characters(text)
    assert _split_words("Net-new ARR / seat  up") == [
        "Net-",
        "new ",
        "ARR ",
        "/",
        " ",
        "seat ",
        " ",
        "up",
    ]


def test_a_multi_line_string_is_as_wide_as_its_widest_line() -> None:
    face = Face("DejaVu Sans")
    assert face.width("short\na much longer line", 12) == face.width("a much longer line", 12)
