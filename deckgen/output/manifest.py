"""The batch's record of what it did: manifest.json, manifest.csv and the index.html summary.

Written last and atomically, so a manifest on disk always describes files that exist. CSV cells
that a spreadsheet would treat as formulas (`= + - @`, tab, CR) are neutralised with a quote.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deckgen import __version__
from deckgen.output.atomic import write_text

if TYPE_CHECKING:
    from deckgen.batch import BatchOptions
    from deckgen.pipeline import Prepared
    from deckgen.selection import Selection

CSV_COLUMNS = (
    "account_id",
    "name",
    "tier",
    "qbr_date",
    "status",
    "reasons",
    "health_score",
    "health_band",
    "roi_pct",
    "placeholders",
    "files",
    "input_hash",
    "deckgen_version",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formula injection (OWASP): prefix a quote to risky cells."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        # Plain negative numbers are data, not formulas.
        try:
            float(text)
            return text
        except ValueError:
            return "'" + text
    return text


def manifest_csv(records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in records:
        row = []
        for col in CSV_COLUMNS:
            v = r.get(col)
            if col == "reasons":
                v = "; ".join(v or [])
            elif col == "files":
                v = "; ".join(f"{f['path']} sha256:{f['sha256']}" for f in v or [])
            row.append(csv_safe(v))
        w.writerow(row)
    return buf.getvalue()


_PRIORITY = {"error": 0, "review": 1, "blocked": 2, "rendered": 3, "held": 4}


def priority_key(r: dict[str, Any]) -> tuple[Any, ...]:
    """Red first, then soonest renewal: where CS Ops should look first."""
    band_rank = {"red": 0, "yellow": 1, "green": 2}.get(r.get("health_band") or "", 3)
    return (
        _PRIORITY.get(r.get("status", ""), 5),
        band_rank,
        r.get("renewal_date") or "9999",
        r.get("name") or "",
    )


def write_outputs(
    prepared: Prepared, selection: Selection, options: BatchOptions, records: list[dict[str, Any]]
) -> tuple[Path, Path]:
    from deckgen.metrics.program import program_view
    from deckgen.narrative.env import html_env
    from deckgen.narrative.formats import Formatter

    out_dir = options.out_dir
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    view = program_view(prepared.metrics, prepared.config, prepared.as_of)
    selected_ids = {r["account_id"] for r in records}
    week_view = program_view(
        [m for m in prepared.metrics if m.account_id in selected_ids],
        prepared.config,
        prepared.as_of,
    )
    manifest = {
        "deckgen_version": __version__,
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "book": prepared.book.root,
        "as_of": prepared.as_of.isoformat(),
        "selection": selection.label,
        "shard": f"{selection.shard[0]}/{selection.shard[1]}" if selection.shard else None,
        "formats": list(options.formats),
        "counts": counts,
        "program": {
            "qbr_engagement_rate_pct": view.engagement_rate_pct,
            "eligible_accounts": view.eligible,
            "accounts_with_recent_qbr": view.held_qbr,
            "health_distribution": week_view.health_distribution,
            "at_risk_arr": week_view.at_risk_arr,
            "at_risk_arr_by_currency": week_view.at_risk_arr_by_currency,
        },
        "accounts": records,
    }
    manifest_path = out_dir / "manifest.json"
    write_text(out_dir / "manifest.csv", manifest_csv(records))
    f = Formatter(
        str(prepared.config.get("locale", "en_US")), str(prepared.config.get("currency", "USD"))
    )
    html = (
        html_env()
        .get_template("batch/index.html.j2")
        .render(
            manifest=manifest,
            records=sorted(records, key=priority_key),
            f=f,
            view=week_view,
            book_view=view,
            counts=counts,
        )
    )
    index_path = out_dir / "index.html"
    write_text(index_path, html)
    write_text(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest_path, index_path
