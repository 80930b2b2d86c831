"""QBR-week batch: select accounts, gate them, render in parallel, journal, manifest last.

The parent process loads the book and computes metrics once; worker processes, forked from a
warm server that never holds the book (`deckgen.workers`), render one account per task: the
task carries the account's metrics. Each finished account is appended to a journal, so an
interrupted run resumes; the manifest and summary page are written last, atomically, from the
journal.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from deckgen import __version__
from deckgen.errors import DeckgenError
from deckgen.metrics.results import AccountMetrics
from deckgen.pipeline import Prepared, PreparedAccount, RenderInputs, account_folder
from deckgen.selection import Selection

JOURNAL = ".deckgen/journal.jsonl"
FORMATS = ("pptx", "email", "gslides", "briefing", "preread", "followup")


@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    formats: tuple[str, ...] = ("pptx", "email")
    template: Path | None = None
    charts: str = "image"
    force: bool = False
    jobs: int = 1
    dry_run: bool = False  # gslides: write the plans, make no network call


@dataclass
class AccountResult:
    record: dict[str, Any]
    reused: bool = False


@dataclass
class BatchResult:
    records: list[dict[str, Any]]
    manifest_path: Path
    index_path: Path
    counts: dict[str, int] = field(default_factory=dict)
    reused: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("error") else 0


# ------------------------------------------------------------------ per-account work


def routed_formats(
    m: AccountMetrics, prepared: RenderInputs, formats: tuple[str, ...]
) -> tuple[tuple[str, ...], list[str]]:
    """The requested formats this account's tier gets, and its deck kinds.

    Decks (pptx, gslides) go to tiers whose outputs list a deck; email to tiers whose outputs
    list email; the briefing, pre-read and follow-up accompany a QBR call, so they go to tiers
    with a deck, or to any tier whose outputs name them.
    """
    from deckgen.model.build import deck_kinds_for, gets_email

    tier_outputs = set(prepared.config.get(f"outputs.{m.tier}", []) or [])
    kinds = deck_kinds_for(m, prepared.config)
    chosen = []
    for fmt in formats:
        if fmt in ("pptx", "gslides"):
            ok = bool(kinds)
        elif fmt == "email":
            ok = gets_email(m, prepared.config)
        else:
            ok = fmt in tier_outputs or bool(kinds)
        if ok:
            chosen.append(fmt)
    return tuple(chosen), kinds


def input_hash(m: AccountMetrics, prepared: Prepared, options: BatchOptions) -> str:
    """Everything that shapes this account's files: its metrics, the config, the options,
    the template and deckgen's version. Unchanged hash + unchanged files = skip."""
    h = hashlib.sha256()
    h.update(json.dumps(m.as_json(), sort_keys=True, default=str).encode())
    h.update(prepared.config.to_yaml().encode())
    h.update(
        f"{__version__}|{options.charts}|{','.join(options.formats)}|{options.dry_run}".encode()
    )
    if options.template is not None:
        h.update(hashlib.sha256(Path(options.template).read_bytes()).digest())
    return h.hexdigest()


def _render_one(
    prepared: RenderInputs, m: AccountMetrics, qbr: date | None, options: BatchOptions, digest: str
) -> dict[str, Any]:
    from deckgen.pipeline import render_formats

    record = _base_record(m, qbr, digest)
    if m.status in ("held", "blocked"):
        record["status"] = m.status
        return record
    folder = account_folder(options.out_dir, m)
    try:
        chosen, kinds = routed_formats(m, prepared, options.formats)
        files = render_formats(
            prepared,
            m,
            folder,
            chosen,
            deck_kinds=kinds,
            template=options.template,
            charts=options.charts,
            dry_run=options.dry_run,
            workers=options.jobs,
        )
    except DeckgenError as exc:
        record.update(status="error", reasons=[*record["reasons"], str(exc)])
        return record
    except Exception as exc:
        record.update(status="error", reasons=[*record["reasons"], f"{type(exc).__name__}: {exc}"])
        return record
    record["status"] = "review" if m.status == "review" else "rendered"
    record["variant"] = "onboarding" if m.facts.onboarding else "standard"
    record["placeholders"] = sum(f.placeholders for f in files)
    record["files"] = [
        {
            "path": f.path.relative_to(options.out_dir.resolve()).as_posix(),
            "kind": f.kind,
            "sha256": f.sha256,
            "placeholders": f.placeholders,
            **({"url": f.url} if f.url else {}),
        }
        for f in files
    ]
    if not files:
        record["reasons"] = [*record["reasons"], "no output for this tier in the chosen formats"]
    return record


def _base_record(m: AccountMetrics, qbr: date | None, digest: str) -> dict[str, Any]:
    return {
        "account_id": m.account_id,
        "name": m.name,
        "tier": m.tier,
        "qbr_date": qbr.isoformat() if qbr else None,
        "status": m.status,
        "reasons": list(m.reasons),
        "health_score": m.health.score,
        "health_band": m.health.band,
        "roi_pct": None if m.value.roi_pct is None else round(m.value.roi_pct, 1),
        "placeholders": 0,
        "files": [],
        "arr": m.facts.arr,
        "currency": m.facts.currency,
        "renewal_date": m.facts.renewal_date.isoformat() if m.facts.renewal_date else None,
        "csm_name": m.facts.csm_name,
        "input_hash": digest,
        "deckgen_version": __version__,
    }


# ------------------------------------------------------------------ resumability


