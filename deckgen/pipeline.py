"""The one module that knows the order of the stages.

load book -> validate -> metrics -> (per account) deck model -> renderers -> atomic writes.
Commands call these functions; nothing else chains stages, so the flow reads top to bottom here.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from deckgen.config import Config, load_config
from deckgen.errors import ConfigError, DataError
from deckgen.metrics.results import AccountMetrics

if TYPE_CHECKING:
    # Loading and validating need pandas (~0.3 s to import); they are imported where they run,
    # so that rendering one account prepared in another process never imports it.
    from deckgen.background import Background
    from deckgen.book.load import Book
    from deckgen.book.validate import ValidationReport


class RenderInputs(Protocol):
    """What renderers read besides an account's metrics: the effective config, the as-of date
    and, from the book's feature catalog, the modules of the account's product.

    `Prepared` (a whole book) and `PreparedAccount` (one account, no tables) both provide it.
    """

    @property
    def config(self) -> Config: ...

    @property
    def as_of(self) -> date: ...

    def product_modules(self, m: AccountMetrics) -> frozenset[str] | None: ...


@dataclass
class Prepared:
    """A loaded, validated book with every account's metrics: the input of every renderer."""

    book: Book
    config: Config
    report: ValidationReport
    metrics: list[AccountMetrics]
    as_of: date
    quarter: str | None

    def account(self, account_id: str) -> AccountMetrics:
        for m in self.metrics:
            if m.account_id == account_id:
                return m
        ids = [m.account_id for m in self.metrics]
        folded = {i.strip().casefold(): i for i in ids}
        guess = folded.get(account_id.strip().casefold()) or next(
            iter(difflib.get_close_matches(account_id, ids, n=1, cutoff=0.6)), None
        )
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise DataError(f"no account {account_id!r} in the book{hint}")

    def product_modules(self, m: AccountMetrics) -> frozenset[str] | None:
        """The modules (casefolded) of `m`'s product, from the book's feature catalog; None when
        the book cannot tell. The email lists only shipped roadmap items of these modules."""
        from deckgen.render.email_content import product_modules

        catalog = self.book.get("feature_catalog") if self.book is not None else None
        return product_modules(catalog, m.facts.product_type)


def load_and_validate(
    book_path: str | Path,
    *,
    config_path: str | Path | None = None,
    as_of: date | None = None,
    encoding: str = "utf-8-sig",
    overrides: dict[str, Any] | None = None,
) -> tuple[Book, Config, ValidationReport, date]:
    from deckgen.book.load import load_book
    from deckgen.book.validate import validate

    as_of = as_of or date.today()
    config = load_config(config_path, book_dir=book_path, overrides=overrides)
    book = load_book(book_path, config, encoding=encoding)
    report = validate(book, config, as_of)
    return book, config, report, as_of


def prepare(
    book_path: str | Path,
    *,
    config_path: str | Path | None = None,
    as_of: date | None = None,
    quarter: str | None = None,
    encoding: str = "utf-8-sig",
    overrides: dict[str, Any] | None = None,
    account_ids: list[str] | None = None,
) -> Prepared:
    from deckgen.metrics.engine import compute_metrics

    book, config, report, as_of = load_and_validate(
        book_path, config_path=config_path, as_of=as_of, encoding=encoding, overrides=overrides
    )
    metrics = compute_metrics(
        book, config, as_of=as_of, quarter=quarter, gates=report.gates, account_ids=account_ids
    )
    return Prepared(book, config, report, metrics, as_of, quarter)


@dataclass(frozen=True)
class PreparedAccount:
    """One account's metrics and the settings they were computed with, without the book.

    Plain Python objects only (no pandas), so it pickles small (~12 KB) and a process that
    receives it never imports pandas.
    """

    config: Config
    as_of: date
    quarter: str | None
    metrics: AccountMetrics
    modules: frozenset[str] | None  # `Prepared.product_modules` of this account

    def product_modules(self, m: AccountMetrics) -> frozenset[str] | None:
        if m.account_id != self.metrics.account_id:
            raise ValueError(f"prepared for {self.metrics.account_id!r}, not {m.account_id!r}")
        return self.modules


