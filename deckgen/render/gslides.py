"""Google Slides output, per deck: plan, dry-run file, chart media, publish, template import.

The per-account entry point used by `pipeline.render_formats` is
`gslides_publish.publish_decks`; this module holds the deck-level pieces it and the CLI share.
Chart PNGs are drawn lazily (only for decks that actually upload them) and shared with the pptx
renderer through the same `png_cache` keys.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deckgen.charting.style import ChartStyle
from deckgen.errors import PublishError
from deckgen.model.deck import ChartSpec, Deck
from deckgen.render.gslides_requests import GslidesSettings, Plan, build_plan

if TYPE_CHECKING:
    from deckgen.render.gslides_client import GslidesSession, PublishResult

__all__ = [
    "chart_media",
    "import_template",
    "open_session",
    "plan_deck",
    "plan_file_name",
    "publish_deck",
    "write_plan",
]


def _default_template() -> Path:
    from deckgen.resources import data_path

    return data_path("layouts", "default.pptx")


def plan_deck(
    deck: Deck,
    settings: GslidesSettings,
    style: ChartStyle,
    *,
    template: Path | None = None,
    quarter: str | None = None,
) -> Plan:
    """The plan for one deck (the .pptx `template` is converted on upload when no
    `gslides.template_id` is configured; default: layouts/default.pptx). `quarter` is the
    canonical quarter id (`m.period.quarter`), which keys the deck in Drive."""
    name = (template or _default_template()).name
    return build_plan(deck, settings, style, template_file=name, quarter=quarter)


def plan_file_name(deck: Deck, quarter: str | None = None) -> str:
    """`<id>_<name>_<kind>_<quarter>.gslides.json`, named like the .pptx of the same deck."""
    from deckgen.output.paths import account_stem, slug

    q = quarter or slug(deck.quarter, 20)
    return f"{account_stem(deck.account_id, deck.account_name)}_{deck.kind}_{q}.gslides.json"


def write_plan(
    deck: Deck,
    settings: GslidesSettings,
    style: ChartStyle,
    out_dir: Path,
    *,
    template: Path | None = None,
    quarter: str | None = None,
) -> Path:
    """`--dry-run`: write the deck's ordered API calls as JSON (atomically); no network."""
    from deckgen.output.atomic import write_text
    from deckgen.output.paths import safe_join

    plan = plan_deck(deck, settings, style, template=template, quarter=quarter)
    target = safe_join(out_dir, plan_file_name(deck, quarter))
    write_text(target, plan.dumps())
    return target


def _chart_png(
    spec: ChartSpec, w_in: float, h_in: float, style: ChartStyle, cache: dict[str, bytes]
) -> bytes:
    """Same cache discipline as the pptx renderer: reuse by id unless the aspect is >12% off."""
    from PIL import Image

    for key in (spec.id, f"{spec.id}@{w_in:.1f}x{h_in:.1f}"):
        data = cache.get(key)
        if data is None:
            continue
        with Image.open(io.BytesIO(data)) as img:
            iw, ih = img.size
        if abs((iw / ih) / (w_in / h_in) - 1) <= 0.12:
            return data
    from deckgen.charting.mpl import render_png

    data = render_png(spec, style, w_in, h_in)
    cache[spec.id if spec.id not in cache else f"{spec.id}@{w_in:.1f}x{h_in:.1f}"] = data
    return data


def chart_media(
    plan: Plan,
    style: ChartStyle,
    *,
    template: Path | None = None,
    png_cache: dict[str, bytes] | None = None,
    renderer: Callable[[ChartSpec, float, float], bytes] | None = None,
) -> Callable[[str], bytes]:
    """`media(key)` for the executor: the template .pptx bytes or a chart PNG, made on demand."""
    cache = png_cache if png_cache is not None else {}

    def media(key: str) -> bytes:
        if key == "template":
            path = template or _default_template()
            try:
                return path.read_bytes()
            except OSError as exc:
                raise PublishError(f"cannot read the template {path}: {exc}") from None
        img = plan.charts.get(key)
        if img is None:
            raise PublishError(f"plan has no media {key!r}")
        if renderer is not None:
            return renderer(img.spec, img.width_in, img.height_in)
        return _chart_png(img.spec, img.width_in, img.height_in, style, cache)

    return media


def open_session(
    config: Any, *, env: Any = None, http: Any = None, **kwargs: Any
) -> GslidesSession:
    """Settings + credentials (`gslides_auth.select_credentials`) -> one session for a run."""
    from deckgen.render.gslides_auth import select_credentials
    from deckgen.render.gslides_client import GslidesSession

    settings = GslidesSettings.from_config(config)
    creds = None if http is not None else select_credentials(settings, env).credentials
    return GslidesSession(settings, credentials=creds, http=http, **kwargs)


def publish_deck(
    deck: Deck,
    session: GslidesSession,
    style: ChartStyle,
    *,
    template: Path | None = None,
    png_cache: dict[str, bytes] | None = None,
    quarter: str | None = None,
) -> tuple[Plan, PublishResult]:
    plan = plan_deck(deck, session.settings, style, template=template, quarter=quarter)
    media = chart_media(plan, style, template=template, png_cache=png_cache)
    return plan, session.publish(plan, media)


def import_template(path: Path, session: GslidesSession, *, name: str | None = None) -> str:
    """Upload a .pptx converted to Google Slides and return its id for `gslides.template_id`.

    Why: with the `drive.file` scope deckgen can only open files it created itself, so a
    template made by hand in Google Slides is invisible to it. Importing the designed .pptx (or
    a Slides deck downloaded as .pptx) through deckgen makes a template it may copy.
    """
    from deckgen.render.gslides_requests import DECK_MIME, FILE_FIELDS

    settings = session.settings
    body: dict[str, Any] = {
        "name": name or f"deckgen template ({path.stem})",
        "mimeType": DECK_MIME,
        "appProperties": {"deckgen_role": "template"},
    }
    if settings.folder_id:
        body["parents"] = [settings.folder_id]
    call = {
        "id": "import_template",
        "phase": "create",
        "method": "drive.files.create",
        "params": {"fields": FILE_FIELDS, "supportsAllDrives": True},
        "body": body,
        "media": "template",
    }
    from deckgen.render.gslides_schema import assert_valid

    assert_valid([call])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PublishError(f"cannot read the template {path}: {exc}") from None
    result = session.run(call, media=lambda _key: data)
    return str(result["id"])
