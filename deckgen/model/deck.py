"""Frozen plain-value objects handed from the deck builder to every renderer.

Nothing here imports python-pptx, googleapiclient or matplotlib: a test asserts it. Values are
already formatted for the account's locale and currency, so renderers only place them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["green", "yellow", "red", "grey"]
PLACEHOLDER_OPEN = "[[CSM: "
MISSING_OPEN = "[[DATA MISSING: "
PLACEHOLDER_CLOSE = "]]"
MARKER_RE = re.compile(r"\[\[(CSM|DATA MISSING): (.*?)\]\]", re.DOTALL)
"""Any placeholder marker; group 1 is its kind, group 2 its prompt. Every reader (deckgen check,
the documents and Google Slides renderers) matches markers with this one pattern."""


@dataclass(frozen=True)
class Placeholder:
    """Text a human must write (`csm`) or data the book lacked (`data_missing`).

    Rendered in its own unmistakable style and always as a `[[...]]` marker, so `deckgen check`
    finds any that survived into a deck about to be shared.
    """

    prompt: str
    kind: Literal["csm", "data_missing"] = "csm"

    @property
    def marker(self) -> str:
        opener = PLACEHOLDER_OPEN if self.kind == "csm" else MISSING_OPEN
        return f"{opener}{self.prompt}{PLACEHOLDER_CLOSE}"


@dataclass(frozen=True)
class Run:
    """A piece of a paragraph; `placeholder` runs are styled as flagged placeholders."""

    text: str
    bold: bool = False
    placeholder: Placeholder | None = None


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    level: int = 0
    bullet: bool = False

    @property
    def text(self) -> str:
        return "".join(r.placeholder.marker if r.placeholder else r.text for r in self.runs)


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str | None = None
    direction: Literal["up", "down", "flat"] | None = None
    status: Status | None = None
    note: str | None = None


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    style: Literal["primary", "secondary", "reference", "muted"] = "primary"


@dataclass(frozen=True)
class ChartSpec:
    """Everything needed to draw a chart in any backend, plus the words around it.

    `so_what` is the headline sentence shown with the chart; `alt_text` states the numbers for
    screen readers and for email clients that block images.
    """

    id: str
    kind: Literal["line", "bar", "barh", "stacked_bar", "gauge"]
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str
    x_label: str
    y_label: str
    so_what: str
    alt_text: str
    point_status: tuple[Status | None, ...] = ()
    value_format: Literal["int", "pct", "money", "decimal"] = "int"
    currency: str = "USD"
    y_max: float | None = None


@dataclass(frozen=True)
class Cell:
    text: str
    status: Status | None = None
    bold: bool = False
    align: Literal["left", "right", "center"] = "left"
    placeholder: Placeholder | None = None


@dataclass(frozen=True)
class TableBlock:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str | None = None
    widths: tuple[float, ...] = ()
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class KpiBlock:
    kpis: tuple[Kpi, ...]
    kind: Literal["kpis"] = "kpis"


@dataclass(frozen=True)
class ChartBlock:
    chart: ChartSpec
    kind: Literal["chart"] = "chart"


@dataclass(frozen=True)
class TextBlock:
    paragraphs: tuple[Paragraph, ...]
    heading: str | None = None
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class ScoreBlock:
    """One KPI shown big (the health score), with band and trend."""

    label: str
    value: str
    status: Status | None
    caption: str
    delta: str | None = None
    direction: Literal["up", "down", "flat"] | None = None
    kind: Literal["score"] = "score"


Block = KpiBlock | ChartBlock | TableBlock | TextBlock | ScoreBlock


@dataclass(frozen=True)
class Slide:
    """`layout` names a region arrangement: title, section, content, two_content, kpis_content."""

    key: str
    layout: str
    title: str
    blocks: tuple[Block, ...] = ()
    subtitle: str | None = None
    notes: str = ""
    placeholders: tuple[Placeholder, ...] = ()
    split: int | None = None
    """On two-column layouts, how many blocks go in the left column (default: half)."""


@dataclass(frozen=True)
class Deck:
    kind: str
    account_id: str
    account_name: str
    title: str
    author: str
    quarter: str
    slides: tuple[Slide, ...]
    subject: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)
    adjustments: tuple[str, ...] = ()

    @property
    def placeholders(self) -> list[tuple[int, Placeholder]]:
        return [(i, p) for i, s in enumerate(self.slides, start=1) for p in s.placeholders]