def prepare_account(
    book_path: str | Path,
    account_id: str,
    *,
    config_path: str | Path | None = None,
    as_of: date | None = None,
    quarter: str | None = None,
    encoding: str = "utf-8-sig",
) -> PreparedAccount:
    """`prepare` for one account: the same metrics, computed only as far as it needs.

    Benchmarks compare with the whole book, so every account still goes through the first pass
    (health, usage, support: what cohorts are built from); only this account is completed.
    An id not in the book raises `DataError`, with the same "did you mean" as `Prepared.account`.
    """
    from deckgen.metrics.engine import compute_metrics

    book, config, report, as_of = load_and_validate(
        book_path, config_path=config_path, as_of=as_of, encoding=encoding
    )
    options: dict[str, Any] = {"as_of": as_of, "quarter": quarter, "gates": report.gates}
    metrics = compute_metrics(book, config, account_ids=[account_id], **options)
    if not metrics:  # not in the book: the hint is chosen from every account's id
        metrics = compute_metrics(book, config, **options)
    prepared = Prepared(book, config, report, metrics, as_of, quarter)
    m = prepared.account(account_id)
    return PreparedAccount(config, as_of, quarter, m, prepared.product_modules(m))


def prepare_account_in_background(
    book_path: str | Path, account_id: str, **options: Any
) -> Background[PreparedAccount]:
    """Start `prepare_account` in a forked process; `.result()` waits for it.

    For `deckgen render`: the caller imports and readies the renderers meanwhile (see
    `deckgen.background` for why and how).
    """
    from deckgen.background import Background

    return Background(prepare_account, book_path, account_id, **options)


def ready_renderers(formats: tuple[str, ...], *, template: Path | None = None) -> None:
    """Import and warm up the deck renderer, for `deckgen render` while its book is prepared.

    None of this depends on the account: importing python-pptx and matplotlib (~0.6 s), and the
    first deck's one-off work (the template `template` or the default one, chart style, deck
    specs, text templates, fonts, locale data: ~0.1 s). Done here, it overlaps with preparing
    the book in another process instead of following it. Best effort: a failing step is left
    for rendering to report, in its proper order (after the book's own problems).
    """
    if "pptx" not in formats:
        return
    # What this makes (modules, classes, caches) lives as long as the process: the cyclic
    # collector's passes over it find nothing to free (~10% of this step while importing, and
    # again at every later full collection), so it is paused meanwhile and the result frozen
    # out of its sight, as the batch workers' server freezes its warm-up before forking.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _ready_decks(template)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _ready_decks(template: Path | None) -> None:
    import deckgen.render.pptx  # noqa: F401 - python-pptx and matplotlib
    from deckgen.charting.style import load_style
    from deckgen.model.build import DECK_KINDS
    from deckgen.model.specs import load_spec
    from deckgen.narrative.env import compile_text_templates
    from deckgen.narrative.formats import Formatter
    from deckgen.render.pptx_template import prepared_template
    from deckgen.render.pptx_text import Face

    def theme_fonts() -> None:
        theme = prepared_template(template).theme
        for family in sorted({theme.major_font, theme.minor_font}):
            for bold in (False, True):
                Face(family, bold).ref_width("0")  # finds (fc-match: ~10 ms) and opens the TTF

    def specs() -> None:
        for kind in DECK_KINDS:
            load_spec(kind, None)  # called as build_deck calls it, so its cache is hit

    def text_templates() -> None:
        compile_text_templates("narrative", "notes", overrides=None)

    def locale_data() -> None:
        f = Formatter()  # babel loads its locale data and number patterns on first use
        f.money(12_345.0)
        f.money(123.0)
        f.number(1.5, 1)
        f.date(date.today())

    steps: list[Callable[[], object]] = [
        load_style,
        theme_fonts,
        specs,
        text_templates,
        locale_data,
    ]
    for step in steps:
        with contextlib.suppress(Exception):
            step()


def book_fingerprint(book_path: str | Path, config: Config) -> str:
    """sha256 over the book's files and the effective config: the batch's "inputs changed" test."""
    h = hashlib.sha256()
    root = Path(book_path)
    files = sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else [root]
    for p in files:
        h.update(p.name.encode())
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    h.update(config.to_yaml().encode())
    return h.hexdigest()


# ---------------------------------------------------------------- per-account outputs


