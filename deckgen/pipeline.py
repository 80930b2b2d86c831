"""The one module that knows the order of the stages.

load book -> validate -> metrics -> (per account) deck model -> renderers -> atomic writes.
Commands call these functions; nothing else chains stages, so the flow reads top to bottom here.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from deckgen.book.load import Book, load_book
from deckgen.book.validate import ValidationReport, validate
from deckgen.config import Config, load_config
from deckgen.errors import ConfigError, DataError
from deckgen.metrics.results import AccountMetrics


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


def load_and_validate(
    book_path: str | Path,
    *,
    config_path: str | Path | None = None,
    as_of: date | None = None,
    encoding: str = "utf-8-sig",
    overrides: dict[str, Any] | None = None,
) -> tuple[Book, Config, ValidationReport, date]:
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
    prepared: Prepared,
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
    prepared: Prepared,
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
