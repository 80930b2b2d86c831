"""Chart and deck colours, fonts and sizes, loaded from charts/style.yaml (owned by CS Ops).

Nothing here imports matplotlib or python-pptx: the style is plain values shared by the PNG
renderer, the native pptx charts and the email templates, so all three agree. Colours live only
in the YAML file; this module validates them and never supplies its own.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deckgen.errors import ConfigError
from deckgen.model.deck import Series, Status
from deckgen.resources import data_candidates, data_path

_HEX = re.compile(r"#?([0-9A-Fa-f]{6})")


@dataclass(frozen=True)
class Palette:
    """Named brand colours as "#RRGGBB". A template's theme colours may replace any of them."""

    primary: str
    secondary: str
    accent: str
    reference: str
    muted: str
    text: str
    subtle_text: str
    background: str


@dataclass(frozen=True)
class StatusColours:
    """Red/yellow/green/grey as used for bands, KPI status and per-bar status."""

    green: str
    yellow: str
    red: str
    grey: str


@dataclass(frozen=True)
class PlaceholderColours:
    """Styling of `[[CSM: ...]]` markers, deliberately loud so none slips into a shared deck."""

    fill: str
    border: str
    text: str


@dataclass(frozen=True)
class Fonts:
    """Preferred families in order (the first installed one is used) and sizes in points."""

    family: tuple[str, ...]
    title_size: float
    label_size: float
    tick_size: float


@dataclass(frozen=True)
class ChartSizes:
    """Default PNG geometry and stroke sizes (points), shared by every chart kind."""

    dpi: int
    width_in: float
    height_in: float
    line_width: float
    marker_size: float
    bar_width: float
    grid: bool