@dataclass(frozen=True)
class OutputFile:
    """One file written for an account, as the manifest and command output report it."""

    kind: str  # executive, enterprise, onboarding, email, ...
    path: Path
    placeholders: int
    sha256: str
    adjustments: tuple[str, ...] = ()
    url: str | None = None  # a published copy (Google Slides), when there is one


def account_folder(out_dir: Path, m: AccountMetrics) -> Path:
    """Where an account's files go: Red accounts into `review/`, for the manager first."""
    return out_dir / "review" if m.status == "review" else out_dir


def deck_file_name(m: AccountMetrics, kind: str, ext: str = "pptx") -> str:
    from deckgen.output.paths import account_stem

    return f"{account_stem(m.account_id, m.name)}_{kind}_{m.period.quarter}.{ext}"


def render_decks(
    prepared: RenderInputs,
    m: AccountMetrics,
    out_dir: Path,
    *,
    kinds: list[str] | None = None,
    template: Path | None = None,
    charts: str = "image",
    png_cache: dict[str, bytes] | None = None,
) -> list[OutputFile]:
    """Build and write an account's decks atomically; returns what was written."""
    from deckgen.charting.style import load_style
    from deckgen.model.build import build_deck, charts_for, deck_kinds_for
    from deckgen.output.atomic import atomic_path
    from deckgen.output.paths import safe_join
    from deckgen.render.pptx import render_pptx

    kinds = kinds or deck_kinds_for(m, prepared.config)
    specs = charts_for(m, prepared.config)
    cache = png_cache if png_cache is not None else {}
    style = load_style()
    if template is None and prepared.config.get("pptx.template"):
        template = Path(str(prepared.config.get("pptx.template")))
        if not template.is_file():
            raise ConfigError(f"pptx.template: file not found: {template}")
    layout_names = dict(prepared.config.get("pptx.layout_names", {}) or {}) or None
    # A fixed creation time makes the same inputs give the same deck, run after run.
    created = datetime.combine(prepared.as_of, time(9, 0))
    written = []
    for kind in kinds:
        deck = build_deck(m, prepared.config, kind, charts=specs)
        target = safe_join(out_dir, deck_file_name(m, kind))
        with atomic_path(target) as tmp:
            report = render_pptx(
                deck,
                tmp,
                template=template,
                charts=charts,  # type: ignore[arg-type]
                style=style,
                png_cache=cache,
                layout_names=layout_names,
                created=created,
            )
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        written.append(
            OutputFile(
                kind,
                target,
                len(report.placeholders),
                digest,
                tuple(report.adjustments),
            )
        )
    return written


DOCUMENT_FORMATS = ("briefing", "preread", "followup")


def render_formats(
    prepared: RenderInputs,
    m: AccountMetrics,
    out_dir: Path,
    formats: tuple[str, ...],
    *,
    deck_kinds: list[str] | None = None,
    template: Path | None = None,
    charts: str = "image",
    dry_run: bool = False,
    png_cache: dict[str, bytes] | None = None,
    workers: int = 1,
) -> list[OutputFile]:
    """Every requested output of one account. Chart PNGs are drawn once and shared."""
    from deckgen.model.build import deck_kinds_for

    cache = png_cache if png_cache is not None else {}
    files: list[OutputFile] = []
    kinds = deck_kinds or deck_kinds_for(m, prepared.config)
    if "pptx" in formats and kinds:
        files += render_decks(
            prepared, m, out_dir, kinds=kinds, template=template, charts=charts, png_cache=cache
        )
    if "gslides" in formats and kinds:
        require_extra("googleapiclient", "Google Slides output", "gslides")
        from deckgen.render.gslides_publish import publish_decks

        files += publish_decks(
            prepared,
            m,
            out_dir,
            kinds=kinds,
            dry_run=dry_run,
            png_cache=cache,
            template=template,
            workers=workers,
        )
    if "email" in formats:
        from deckgen.render.email import render_email_files

        files += render_email_files(prepared, m, out_dir)
    docs = [k for k in DOCUMENT_FORMATS if k in formats]
    if docs:
        from deckgen.render.documents import render_documents

        files += render_documents(prepared, m, out_dir, docs)
    return files


def require_extra(module: str, feature: str, extra: str) -> None:
    """A clear message, not an ImportError traceback, when an optional extra is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{feature} needs an optional extra: pip install 'deckgen[{extra}]'")