def _previous_records(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Last known record per account: the manifest, then the journal of an interrupted run."""
    records: dict[str, dict[str, Any]] = {}
    manifest = out_dir / "manifest.json"
    if manifest.is_file():
        try:
            for r in json.loads(manifest.read_text(encoding="utf-8")).get("accounts", []):
                records[str(r["account_id"])] = r
        except (ValueError, KeyError, TypeError):
            pass
    journal = out_dir / JOURNAL
    if journal.is_file():
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
                records[str(r["account_id"])] = r
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a killed run
    return records


def _up_to_date(prev: dict[str, Any] | None, digest: str, out_dir: Path) -> bool:
    if not prev or prev.get("input_hash") != digest:
        return False
    if prev.get("status") not in ("rendered", "review", "held", "blocked"):
        return False
    for f in prev.get("files", []):
        path = out_dir / f["path"]
        if not path.is_file():
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() != f.get("sha256"):
            return False
    return True


# ------------------------------------------------------------------ parallel driver

_WORKER: dict[str, Any] = {}


def _worker_init(common: tuple[Any, ...], options: BatchOptions) -> None:
    """Once per worker: the run's config, dates and options, and a warm renderer for them (the
    server warmed the default template; a custom one is loaded here, once per worker)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _WORKER.update(common=common, options=options)
    with contextlib.suppress(Exception):  # rendering reports it, for the account it concerns
        _warm_up(options.formats, options.template)


def _worker_task(
    m: AccountMetrics, modules: frozenset[str] | None, qbr: date | None, digest: str
) -> dict[str, Any]:
    """Render one account in a worker, from the metrics the task carries (~8 KB pickled)."""
    config, as_of, quarter = _WORKER["common"]
    inputs = PreparedAccount(config, as_of, quarter, m, modules)
    return _render_one(inputs, m, qbr, _WORKER["options"], digest)


def _warm_up(formats: tuple[str, ...] = ("pptx",), template: Path | None = None) -> None:
    """Load fonts, chart styles and the deck renderer once per process: in the workers' server
    (`deckgen.worker_server`), so that workers start warm and share those pages; in a worker,
    where only a custom template is still to load; before rendering in-process (`--jobs 1`)."""
    from deckgen.charting.mpl import warm_up
    from deckgen.pipeline import ready_renderers

    warm_up()
    ready_renderers(formats, template=template)


def run_batch(
    prepared: Prepared,
    selection: Selection,
    options: BatchOptions,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
) -> BatchResult:
    from deckgen.output.atomic import clean_stale_temps
    from deckgen.selection import select

    started = time.monotonic()
    out_dir = options.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out_dir)
    options = replace(options, out_dir=out_dir)
    chosen = select(prepared.metrics, selection, prepared.config)
    previous = {} if options.force else _previous_records(out_dir)
    journal_path = out_dir / JOURNAL
    journal_path.parent.mkdir(parents=True, exist_ok=True)

    records: dict[str, dict[str, Any]] = {}
    todo: dict[str, tuple[AccountMetrics, date | None, str]] = {}
    reused = 0
    total = len(chosen)
    done = 0
    for m, qbr in chosen:
        digest = input_hash(m, prepared, options)
        prev = previous.get(m.account_id)
        if _up_to_date(prev, digest, out_dir):
            assert prev is not None
            records[m.account_id] = prev
            reused += 1
            done += 1
            if progress:
                progress({**prev, "reused": True}, done, total)
        else:
            todo[m.account_id] = (m, qbr, digest)

    with open(journal_path, "a", encoding="utf-8") as journal:

        def finish(record: dict[str, Any]) -> None:
            nonlocal done
            records[record["account_id"]] = record
            journal.write(json.dumps(record, ensure_ascii=False) + "\n")
            journal.flush()
            done += 1
            if progress:
                progress(record, done, total)

        for record in _execute(prepared, options, todo):
            finish(record)

    ordered = [records[m.account_id] for m, _ in chosen if m.account_id in records]
    from deckgen.output.manifest import write_outputs

    manifest_path, index_path = write_outputs(prepared, selection, options, ordered)
    journal_path.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    for r in ordered:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return BatchResult(
        ordered, manifest_path, index_path, counts, reused, time.monotonic() - started
    )


def _execute(
    prepared: Prepared,
    options: BatchOptions,
    todo: dict[str, tuple[AccountMetrics, date | None, str]],
) -> Iterator[dict[str, Any]]:
    if not todo:
        return
    jobs = max(1, min(options.jobs, len(todo)))
    if jobs == 1:
        _warm_up(options.formats, options.template)
        for m, qbr, digest in todo.values():
            yield _render_one(prepared, m, qbr, options, digest)
        return
    # The parent only waits from here on: freezing keeps its collector from walking the whole
    # book and its metrics again while it does.
    gc.collect()
    gc.freeze()
    from deckgen.workers import worker_pool

    common = (prepared.config, prepared.as_of, prepared.quarter)
    pool = worker_pool(jobs, _worker_init, (common, options))
    try:
        pending: set[Future[dict[str, Any]]] = set()
        queue = list(reversed(todo))  # popped from the end: in selection order
        # Keep the queue short so Ctrl-C stops quickly and memory stays flat.
        while queue or pending:
            while queue and len(pending) < jobs * 2:
                m, qbr, digest = todo[queue.pop()]
                modules = prepared.product_modules(m)
                pending.add(pool.submit(_worker_task, m, modules, qbr, digest))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        _WORKER.clear()
        gc.unfreeze()