@dataclass(frozen=True)
class ChartStyle:
    """Everything a renderer needs to draw a chart in the house style.

    Frozen so one instance can be shared by every account of a batch (and across forked
    workers) without anyone changing it under another renderer's feet; derive variants with
    `with_palette`.
    """

    palette: Palette
    status: StatusColours
    placeholder: PlaceholderColours
    fonts: Fonts
    chart: ChartSizes
    source: Path | None = field(default=None, compare=False)

    def with_palette(self, **colours: str) -> ChartStyle:
        """A copy with some palette entries replaced, e.g. from a user template's theme colours.

        Unknown names raise `ConfigError` (a typo would otherwise be silently ignored); values
        may be "#RRGGBB" or "RRGGBB" as python-pptx reports theme colours.
        """
        known = {f.name for f in dataclasses.fields(Palette)}
        unknown = sorted(set(colours) - known)
        if unknown:
            raise ConfigError(
                f"unknown palette colour(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        try:
            checked = {k: _colour(v, f"palette.{k}") for k, v in colours.items()}
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        return dataclasses.replace(self, palette=dataclasses.replace(self.palette, **checked))

    def status_colour(self, status: Status) -> str:
        """Colour of a status band ("green", "yellow", "red", "grey")."""
        colour: str = getattr(self.status, status)
        return colour

    def series_colours(self, series: tuple[Series, ...]) -> tuple[str, ...]:
        """One colour per series from its `style`, never two series in the same colour.

        The first series of a style takes that style's colour; a repeat (three "primary" stacks,
        say) takes the next unused palette colour, so stacked and grouped bars stay legible.
        """
        by_style = {
            "primary": self.palette.primary,
            "secondary": self.palette.secondary,
            "reference": self.palette.reference,
            "muted": self.palette.muted,
        }
        spare = [
            self.palette.primary,
            self.palette.secondary,
            self.palette.accent,
            self.palette.reference,
            self.palette.muted,
        ]
        used: list[str] = []
        for s in series:
            colour = by_style.get(s.style, self.palette.primary)
            if colour in used:
                colour = next((c for c in spare if c not in used), colour)
            used.append(colour)
        return tuple(used)


def luminance(hex_colour: str) -> float:
    """Relative luminance (0 dark .. 1 light) of "#RRGGBB": picks white or dark text on a fill."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def default_style_path() -> Path:
    """The repository's charts/style.yaml in a checkout, else the copy packaged in deckgen/_data."""
    return data_path("charts", "style.yaml")


def load_style(path: str | Path | None = None) -> ChartStyle:
    """Load and validate a style file.

    With an explicit `path`, that file is laid over the default one when the default exists, so a
    CS Ops copy that only changes a colour or two still works; a complete copy behaves the same
    either way. Every problem raises `ConfigError` naming the file and the key, before any chart
    is drawn.
    """
    default = default_style_path()
    if path is None:
        if not default.is_file():
            repo, packaged = data_candidates("charts", "style.yaml")
            raise ConfigError(f"chart style not found: looked for {repo} and {packaged}")
        return _from_mapping(_read(default), default)
    explicit = Path(path)
    if not explicit.is_file():
        raise ConfigError(f"chart style file not found: {explicit}")
    data = _read(explicit)
    if default.is_file() and default.resolve() != explicit.resolve():
        data = _merge(_read(default), data)
    return _from_mapping(data, explicit)


_READ_CACHE: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read(path: Path) -> dict[str, Any]:
    """The parsed style file, cached by path, size and modification time.

    Every account of a batch asks for the style (~4 ms of YAML parsing each time); an edited file
    is still picked up. Callers get a copy, so the cache cannot be changed through them.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read chart style {path}: {exc}") from exc
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    cached = _READ_CACHE.get(key)
    if cached is None:
        cached = _parse(path)
        _READ_CACHE[key] = cached
    return copy.deepcopy(cached)


def _parse(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read chart style {path}: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"chart style {path} must be a mapping of sections")
    return loaded


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _from_mapping(data: Mapping[str, Any], source: Path) -> ChartStyle:
    def section(name: str, cls: type[Any]) -> dict[str, Any]:
        raw = data.get(name)
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source}: section '{name}' is missing or not a mapping")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) in '{name}': {', '.join(map(str, unknown))}; "
                f"known: {', '.join(names)}"
            )
        missing = [n for n in names if n not in raw]
        if missing:
            raise ConfigError(f"{source}: '{name}' lacks {', '.join(missing)}")
        return dict(raw)

    sections = {"palette", "status", "placeholder", "fonts", "chart"}
    unknown = sorted(set(data) - sections)
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(map(str, unknown))}; "
            f"known: {', '.join(sorted(sections))}"
        )
    try:
        palette = Palette(
            **{k: _colour(v, f"palette.{k}") for k, v in section("palette", Palette).items()}
        )
        status = StatusColours(
            **{k: _colour(v, f"status.{k}") for k, v in section("status", StatusColours).items()}
        )
        placeholder = PlaceholderColours(
            **{
                k: _colour(v, f"placeholder.{k}")
                for k, v in section("placeholder", PlaceholderColours).items()
            }
        )
        f = section("fonts", Fonts)
        fonts = Fonts(
            family=_families(f["family"]),
            title_size=_number(f["title_size"], "fonts.title_size", 4, 72),
            label_size=_number(f["label_size"], "fonts.label_size", 4, 72),
            tick_size=_number(f["tick_size"], "fonts.tick_size", 4, 72),
        )
        c = section("chart", ChartSizes)
        if not isinstance(c["grid"], bool):
            raise ValueError(f"chart.grid: expected true or false, got {c['grid']!r}")
        chart = ChartSizes(
            dpi=int(_number(c["dpi"], "chart.dpi", 50, 600)),
            width_in=_number(c["width_in"], "chart.width_in", 1, 40),
            height_in=_number(c["height_in"], "chart.height_in", 1, 40),
            line_width=_number(c["line_width"], "chart.line_width", 0.25, 20),
            marker_size=_number(c["marker_size"], "chart.marker_size", 0, 40),
            bar_width=_number(c["bar_width"], "chart.bar_width", 0.05, 1),
            grid=c["grid"],
        )
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    return ChartStyle(palette, status, placeholder, fonts, chart, source=source)


def _colour(value: object, key: str) -> str:
    if isinstance(value, str):
        m = _HEX.fullmatch(value.strip())
        if m:
            return "#" + m.group(1).upper()
    hint = ""
    if value is None:
        hint = ' (in YAML, quote it: "#1F4E79"; an unquoted # starts a comment)'
    raise ValueError(f'{key}: expected a colour like "#1F4E79", got {value!r}{hint}')


def _number(value: object, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{key}: {value} is outside {low}..{high}")
    return float(value)


def _families(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ValueError(f"fonts.family: expected a list of font names, got {value!r}")
    return tuple(v.strip() for v in value)
