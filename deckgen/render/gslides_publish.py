"""`--format gslides` for `render` and `batch`: the function `pipeline.render_formats` calls.

Every deck leaves a local JSON file, so the manifest and the batch's up-to-date check treat
Google Slides like any other output:

* `--dry-run`: `<account>_<kind>_<quarter>.gslides.json` is the plan (the ordered API calls);
  no network call and no credentials.
* publishing: the same name holds a receipt (link, presentation id, what happened, placeholders
  left to fill). It holds no secret, and its sha256 is what the manifest records.

One `GslidesSession` (clients + rate limiter) is kept per process and per settings, so all the
accounts a process publishes share one budget. Batch workers are separate processes: pass
`workers=N` so each takes 1/N of the per-user quota.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deckgen.render.gslides import chart_media, plan_deck, plan_file_name
from deckgen.render.gslides_requests import GslidesSettings, RateLimits

if TYPE_CHECKING:
    from deckgen.charting.style import ChartStyle
    from deckgen.metrics.results import AccountMetrics
    from deckgen.pipeline import OutputFile, RenderInputs
    from deckgen.render.gslides_client import GslidesSession

__all__ = ["publish_decks", "reset_sessions", "session_for"]

_SESSIONS: dict[str, GslidesSession] = {}


def _scaled(settings: GslidesSettings, workers: int) -> GslidesSettings:
    if workers <= 1:
        return settings
    r = settings.rate
    return dataclasses.replace(
        settings,
        rate=RateLimits(
            slides_writes_per_minute=r.slides_writes_per_minute / workers,
            slides_reads_per_minute=r.slides_reads_per_minute / workers,
            drive_requests_per_minute=r.drive_requests_per_minute / workers,
            burst=max(1, r.burst // workers),
        ),
    )


def session_for(config: Any, *, workers: int = 1, env: Any = None) -> GslidesSession:
    """The process's session for these settings (credentials chosen once, limiter shared)."""
    from deckgen.render.gslides_auth import select_credentials
    from deckgen.render.gslides_client import GslidesSession

    settings = _scaled(GslidesSettings.from_config(config), workers)
    key = repr(settings)
    if key not in _SESSIONS:
        creds = select_credentials(settings, env).credentials
        _SESSIONS[key] = GslidesSession(settings, credentials=creds)
    return _SESSIONS[key]


def reset_sessions() -> None:
    """Forget cached sessions (tests; after `deckgen auth login` in a long-lived process)."""
    _SESSIONS.clear()


def _has_url_field() -> bool:
    from deckgen.pipeline import OutputFile

    return "url" in {f.name for f in dataclasses.fields(OutputFile)}


def _output(
    kind: str, path: Path, placeholders: int, adjustments: tuple[str, ...], url: str | None
) -> OutputFile:
    from deckgen.pipeline import OutputFile

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    extra: dict[str, Any] = {"url": url} if url and _has_url_field() else {}
    return OutputFile(kind, path, placeholders, digest, adjustments, **extra)


def publish_decks(
    prepared: RenderInputs,
    m: AccountMetrics,
    out_dir: Path,
    *,
    kinds: list[str] | None = None,
    dry_run: bool = False,
    png_cache: dict[str, bytes] | None = None,
    template: Path | None = None,
    session: GslidesSession | None = None,
    workers: int = 1,
    style: ChartStyle | None = None,
) -> list[OutputFile]:
    """Build, plan and publish (or only plan) an account's decks as Google Slides.

    Raises PublishError (a RenderError-like per-account failure for batch runs) for the first
    deck that fails; decks already published stay, and a re-run resumes the failed one.
    `template` is the .pptx converted on upload when `gslides.template_id` is empty.
    """
    from deckgen.charting.style import load_style
    from deckgen.model.build import build_deck, charts_for, deck_kinds_for
    from deckgen.output.atomic import write_text
    from deckgen.output.paths import safe_join

    style = style or load_style()
    kinds = kinds or deck_kinds_for(m, prepared.config)
    specs = charts_for(m, prepared.config)
    cache = png_cache if png_cache is not None else {}
    if not dry_run and session is None:
        session = session_for(prepared.config, workers=workers)
    settings = session.settings if session else GslidesSettings.from_config(prepared.config)
    out: list[OutputFile] = []
    for kind in kinds:
        deck = build_deck(m, prepared.config, kind, charts=specs)
        quarter = m.period.quarter  # canonical id: Deck.quarter is formatted for the locale
        plan = plan_deck(deck, settings, style, template=template, quarter=quarter)
        target = safe_join(out_dir, plan_file_name(deck, quarter))
        adjustments = tuple(plan.adjustments)
        if dry_run:
            write_text(target, plan.dumps())
            out.append(_output(kind, target, len(plan.placeholders), adjustments, None))
            continue
        assert session is not None
        result = session.publish(plan, chart_media(plan, style, template=template, png_cache=cache))
        receipt = {
            "deckgen_gslides": 1,
            "account_id": deck.account_id,
            "kind": kind,
            "quarter": quarter,
            "title": result.title,
            "url": result.url,
            "presentation_id": result.presentation_id,
            "status": result.status,
            "input_hash": plan.input_hash,
            "placeholders": [{"slide": n, "marker": mk} for n, mk in plan.placeholders],
            "adjustments": list(adjustments),
            "warnings": list(result.warnings),
            "superseded": list(result.superseded),
        }
        write_text(target, json.dumps(receipt, indent=2, ensure_ascii=False) + "\n")
        # Until OutputFile has a `url` field, the link reaches the command output this way.
        note = () if _has_url_field() else (f"Google Slides {result.status}: {result.url}",)
        out.append(
            _output(
                kind,
                target,
                len(plan.placeholders),
                adjustments + tuple(result.warnings) + note,
                result.url,
            )
        )
    return out
