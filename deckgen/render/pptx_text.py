"""Text measurement for the PowerPoint renderer: real font metrics, word wrap, shrink-to-fit.

Why: a .pptx "autofit" is only a flag. PowerPoint re-fits text when somebody edits the box;
LibreOffice (our PDF/preview path) and python-pptx never do, so an over-long account name or a
chatty CSM note would spill over the slide. We wrap and size text ourselves with the metrics of
the font that will draw it (PIL `ImageFont` on the TTF files), with a small safety margin.

Fonts: a theme font is resolved to a TTF in this order: metric-compatible substitutes (Arial ->
Liberation Sans: identical advance widths, so measuring one measures the other), what fontconfig
would substitute on this machine (what LibreOffice draws with), matplotlib's font list, and last
DejaVu Sans shipped with matplotlib (a wide face, so text measured with it fits a narrower one).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

EMU_PER_PT = 12700
EMU_PER_IN = 914400
LINE_HEIGHT = 1.2  # PowerPoint single spacing is ~1.2 x the font size
SAFETY = 1.04  # widths are inflated 4%: kerning, hinting and substitute fonts differ a little

# Metric-compatible pairs (same advance widths by design).
_METRIC_ALIASES = {
    "arial": "Liberation Sans",
    "helvetica": "Liberation Sans",
    "helvetica neue": "Liberation Sans",
    "arial narrow": "Liberation Sans Narrow",
    "times new roman": "Liberation Serif",
    "times": "Liberation Serif",
    "courier new": "Liberation Mono",
    "courier": "Liberation Mono",
    "calibri": "Carlito",
    "cambria": "Caladea",
}


@functools.lru_cache(maxsize=64)
def font_file(family: str, bold: bool = False) -> str:
    """Path of a TTF that measures like `family` (see module docstring for the order)."""
    name = family.strip() or "Arial"
    candidates = [_METRIC_ALIASES.get(name.casefold(), name), name]
    for candidate in candidates:
        path = _fontconfig(candidate, bold, exact=True)
        if path:
            return path
    path = _matplotlib_font(name, bold)
    if path:
        return path
    path = _fontconfig(name, bold, exact=False)
    if path:
        return path
    return _bundled_dejavu(bold)


def _fontconfig(family: str, bold: bool, *, exact: bool) -> str | None:
    exe = shutil.which("fc-match")
    if not exe:
        return None
    pattern = f"{family}:{'bold' if bold else 'regular'}"
    try:
        out = subprocess.run(
            [exe, "-f", "%{family}\t%{file}", pattern],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "\t" not in out:
        return None
    families, path = out.split("\t", 1)
    if exact and family.casefold() not in [f.strip().casefold() for f in families.split(",")]:
        return None
    return (
        path if path.lower().endswith((".ttf", ".otf", ".ttc")) and Path(path).is_file() else None
    )


def _matplotlib_font(family: str, bold: bool) -> str | None:
    try:
        from matplotlib import font_manager
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prop = font_manager.FontProperties(family=family, weight="bold" if bold else "normal")
            path = font_manager.findfont(prop, fallback_to_default=False)
        except (ValueError, RuntimeError):
            return None
    return str(path)


def _bundled_dejavu(bold: bool) -> str:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


# Measured at a fixed size and scaled linearly (TrueType advances scale exactly).
_REF_SIZE = 100


@functools.lru_cache(maxsize=32)
def _ref_font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, _REF_SIZE)


@functools.lru_cache(maxsize=16384)
def _width_at_ref(path: str, text: str) -> float:
    if "\n" in text:
        # A line feed is a forced break (see `_wrap`), and PIL's layout engine rejects it: a
        # multi-line string (a table cell from a quoted CSV field) is as wide as its widest line.
        return max(_width_at_ref(path, line) for line in text.split("\n"))
    font = _ref_font(path)
    total = 0.0
    if text.isascii():
        # Every ASCII character is narrow and none is a mark or format character: the loop
        # below would keep them all (most cells and labels; saves two look-ups a character).
        if text:
            total += font.getlength(text)
        return total
    plain: list[str] = []
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            # CJK and emoji: the deck font rarely has them and the fallback face is full-width.
            total += _REF_SIZE * 1.0
        elif unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        else:
            plain.append(ch)
    if plain:
        total += font.getlength("".join(plain))
    return total


@dataclass(frozen=True)
class Face:
    """A font family and weight, measurable at any size."""

    family: str
    bold: bool = False

    @property
    def path(self) -> str:
        return font_file(self.family, self.bold)

    def width(self, text: str, size_pt: float) -> float:
        """Advance width of `text` in points at `size_pt`, with the safety margin applied."""
        return _face_width(self.family, self.bold, text, size_pt)

    def ref_width(self, text: str) -> float:
        """Advance width of `text` at the reference size, for `scaled_width`: measure once,
        then size it at as many sizes as needed (exactly what `width` returns)."""
        return _width_at_ref(font_file(self.family, self.bold), text)


def scaled_width(ref_width: float, size_pt: float) -> float:
    """A `Face.ref_width` at `size_pt` with the safety margin: equal to `Face.width` at that
    size, and like it non-decreasing in the reference width (each step is a rounded multiply or
    divide by a positive constant), so the widest string at the reference size is the widest at
    any size."""
    return ref_width * size_pt / _REF_SIZE * SAFETY


@functools.lru_cache(maxsize=8192, typed=True)
def _face_width(family: str, bold: bool, text: str, size_pt: float) -> float:
    """`Face(family, bold).width(text, size_pt)`: one cache look-up instead of two (the font
    path, then the reference width) and a dataclass; a deck measures ~1,500 strings, mostly the
    same labels and cells at the same few sizes."""
    return scaled_width(_width_at_ref(font_file(family, bold), text), size_pt)


@dataclass(frozen=True)
class Token:
    """A piece of a paragraph with its own weight (bold runs are wider)."""

    text: str
    bold: bool = False


# A run of other characters ending with a break character (kept), or the run at the end.
_ASCII_WORD = re.compile(r"[^ /-]*[ /-]|[^ /-]+")


def _split_words(text: str) -> list[str]:
    """Split into words keeping the trailing space; CJK characters are each a break point."""
    if text.isascii():  # no wide characters: only the break characters split
        return _ASCII_WORD.findall(text)
    words: list[str] = []
    buf = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if wide:
            if buf:
                words.append(buf)
                buf = ""
            words.append(ch)
            continue
        buf += ch
        if ch == " " or ch == "-" or ch == "/":
            words.append(buf)
            buf = ""
    if buf:
        words.append(buf)
    return words


def wrap(tokens: Sequence[Token], family: str, size_pt: float, width_pt: float) -> list[str]:
    """Greedy word wrap like PowerPoint's: break at spaces, hyphens and between CJK characters;
    a word longer than the line (a 300-character name) is broken between characters.
    Returns the lines' text.

    Cached: shrink-to-fit and table planning wrap the same text at the same sizes many times
    per deck (and the same labels in every deck of a batch).
    """
    return list(_wrap(tuple(tokens), family, size_pt, width_pt))


@functools.lru_cache(maxsize=8192)
def _wrap(
    tokens: tuple[Token, ...], family: str, size_pt: float, width_pt: float
) -> tuple[str, ...]:
    lines: list[str] = []
    line = ""
    line_w = 0.0

    def emit() -> None:
        nonlocal line, line_w
        lines.append(line.rstrip())
        line, line_w = "", 0.0

    for token in tokens:
        bold = token.bold
        for k, piece in enumerate(token.text.split("\n")):
            if k:
                emit()
            for word in _split_words(piece):
                w = _face_width(family, bold, word.rstrip(" "), size_pt)
                if line and line_w + w > width_pt:
                    emit()
                if w > width_pt:
                    for ch in word:
                        cw = _face_width(family, bold, ch, size_pt)
                        if line and line_w + cw > width_pt:
                            emit()
                        line += ch
                        line_w += cw
                else:
                    line += word
                    line_w += _face_width(family, bold, word, size_pt)
    emit()
    return tuple(lines)


@dataclass(frozen=True)
class ParaSpec:
    """A paragraph to measure: its tokens, left indent (pt) and space before it (pt)."""

    tokens: tuple[Token, ...]
    indent_pt: float = 0.0
    space_before_pt: float = 0.0
    size_scale: float = 1.0  # e.g. 1.15 for a heading drawn bigger than the body


@dataclass(frozen=True)
class Fit:
    size: float
    lines: int
    height_pt: float
    fits: bool


def text_height(
    paras: Sequence[ParaSpec],
    family: str,
    size_pt: float,
    width_pt: float,
    line_height: float = LINE_HEIGHT,
) -> tuple[float, int]:
    """Height in points and line count of `paras` wrapped to `width_pt` at `size_pt`."""
    return _text_height(tuple(paras), family, size_pt, width_pt, line_height)


# Measuring is pure (text, font, sizes in; numbers out) and the renderer asks the same questions
# many times a deck (measure a block to share a region, shrink it, draw it) and in every deck of
# a batch (headings, labels, table headers): these caches answer from a dict. They are bounded
# and keyed by everything the answer depends on (the font family is part of each key).
@functools.lru_cache(maxsize=2048, typed=True)
def _text_height(
    paras: tuple[ParaSpec, ...], family: str, size_pt: float, width_pt: float, line_height: float
) -> tuple[float, int]:
    total = 0.0
    count = 0
    for i, para in enumerate(paras):
        size = size_pt * para.size_scale
        n = len(wrap(para.tokens, family, size, width_pt - para.indent_pt))
        count += n
        total += n * size * line_height
        if i:
            total += para.space_before_pt
    return total, count


def fit(
    paras: Sequence[ParaSpec],
    family: str,
    width_pt: float,
    height_pt: float,
    max_size: float,
    min_size: float,
    *,
    step: float = 1.0,
    line_height: float = LINE_HEIGHT,
) -> Fit:
    """The largest size from `max_size` down to `min_size` at which `paras` fit the box."""
    return _fit(tuple(paras), family, width_pt, height_pt, max_size, min_size, step, line_height)


@functools.lru_cache(maxsize=2048, typed=True)
def _fit(
    paras: tuple[ParaSpec, ...],
    family: str,
    width_pt: float,
    height_pt: float,
    max_size: float,
    min_size: float,
    step: float,
    line_height: float,
) -> Fit:
    size = max_size
    while True:
        h, n = text_height(paras, family, size, width_pt, line_height)
        if h <= height_pt:
            return Fit(size, n, h, True)
        if size - step < min_size - 1e-6:
            return Fit(size, n, h, False)
        size = round(size - step, 2)


def truncate_to_lines(
    text: str,
    family: str,
    size_pt: float,
    width_pt: float,
    max_lines: int,
    *,
    bold: bool = False,
    force: bool = False,
) -> str:
    """`text` cut at a word so it wraps to at most `max_lines`, ending with an ellipsis.

    `force` adds the ellipsis even when the text fits (to show that what followed was cut).
    """
    return _truncate_to_lines(text, family, size_pt, width_pt, max_lines, bold, force)


@functools.lru_cache(maxsize=1024, typed=True)
def _truncate_to_lines(
    text: str,
    family: str,
    size_pt: float,
    width_pt: float,
    max_lines: int,
    bold: bool,
    force: bool,
) -> str:
    tokens = (Token(text, bold),)
    if not force and len(wrap(tokens, family, size_pt, width_pt)) <= max_lines:
        return text
    words = text.split(" ")
    spaced = len(words) > 1
    units = words if spaced else list(text)
    lo, hi = 0, len(units)
    # Binary search for the longest prefix that still fits with " …" appended.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        candidate = (" ".join(units[:mid]) if spaced else "".join(units[:mid])).rstrip() + " …"
        if len(wrap((Token(candidate, bold),), family, size_pt, width_pt)) <= max_lines:
            lo = mid
        else:
            hi = mid - 1
    kept = " ".join(units[:lo]) if spaced else "".join(units[:lo])
    return kept.rstrip(" ,;:–-") + " …" if kept else "…"


def pt(emu: float) -> float:
    return emu / EMU_PER_PT


def emu_from_pt(points: float) -> int:
    return round(points * EMU_PER_PT)
