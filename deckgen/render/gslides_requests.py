"""Deck model -> an ordered plan of Google Drive and Slides API calls. Pure: no network, no google.

Why a plan instead of calling the APIs while walking the deck:

* `--dry-run` writes exactly what would be sent, and tests validate every request body of every
  plan against the APIs' own discovery schemas (`gslides_schema`), offline.
* The executor (`gslides_client`) stays small and generic: it runs calls in order, rate-limits
  and retries them, and fills in values only the server knows (the new presentation's id, the
  uploaded images' URLs, the template's layout ids, the speaker-notes shape ids).

Those server-side values appear in the plan as references, JSON objects such as
`{"$ref": ["create", "id"]}` (a path into an earlier call's response, where a path element may be
a key, an index, or a `{"objectId": ...}` selector) and, inside a `requests` list,
`{"$each": [...path to a list...], "do": {...request with {"$item": []}...}}`. User text only
ever appears as JSON *strings*, so an account named `{"$ref": ...}`, `{{arr}}` or `"}]}` stays a
literal string: it cannot become a reference, a tag or an extra request. deckgen never uses
`replaceAllText`; every value is written with `insertText` into an object deckgen created.

The call sequence for one deck (`phase` in brackets; the executor skips phases when resuming):

1. [find] `drive.files.list` by the deck's `appProperties` tag: an earlier run's copy is
   resumed, replaced or kept, never duplicated.
2. [create] `drive.files.copy` of the template presentation, or `drive.files.create` converting
   the .pptx template on upload; tagged `deckgen_stage=in_progress`.
3. [inspect] `slides.presentations.get` of the copy: revision, page size, layouts (resolved to
   layout and placeholder ids by `template_facts`) and the template's own slides.
4. [images] per chart: `drive.files.create` (PNG upload) + `drive.permissions.create` (anyone
   with the link, reader): Slides fetches images by URL and rejects private Drive files.
5. [content] ONE `presentations.batchUpdate`: createSlide per slide (deterministic ids, layout
   placeholders mapped to our ids), text, tables, KPI tiles, images, placeholder styling, then
   deletion of the template's slides. Atomic, guarded by `requiredRevisionId`.
6. [unshare] per chart: `drive.permissions.delete` then `drive.files.delete`, right away: the
   images were copied into the presentation at insertion time.
7. [notes] `slides.presentations.get` of the new slides' `speakerNotesObjectId`s, then a second,
   small batchUpdate of `insertText` into each notes shape. The ids do not exist until the
   slides do and the API documents reading them back (inserting into the returned id creates the
   shape), so notes cannot ride in the first batch without guessing undocumented ids.
8. [finish] `drive.files.update`: final name, `deckgen_stage=complete`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from deckgen.book.text import clean_text
from deckgen.charting.style import ChartStyle
from deckgen.errors import ConfigError, PublishError
from deckgen.model.deck import (
    MARKER_RE,
    Block,
    Cell,
    ChartBlock,
    ChartSpec,
    Deck,
    Kpi,
    KpiBlock,
    Paragraph,
    Run,
    ScoreBlock,
    Slide,
    Status,
    TableBlock,
    TextBlock,
)

__all__ = [
    "DECK_MIME",
    "PLAN_VERSION",
    "PPTX_MIME",
    "ChartImage",
    "GslidesSettings",
    "Plan",
    "RateLimits",
    "RetrySettings",
    "build_plan",
    "deck_input_hash",
    "deck_key",
    "delete_file_call",
    "fake_results",
    "find_call",
    "lookup",
    "notes_state",
    "resolve",
    "revision_call",
    "template_facts",
    "trash_call",
    "valid_object_id",
]

PLAN_VERSION = 1
DECK_MIME = "application/vnd.google-apps.presentation"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PNG_MIME = "image/png"
EMU_PER_IN = 914400
EMU_PER_PT = 12700
# PowerPoint widescreen, the size of deckgen's own layouts/default.pptx (geometry is designed here
# and scaled to other sizes).
REF_W, REF_H = 12192000, 6858000
SLIDE_SIZES = {
    "widescreen": (12192000, 6858000),  # 13.333 x 7.5 in: PowerPoint 16:9, layouts/default.pptx
    "google": (9144000, 5143500),  # 10 x 5.625 in: Google Slides' own 16:9
    "standard": (9144000, 6858000),  # 10 x 7.5 in: 4:3
}
ROLES = ("title", "section", "content")
ROLE_OF_LAYOUT = {"title": "title", "section": "section"}  # everything else: content
# Layout names by convention: Google's predefined layout names first, then PowerPoint's (a .pptx
# template converted on upload keeps its layout names).
LAYOUT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "title": ("TITLE", "Title Slide", "Title slide"),
    "section": ("SECTION_HEADER", "Section Header", "Section header"),
    "content": ("TITLE_ONLY", "Title Only", "Title only"),
}
TITLE_TYPES = ("CENTERED_TITLE", "TITLE")
SUBTITLE_TYPES = ("SUBTITLE", "BODY")
OBJECT_ID_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_\-:]{4,49}$")
ARROWS = {"up": "▲", "down": "▼", "flat": "►"}
CONT = " (cont.)"
IN_PROGRESS_SUFFIX = " (deckgen: in progress)"
APP_PROPERTY_MAX_BYTES = 124  # Drive: key + value of one appProperty, UTF-8
INSPECT_FIELDS = (
    "revisionId,pageSize,slides(objectId),"
    "layouts(objectId,layoutProperties(name,displayName),"
    "pageElements(objectId,shape(placeholder(type,index))))"
)
NOTES_FIELDS = (
    "revisionId,slides(objectId,slideProperties(notesPage(notesProperties,"
    "pageElements(objectId,shape(text(textElements(textRun(content))))))))"
)
FILE_FIELDS = "id,name,webViewLink"
FIND_FIELDS = "nextPageToken,files(id,name,appProperties,webViewLink,createdTime)"

Json = dict[str, Any]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class RateLimits:
    """Client-side budgets, per process, kept under Google's per-user quotas.

    Slides allows 60 write and 300 read requests a minute per user (600/3000 per project); one
    batchUpdate counts as one write whatever it holds. Drive allows far more, but sustained
    writes beyond a few a second draw 403 rate-limit errors, so uploads are paced too.
    """

    slides_writes_per_minute: float = 50.0
    slides_reads_per_minute: float = 240.0
    drive_requests_per_minute: float = 120.0
    burst: int = 5


@dataclass(frozen=True)
class RetrySettings:
    """Capped exponential backoff with full jitter; `Retry-After` is honoured up to a limit."""

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 32.0
    max_retry_after_s: float = 120.0


@dataclass(frozen=True)
class GslidesSettings:
    """The `gslides:` section of the configuration, checked once (see defaults.yaml)."""

    template_id: str = ""
    folder_id: str = ""
    shared_drive_id: str = ""
    slide_width_emu: int = SLIDE_SIZES["widescreen"][0]
    slide_height_emu: int = SLIDE_SIZES["widescreen"][1]
    layouts: Mapping[str, str] = field(default_factory=dict)
    on_existing: Literal["replace", "keep"] = "replace"
    auth: Literal["auto", "oauth", "service_account", "adc"] = "auto"
    oauth_client_file: str = ""
    service_account_file: str = ""
    delegated_user: str = ""
    token_file: str = ""
    rate: RateLimits = RateLimits()
    retry: RetrySettings = RetrySettings()
    timeout_s: float = 60.0

    @classmethod
    def from_config(cls, config: Any) -> GslidesSettings:
        """Read `gslides.*` from a `Config`; every problem is one ConfigError listing them all."""
        g = config.get("gslides", {}) or {}
        problems: list[str] = []

        def text(key: str) -> str:
            value = g.get(key, "")
            if value is None:
                return ""
            if not isinstance(value, str):
                problems.append(f"gslides.{key}: expected text, got {value!r}")
                return ""
            return value.strip()

        def number(section: str, key: str, default: float, lo: float, hi: float) -> float:
            value = (g.get(section) or {}).get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"gslides.{section}.{key}: expected a number, got {value!r}")
                return default
            if not lo <= float(value) <= hi:
                problems.append(f"gslides.{section}.{key}: must be between {lo:g} and {hi:g}")
                return default
            return float(value)

        try:
            width, height = parse_slide_size(str(g.get("slide_size", "widescreen")))
        except ConfigError as exc:
            problems.append(str(exc))
            width, height = SLIDE_SIZES["widescreen"]
        layouts_raw = g.get("layouts") or {}
        layouts = {}
        for role, name in layouts_raw.items():
            if role not in ROLES:
                problems.append(f"gslides.layouts.{role}: unknown role (roles: {', '.join(ROLES)})")
            elif name:
                layouts[role] = str(name)
        on_existing = text("on_existing") or "replace"
        if on_existing not in ("replace", "keep"):
            problems.append(f"gslides.on_existing: expected replace or keep, got {on_existing!r}")
        auth = text("auth") or "auto"
        if auth not in ("auto", "oauth", "service_account", "adc"):
            problems.append(
                f"gslides.auth: expected auto, oauth, service_account or adc, got {auth!r}"
            )
        rate = RateLimits(
            slides_writes_per_minute=number("rate_limit", "slides_writes_per_minute", 50, 1, 60),
            slides_reads_per_minute=number("rate_limit", "slides_reads_per_minute", 240, 1, 300),
            drive_requests_per_minute=number(
                "rate_limit", "drive_requests_per_minute", 120, 1, 12000
            ),
            burst=int(number("rate_limit", "burst", 5, 1, 60)),
        )
        retry = RetrySettings(
            max_attempts=int(number("retry", "max_attempts", 6, 1, 20)),
            base_delay_s=number("retry", "base_delay_s", 1.0, 0.0, 60),
            max_delay_s=number("retry", "max_delay_s", 32.0, 0.0, 600),
            max_retry_after_s=number("retry", "max_retry_after_s", 120.0, 0.0, 3600),
        )
        timeout = g.get("timeout_s", 60)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            problems.append(f"gslides.timeout_s: expected a positive number, got {timeout!r}")
            timeout = 60
        settings = cls(
            template_id=text("template_id"),
            folder_id=text("folder_id"),
            shared_drive_id=text("shared_drive_id"),
            slide_width_emu=width,
            slide_height_emu=height,
            layouts=layouts,
            on_existing=on_existing,  # type: ignore[arg-type]
            auth=auth,  # type: ignore[arg-type]
            oauth_client_file=text("oauth_client_file"),
            service_account_file=text("service_account_file"),
            delegated_user=text("delegated_user"),
            token_file=text("token_file"),
            rate=rate,
            retry=retry,
            timeout_s=float(timeout),
        )
        if problems:
            raise ConfigError(
                f"{len(problems)} problem(s) in gslides settings:\n  - " + "\n  - ".join(problems)
            )
        return settings


def parse_slide_size(value: str) -> tuple[int, int]:
    """`widescreen` | `google` | `standard` | `WxH` in inches (e.g. `13.333x7.5`) -> EMU."""
    v = value.strip().lower()
    if v in SLIDE_SIZES:
        return SLIDE_SIZES[v]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)", v)
    if m:
        w, h = float(m.group(1)), float(m.group(2))
        if 4 <= w <= 56 and 3 <= h <= 56:
            return round(w * EMU_PER_IN), round(h * EMU_PER_IN)
    raise ConfigError(
        f"gslides.slide_size: expected widescreen, google, standard or WxH in inches "
        f"(e.g. 13.333x7.5), got {value!r}"
    )


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class ChartImage:
    """A chart to draw and upload: the spec and the size it is placed at on the slide."""

    spec: ChartSpec
    width_in: float
    height_in: float


@dataclass
class Plan:
    """Ordered API calls for one deck, plus what the executor must supply (media) and report."""

    deck_key: str
    input_hash: str
    title: str
    account_id: str
    kind: str
    quarter: str
    calls: list[Json]
    charts: dict[str, ChartImage]
    template: str
    slides: int
    placeholders: list[tuple[int, str]]
    adjustments: list[str]
    object_prefix: str

    def call(self, call_id: str) -> Json:
        for c in self.calls:
            if c["id"] == call_id:
                return c
        raise KeyError(call_id)

    def first_slide_id(self) -> str:
        """Our first slide's objectId: its presence in the copy means the content batch ran."""
        for req in self.call("content")["body"]["requests"]:
            if "createSlide" in req:
                return str(req["createSlide"]["objectId"])
        raise KeyError("createSlide")

    def to_json(self) -> Json:
        return {
            "deckgen_plan": PLAN_VERSION,
            "deck": {
                "account_id": self.account_id,
                "kind": self.kind,
                "quarter": self.quarter,
                "title": self.title,
                "deckgen_key": self.deck_key,
                "input_hash": self.input_hash,
                "template": self.template,
                "slides": self.slides,
                "placeholders": [{"slide": n, "marker": m} for n, m in self.placeholders],
                "adjustments": list(self.adjustments),
            },
            "media": {
                key: {
                    "chart": img.spec.id,
                    "mimeType": PNG_MIME,
                    "width_in": img.width_in,
                    "height_in": img.height_in,
                }
                for key, img in self.charts.items()
            }
            | (
                {"template": {"file": self.template, "mimeType": PPTX_MIME}}
                if not self.template.startswith("slides:")
                else {}
            ),
            "calls": self.calls,
        }

    def dumps(self) -> str:
        """Stable, human-diffable JSON (the dry-run output and the golden files)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def deck_key(deck: Deck, quarter: str | None = None) -> str:
    """Identity of "this account's deck of this kind for this quarter", stable across runs.

    `quarter` is the canonical quarter id (e.g. "2026Q3"); `Deck.quarter` is formatted for the
    reader's locale, and a locale change must not make a re-run miss the existing deck. Hex
    only, so it can sit inside a Drive query string without any escaping.
    """
    raw = "\x1f".join((deck.account_id, deck.kind, quarter or deck.quarter))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def deck_input_hash(deck: Deck, settings: GslidesSettings, style: ChartStyle, template: str) -> str:
    """What the deck was made from: a re-run with the same hash has nothing new to publish."""
    style_data = dataclasses.asdict(style)
    style_data.pop("source", None)
    payload = {
        "v": PLAN_VERSION,
        "deck": dataclasses.asdict(deck),
        "style": style_data,
        "template": template,
        "size": [settings.slide_width_emu, settings.slide_height_emu],
        "layouts": dict(sorted(settings.layouts.items())),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def valid_object_id(object_id: str) -> bool:
    """The Slides rule: 5-50 chars of [a-zA-Z0-9_-:], starting with [a-zA-Z0-9_]."""
    return bool(OBJECT_ID_RE.match(object_id))


def build_plan(
    deck: Deck,
    settings: GslidesSettings,
    style: ChartStyle,
    *,
    template_file: str = "default.pptx",
    input_hash: str | None = None,
    quarter: str | None = None,
) -> Plan:
    """The full call plan for `deck`. Deterministic: same inputs, byte-identical JSON.

    `template_file` names the .pptx converted on upload when `settings.template_id` is empty
    (the executor is handed its bytes); it is only a label in the plan. `quarter`: the
    canonical quarter id for the deck's identity in Drive (default: `deck.quarter`).
    """
    if not deck.slides:
        raise PublishError(f"deck for {deck.account_id} has no slides")
    template = f"slides:{settings.template_id}" if settings.template_id else template_file
    key = deck_key(deck, quarter)
    ihash = input_hash or deck_input_hash(deck, settings, style, template)
    builder = _Builder(deck, settings, style, key)
    content_requests = builder.build()
    title = _one_line(_clean(deck.title))[:200] or f"{deck.account_id} {deck.kind}"
    drive_common = {"supportsAllDrives": True}
    calls: list[Json] = [find_call(key, settings)]
    props = _app_properties(deck, key, ihash, "in_progress", quarter or deck.quarter)
    file_body: Json = {"name": title + IN_PROGRESS_SUFFIX, "appProperties": props}
    if settings.folder_id:
        file_body["parents"] = [settings.folder_id]
    if settings.template_id:
        calls.append(
            {
                "id": "create",
                "phase": "create",
                "method": "drive.files.copy",
                "params": {"fileId": settings.template_id, "fields": FILE_FIELDS, **drive_common},
                "body": file_body,
            }
        )
    else:
        calls.append(
            {
                "id": "create",
                "phase": "create",
                "method": "drive.files.create",
                "params": {"fields": FILE_FIELDS, **drive_common},
                "body": {**file_body, "mimeType": DECK_MIME},
                "media": "template",
            }
        )
    deck_id = {"$ref": ["create", "id"]}
    calls.append(
        {
            "id": "inspect",
            "phase": "inspect",
            "method": "slides.presentations.get",
            "params": {"presentationId": deck_id, "fields": INSPECT_FIELDS},
            "derive": "template",
        }
    )
    for media in builder.charts:
        calls.append(
            {
                "id": f"upload:{media}",
                "phase": "images",
                "method": "drive.files.create",
                "params": {"fields": "id,webContentLink", **drive_common},
                "body": {
                    "name": f"deckgen-tmp-{key[:12]}-{media}.png",
                    "mimeType": PNG_MIME,
                    "appProperties": {
                        "deckgen_key": key,
                        "deckgen_role": "chart_image",
                        "deckgen_media": media,
                    },
                    **({"parents": [settings.folder_id]} if settings.folder_id else {}),
                },
                "media": media,
            }
        )
        calls.append(
            {
                "id": f"share:{media}",
                "phase": "images",
                "method": "drive.permissions.create",
                "params": {
                    "fileId": {"$ref": [f"upload:{media}", "id"]},
                    "fields": "id",
                    "sendNotificationEmail": False,
                    **drive_common,
                },
                "body": {"type": "anyone", "role": "reader", "allowFileDiscovery": False},
            }
        )
    content_requests.append(
        {
            "$each": ["template", "template_slide_ids"],
            "do": {"deleteObject": {"objectId": {"$item": []}}},
        }
    )
    calls.append(
        {
            "id": "content",
            "phase": "content",
            "method": "slides.presentations.batchUpdate",
            "params": {"presentationId": deck_id},
            "body": {
                "requests": content_requests,
                "writeControl": {"requiredRevisionId": {"$ref": ["template", "revision_id"]}},
            },
        }
    )
    for media in builder.charts:
        calls.append(
            {
                "id": f"unshare:{media}",
                "phase": "unshare",
                "method": "drive.permissions.delete",
                "params": {
                    "fileId": {"$ref": [f"upload:{media}", "id"]},
                    "permissionId": {"$ref": [f"share:{media}", "id"]},
                    **drive_common,
                },
            }
        )
        calls.append(delete_file_call({"$ref": [f"upload:{media}", "id"]}, f"delete:{media}"))
    notes = builder.notes_requests()
    if notes:
        calls.append(
            {
                "id": "read_notes",
                "phase": "notes",
                "method": "slides.presentations.get",
                "params": {"presentationId": deck_id, "fields": NOTES_FIELDS},
                "derive": "notes",
            }
        )
        calls.append(
            {
                "id": "notes",
                "phase": "notes",
                "method": "slides.presentations.batchUpdate",
                "params": {"presentationId": deck_id},
                "body": {
                    "requests": notes,
                    "writeControl": {
                        "requiredRevisionId": {"$ref": ["notes_state", "revision_id"]}
                    },
                },
            }
        )
    calls.append(
        {
            "id": "finish",
            "phase": "finish",
            "method": "drive.files.update",
            "params": {"fileId": deck_id, "fields": FILE_FIELDS, **drive_common},
            "body": {"name": title, "appProperties": {"deckgen_stage": "complete"}},
        }
    )
    return Plan(
        deck_key=key,
        input_hash=ihash,
        title=title,
        account_id=deck.account_id,
        kind=deck.kind,
        quarter=quarter or deck.quarter,
        calls=calls,
        charts=builder.charts,
        template=template,
        slides=builder.slide_count,
        placeholders=builder.placeholders,
        adjustments=builder.adjustments,
        object_prefix=builder.prefix,
    )


def find_call(key: str, settings: GslidesSettings, page_token: str | None = None) -> Json:
    """List this deck's tagged files (the deck and any stray chart images) in every drive.

    Not limited to the configured folder: a CSM may move the deck, and a re-run must still find
    it rather than make a second one. With the `drive.file` scope the listing only ever sees
    files deckgen itself created.
    """
    params: Json = {
        "q": f"appProperties has {{ key='deckgen_key' and value='{key}' }} and trashed = false",
        "fields": FIND_FIELDS,
        "pageSize": 100,
        "supportsAllDrives": True,
        "includeItemsFromAllDrives": True,
    }
    if settings.shared_drive_id:
        params.update(corpora="drive", driveId=settings.shared_drive_id)
    else:
        params["corpora"] = "allDrives"
    if page_token:
        params["pageToken"] = page_token
    return {"id": "find", "phase": "find", "method": "drive.files.list", "params": params}


def delete_file_call(file_id: Any, call_id: str = "delete") -> Json:
    return {
        "id": call_id,
        "phase": "unshare",
        "method": "drive.files.delete",
        "params": {"fileId": file_id, "supportsAllDrives": True},
    }


def trash_call(file_id: str, call_id: str = "trash") -> Json:
    """Move to trash (recoverable for 30 days): for superseded decks a CSM may have edited, and
    where a Shared Drive role may trash but not permanently delete."""
    return {
        "id": call_id,
        "phase": "cleanup",
        "method": "drive.files.update",
        "params": {"fileId": file_id, "fields": "id", "supportsAllDrives": True},
        "body": {"trashed": True},
    }


def revision_call(presentation_id: str) -> Json:
    return {
        "id": "revision",
        "phase": "verify",
        "method": "slides.presentations.get",
        "params": {"presentationId": presentation_id, "fields": "revisionId"},
    }


def _fit_property(key: str, value: str) -> str:
    """Trim a value so key + value fit Drive's 124-byte appProperty limit (never mid-character)."""
    room = APP_PROPERTY_MAX_BYTES - len(key.encode("utf-8"))
    data = value.encode("utf-8")
    if len(data) <= room:
        return value
    return data[:room].decode("utf-8", "ignore")


def _app_properties(
    deck: Deck, key: str, input_hash: str, stage: str, quarter: str
) -> dict[str, str]:
    props = {
        "deckgen_key": key,
        "deckgen_role": "deck",
        "deckgen_account": _clean(deck.account_id),
        "deckgen_kind": deck.kind,
        "deckgen_quarter": quarter,
        "deckgen_input": input_hash,
        "deckgen_stage": stage,
        "deckgen_version": str(PLAN_VERSION),
    }
    return {k: _fit_property(k, _clean(v)) for k, v in props.items()}


# --------------------------------------------------------------------------- references


def lookup(results: Mapping[str, Any], path: Sequence[Any], where: str = "") -> Any:
    """Follow a reference path through earlier responses; a missing value is a PublishError."""
    if not path:
        raise PublishError(f"{where}: empty reference")
    node: Any = results
    for part in path:
        if isinstance(part, Mapping):
            if not isinstance(node, list):
                node = None
            else:
                node = next(
                    (
                        x
                        for x in node
                        if isinstance(x, Mapping) and all(x.get(k) == v for k, v in part.items())
                    ),
                    None,
                )
        elif isinstance(part, int) and isinstance(node, list):
            node = node[part] if -len(node) <= part < len(node) else None
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            node = None
        if node is None:
            shown = json.dumps(list(path), ensure_ascii=False)
            raise PublishError(f"{where}: the API response has no value at {shown}")
    return node


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"$ref"}


def resolve(value: Any, results: Mapping[str, Any], where: str = "", item: Any = None) -> Any:
    """Replace references with response values and expand `$each` entries of lists."""
    if isinstance(value, dict):
        if _is_ref(value):
            return lookup(results, value["$ref"], where)
        if set(value) == {"$item"}:
            path = value["$item"]
            return lookup({"": item}, ["", *path], where) if path else item
        return {k: resolve(v, results, where, item) for k, v in value.items()}
    if isinstance(value, list):
        out: list[Any] = []
        for entry in value:
            if isinstance(entry, dict) and set(entry) == {"$each", "do"}:
                for elem in lookup(results, entry["$each"], where):
                    out.append(resolve(entry["do"], results, where, elem))
            else:
                out.append(resolve(entry, results, where, item))
        return out
    return value


def template_facts(
    inspect: Mapping[str, Any],
    settings: GslidesSettings,
    *,
    object_prefix: str = "",
) -> Json:
    """Reduce a `presentations.get` of the fresh copy to what the content batch refers to.

    Layouts are matched by configured name, then by convention (Google's predefined names, then
    PowerPoint's), then by structure; the slide-size check catches a template whose page size
    differs from `gslides.slide_size` before any slide is drawn off the page. Raises
    PublishError with the layouts found, so the admin can name the right one.
    """
    size = inspect.get("pageSize") or {}
    width = _emu(size.get("width"))
    height = _emu(size.get("height"))
    if width and height:
        exp_w, exp_h = settings.slide_width_emu, settings.slide_height_emu
        if abs(width - exp_w) > exp_w * 0.01 or abs(height - exp_h) > exp_h * 0.01:
            raise PublishError(
                f"the template's page size is {width / EMU_PER_IN:.3f} x "
                f"{height / EMU_PER_IN:.3f} in but gslides.slide_size is "
                f"{exp_w / EMU_PER_IN:.3f} x {exp_h / EMU_PER_IN:.3f} in; set gslides.slide_size "
                f"to match (e.g. {width / EMU_PER_IN:.3f}x{height / EMU_PER_IN:.3f})"
            )
    layouts = list(inspect.get("layouts") or [])
    described = []
    info: list[tuple[str, set[str], dict[str, str]]] = []
    for lay in layouts:
        props = lay.get("layoutProperties") or {}
        names = {
            str(props.get("name", "")).casefold(),
            str(props.get("displayName", "")).casefold(),
        }
        names.discard("")
        placeholders: dict[str, str] = {}
        for el in lay.get("pageElements") or []:
            ph = ((el.get("shape") or {}).get("placeholder")) or {}
            ptype, oid = ph.get("type"), el.get("objectId")
            if ptype and oid and ptype not in placeholders:
                placeholders[ptype] = oid
        info.append((str(lay.get("objectId", "")), names, placeholders))
        described.append(
            f"{props.get('displayName') or props.get('name') or lay.get('objectId')}"
            f" [{', '.join(sorted(placeholders)) or 'no placeholders'}]"
        )

    def fits(role: str, ph: Mapping[str, str]) -> bool:
        has_title = any(t in ph for t in TITLE_TYPES)
        if role == "title":
            return has_title and any(t in ph for t in SUBTITLE_TYPES)
        if role == "content":
            return has_title and not ({"BODY", "OBJECT"} & set(ph))
        return has_title

    chosen: Json = {}
    for role in ROLES:
        pick = None
        wanted = settings.layouts.get(role)
        if wanted:
            pick = next((x for x in info if wanted.casefold() in x[1] or wanted == x[0]), None)
            if pick is None:
                raise PublishError(
                    f"gslides.layouts.{role}: the template has no layout named {wanted!r}. "
                    f"Layouts found: {'; '.join(described) or 'none'}"
                )
        for name in LAYOUT_CANDIDATES[role] if pick is None else ():
            pick = next((x for x in info if name.casefold() in x[1] and fits(role, x[2])), None)
            if pick:
                break
        if pick is None:
            pick = next((x for x in info if fits(role, x[2])), None)
        if pick is None and role == "section":
            pick = next((x for x in info if any(t in x[2] for t in TITLE_TYPES)), None)
        if pick is None:
            raise PublishError(
                f"the template has no layout for {role} slides (needs "
                f"{'a title and a subtitle' if role == 'title' else 'a title'} placeholder"
                f"{'' if role != 'content' else ' and no body'}); name one in "
                f"gslides.layouts.{role}. Layouts found: {'; '.join(described) or 'none'}"
            )
        layout_id, _, ph = pick
        title_ph = next((ph[t] for t in TITLE_TYPES if t in ph), None)
        if title_ph is None:
            raise PublishError(
                f"gslides.layouts.{role}: layout {layout_id} has no title "
                f"placeholder. Layouts found: {'; '.join(described)}"
            )
        entry = {"layout_id": layout_id, "title": title_ph}
        sub = next((ph[t] for t in SUBTITLE_TYPES if t in ph), None)
        if role == "title":
            if sub is None:
                raise PublishError(
                    f"gslides.layouts.title: layout {layout_id} has no subtitle or body placeholder"
                )
            entry["subtitle"] = sub
        chosen[role] = entry
    slide_ids = [str(s.get("objectId")) for s in inspect.get("slides") or [] if s.get("objectId")]
    template_slides = [s for s in slide_ids if not (object_prefix and s.startswith(object_prefix))]
    return {
        "revision_id": inspect.get("revisionId", ""),
        "layouts": chosen,
        "template_slide_ids": template_slides,
        "content_applied": bool(object_prefix) and len(template_slides) < len(slide_ids),
    }


def notes_state(read: Mapping[str, Any], object_prefix: str) -> Json:
    """From the notes read: the revision, and whether an earlier run already wrote notes."""
    written = False
    for s in read.get("slides") or []:
        if not str(s.get("objectId", "")).startswith(object_prefix):
            continue
        page = ((s.get("slideProperties") or {}).get("notesPage")) or {}
        notes_id = (page.get("notesProperties") or {}).get("speakerNotesObjectId")
        for el in page.get("pageElements") or []:
            if el.get("objectId") != notes_id:
                continue
            for te in ((el.get("shape") or {}).get("text") or {}).get("textElements") or []:
                if ((te.get("textRun") or {}).get("content") or "").strip():
                    written = True
    return {"revision_id": read.get("revisionId", ""), "written": written}


def _emu(dim: Any) -> int:
    if not isinstance(dim, Mapping):
        return 0
    mag = float(dim.get("magnitude") or 0)
    return round(mag * EMU_PER_PT) if dim.get("unit") == "PT" else round(mag)


def fake_results(plan: Plan, *, template_slides: int = 2) -> dict[str, Any]:
    """Plausible responses for every call, to resolve a plan offline (validation, dry-run).

    Layout and template slide ids mimic a converted .pptx; notes ids follow the shape the API
    returns. Only ids change between these and real responses, never the request structure.
    """
    results: dict[str, Any] = {"find": {"files": []}}
    results["create"] = {
        "id": "FAKE_presentation_id",
        "name": plan.title,
        "webViewLink": "https://docs.google.com/presentation/d/FAKE/edit",
    }
    for media in plan.charts:
        results[f"upload:{media}"] = {
            "id": f"FAKE_file_{media}",
            "webContentLink": f"https://drive.google.com/uc?id=FAKE_file_{media}&export=download",
        }
        results[f"share:{media}"] = {"id": "anyoneWithLink"}
    results["inspect"] = {
        "revisionId": "FAKE_revision_1",
        "slides": [{"objectId": f"g_template_{i}"} for i in range(template_slides)],
        "layouts": [
            {
                "objectId": "g_layout_title",
                "layoutProperties": {"name": "Title Slide"},
                "pageElements": [
                    {
                        "objectId": "g_ph_ctitle",
                        "shape": {"placeholder": {"type": "CENTERED_TITLE"}},
                    },
                    {"objectId": "g_ph_subtitle", "shape": {"placeholder": {"type": "SUBTITLE"}}},
                ],
            },
            {
                "objectId": "g_layout_section",
                "layoutProperties": {"name": "Section Header"},
                "pageElements": [
                    {"objectId": "g_ph_stitle", "shape": {"placeholder": {"type": "TITLE"}}}
                ],
            },
            {
                "objectId": "g_layout_only",
                "layoutProperties": {"name": "Title Only"},
                "pageElements": [
                    {"objectId": "g_ph_title", "shape": {"placeholder": {"type": "TITLE"}}}
                ],
            },
        ],
    }
    settings = GslidesSettings()
    results["template"] = template_facts(
        results["inspect"], settings, object_prefix=plan.object_prefix
    )
    slide_ids = [
        r["createSlide"]["objectId"]
        for r in plan.call("content")["body"]["requests"]
        if "createSlide" in r
    ]
    results["read_notes"] = {
        "revisionId": "FAKE_revision_2",
        "slides": [
            {
                "objectId": sid,
                "slideProperties": {
                    "notesPage": {"notesProperties": {"speakerNotesObjectId": f"{sid}:notes"}}
                },
            }
            for sid in slide_ids
        ],
    }
    results["notes_state"] = notes_state(results["read_notes"], plan.object_prefix)
    return results


# --------------------------------------------------------------------------- text helpers


def _clean(text: str) -> str:
    """The loader's cleaner, again: keeps pptx and Slides output identical for decks built
    elsewhere (tests, previews)."""
    return clean_text(text) if text else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def u16(text: str) -> int:
    """Length in UTF-16 code units: the unit of Slides text indices (emoji count as 2)."""
    return len(text.encode("utf-16-le")) // 2


def _rgb(hex_colour: str) -> Json:
    h = hex_colour.lstrip("#")
    r, g, b = (round(int(h[i : i + 2], 16) / 255, 4) for i in (0, 2, 4))
    return {"red": r, "green": g, "blue": b}


def _colour(hex_colour: str) -> Json:
    return {"opaqueColor": {"rgbColor": _rgb(hex_colour)}}


def _mix(colour: str, other: str, t: float) -> str:
    a = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(other.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))


def _pt(points: float) -> Json:
    return {"magnitude": round(points, 1), "unit": "PT"}


def _emu_dim(value: float) -> Json:
    return {"magnitude": round(value), "unit": "EMU"}


@dataclass(frozen=True)
class Rect:
    """A box on the slide in EMU."""

    x: float
    y: float
    w: float
    h: float

    def props(self, page: str) -> Json:
        return {
            "pageObjectId": page,
            "size": {"width": _emu_dim(self.w), "height": _emu_dim(self.h)},
            "transform": {
                "scaleX": 1,
                "scaleY": 1,
                "translateX": round(self.x),
                "translateY": round(self.y),
                "unit": "EMU",
            },
        }


@dataclass
class Span:
    """A run of text to write, with the styling that differs from its paragraph's."""

    text: str
    bold: bool = False
    placeholder: bool = False
    colour: str | None = None
    size: float | None = None


@dataclass
class Para:
    spans: list[Span]
    bullet: bool = False
    level: int = 0
    align: Literal["START", "CENTER", "END"] | None = None

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


def spans_of_text(
    text: str, *, bold: bool = False, colour: str | None = None, size: float | None = None
) -> list[Span]:
    """Plain text split so any `[[CSM: ...]]` marker inside it is flagged like a placeholder."""
    text = _clean(text)
    out: list[Span] = []
    pos = 0
    for m in MARKER_RE.finditer(text):
        if m.start() > pos:
            out.append(Span(text[pos : m.start()], bold, False, colour, size))
        out.append(Span(m.group(0), True, True, None, size))
        pos = m.end()
    if pos < len(text):
        out.append(Span(text[pos:], bold, False, colour, size))
    return out


def spans_of_paragraph(para: Paragraph) -> list[Span]:
    out: list[Span] = []
    for run in para.runs:
        if run.placeholder is not None:
            out.append(Span(_clean(run.placeholder.marker), True, True))
        else:
            out += spans_of_text(run.text, bold=run.bold)
    return out


def text_requests(
    object_id: str,
    paras: Sequence[Para],
    *,
    size: float,
    colour: str,
    style: ChartStyle,
    cell: tuple[int, int] | None = None,
) -> list[Json]:
    """insertText of the whole text, then styles by UTF-16 range, then bullets.

    Bullets come last and in reverse order: `createParagraphBullets` turns leading tabs into
    nesting levels and removes them, which shifts every later index. User tabs are replaced by
    spaces in bullet paragraphs so data cannot choose a nesting level.
    """
    loc = {"cellLocation": {"rowIndex": cell[0], "columnIndex": cell[1]}} if cell else {}
    parts: list[str] = []
    styled: list[tuple[int, int, Span]] = []
    para_ranges: list[tuple[int, int, Para]] = []
    pos = 0
    for i, para in enumerate(paras):
        if i:
            parts.append("\n")
            pos += 1
        start = pos
        if para.bullet and para.level > 0:
            lead = "\t" * min(para.level, 8)
            parts.append(lead)
            pos += len(lead)
        for span in para.spans:
            text = span.text.replace("\t", " ") if para.bullet else span.text
            if not text:
                continue
            n = u16(text)
            parts.append(text)
            styled.append((pos, pos + n, span))
            pos += n
        para_ranges.append((start, pos, para))
    full = "".join(parts)
    if not full.strip():
        return []
    reqs: list[Json] = [
        {"insertText": {"objectId": object_id, **loc, "insertionIndex": 0, "text": full}}
    ]
    reqs.append(
        {
            "updateTextStyle": {
                "objectId": object_id,
                **loc,
                "textRange": {"type": "ALL"},
                "style": {"fontSize": _pt(size), "foregroundColor": _colour(colour)},
                "fields": "fontSize,foregroundColor",
            }
        }
    )
    ph = style.placeholder
    for start, end, span in styled:
        st: Json = {}
        if span.placeholder:
            st = {
                "bold": True,
                "foregroundColor": _colour(ph.text),
                "backgroundColor": _colour(ph.fill),
            }
        else:
            if span.bold:
                st["bold"] = True
            if span.colour:
                st["foregroundColor"] = _colour(span.colour)
        if span.size:
            st["fontSize"] = _pt(span.size)
        if st and end > start:
            reqs.append(
                {
                    "updateTextStyle": {
                        "objectId": object_id,
                        **loc,
                        "textRange": {"type": "FIXED_RANGE", "startIndex": start, "endIndex": end},
                        "style": st,
                        "fields": ",".join(sorted(st)),
                    }
                }
            )
    aligns = {p.align for _, _, p in para_ranges}
    if len(aligns) == 1 and None not in aligns:
        reqs.append(
            {
                "updateParagraphStyle": {
                    "objectId": object_id,
                    **loc,
                    "textRange": {"type": "ALL"},
                    "style": {"alignment": para_ranges[0][2].align},
                    "fields": "alignment",
                }
            }
        )
    else:
        for start, end, para in para_ranges:
            if para.align and end > start:
                reqs.append(
                    {
                        "updateParagraphStyle": {
                            "objectId": object_id,
                            **loc,
                            "textRange": {
                                "type": "FIXED_RANGE",
                                "startIndex": start,
                                "endIndex": end,
                            },
                            "style": {"alignment": para.align},
                            "fields": "alignment",
                        }
                    }
                )
    groups: list[tuple[int, int]] = []
    for start, end, para in para_ranges:
        if not para.bullet or end <= start:
            continue
        if groups and groups[-1][1] + 1 == start:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    for start, end in reversed(groups):
        reqs.append(
            {
                "createParagraphBullets": {
                    "objectId": object_id,
                    **loc,
                    "textRange": {"type": "FIXED_RANGE", "startIndex": start, "endIndex": end},
                    "bulletPreset": "BULLET_DISC_CIRCLE_SQUARE",
                }
            }
        )
    return reqs


def estimate_lines(text: str, width_pt: float, size: float) -> int:
    """Lines `text` takes at `size` in a box `width_pt` wide (average glyph ~0.5 em).

    An estimate: Slides measures text itself and nothing here can ask it. It is used only to
    share space between blocks and to decide when a table continues on another slide.
    """
    chars = max(6, int(width_pt / (size * 0.52)))
    lines = 0
    for line in text.split("\n"):
        lines += max(1, len(textwrap.wrap(line, chars, break_long_words=True)))
    return lines


# --------------------------------------------------------------------------- builder


_GAP_IN = 0.2
_TEXT_SIZES = (14.0, 13.0, 12.0, 11.0, 10.0)
_TABLE_SIZE = 11.0
_TABLE_FLOOR = 9.0
_MIN_COL_EMU = 406400  # Slides rejects table columns narrower than 32 pt


@dataclass
class _Placed:
    block: Block
    rect: Rect
    text_size: float = 14.0
    rows: tuple[int, ...] = ()


class _Builder:
    """Walks the deck once, emitting the content batch's requests and the notes per slide."""

    def __init__(self, deck: Deck, settings: GslidesSettings, style: ChartStyle, key: str) -> None:
        self.deck = deck
        self.style = style
        self.prefix = "dg" + key[:10]
        self.w = settings.slide_width_emu
        self.h = settings.slide_height_emu
        self.sx = self.w / REF_W
        self.sy = self.h / REF_H
        self.f = min(self.sx, self.sy)
        self.requests: list[Json] = []
        self.notes: list[tuple[str, str]] = []
        self.charts: dict[str, ChartImage] = {}
        self.placeholders: list[tuple[int, str]] = []
        self.adjustments: list[str] = []
        self.slide_count = 0
        self.used_ids: set[str] = set()

    # ---------------------------------------------------------------- geometry

    def inch_x(self, inches: float) -> float:
        return inches * EMU_PER_IN * self.sx

    def inch_y(self, inches: float) -> float:
        return inches * EMU_PER_IN * self.sy

    def body(self) -> Rect:
        left, top = self.inch_x(0.6), self.inch_y(1.55)
        return Rect(left, top, self.w - 2 * left, self.h - top - self.inch_y(0.45))

    def gap(self) -> float:
        return self.inch_y(_GAP_IN)

    # ---------------------------------------------------------------- ids

    def new_id(self, base: str) -> str:
        if len(base) > 50 or not valid_object_id(base):
            raise PublishError(f"internal: generated objectId {base!r} breaks the Slides rules")
        if base in self.used_ids:
            raise PublishError(f"internal: objectId {base!r} generated twice")
        self.used_ids.add(base)
        return base

    def slide_id(self, model: Slide, cont: int = 0) -> str:
        key = re.sub(r"[^A-Za-z0-9]", "", model.key)[:14] or "slide"
        suffix = f"c{cont}" if cont else ""
        return self.new_id(f"{self.prefix}_{self.slide_count:02d}_{key}{suffix}")

    # ---------------------------------------------------------------- slides

    def build(self) -> list[Json]:
        for model in self.deck.slides:
            self.slide(model)
        return self.requests

    def notes_requests(self) -> list[Json]:
        reqs: list[Json] = []
        for sid, text in self.notes:
            if not text.strip():
                continue
            ref = {
                "$ref": [
                    "read_notes",
                    "slides",
                    {"objectId": sid},
                    "slideProperties",
                    "notesPage",
                    "notesProperties",
                    "speakerNotesObjectId",
                ]
            }
            reqs.append({"insertText": {"objectId": ref, "insertionIndex": 0, "text": text}})
        return reqs

    def _create_slide(self, sid: str, role: str, with_subtitle: bool) -> tuple[str, str | None]:
        title_id = self.new_id(f"{sid}_t")
        mappings: list[Json] = [
            {
                "layoutPlaceholderObjectId": {"$ref": ["template", "layouts", role, "title"]},
                "objectId": title_id,
            }
        ]
        sub_id = None
        if with_subtitle:
            sub_id = self.new_id(f"{sid}_st")
            mappings.append(
                {
                    "layoutPlaceholderObjectId": {
                        "$ref": ["template", "layouts", role, "subtitle"]
                    },
                    "objectId": sub_id,
                }
            )
        self.requests.append(
            {
                "createSlide": {
                    "objectId": sid,
                    "insertionIndex": self.slide_count - 1,
                    "slideLayoutReference": {
                        "layoutId": {"$ref": ["template", "layouts", role, "layout_id"]}
                    },
                    "placeholderIdMappings": mappings,
                }
            }
        )
        return title_id, sub_id

    def _title(self, title_id: str, text: str) -> None:
        text = _clean(text)
        if not text.strip():
            return
        self.requests.append(
            {"insertText": {"objectId": title_id, "insertionIndex": 0, "text": text}}
        )

    def slide(self, model: Slide) -> None:
        role = ROLE_OF_LAYOUT.get(model.layout, "content")
        self.slide_count += 1
        number = self.slide_count
        sid = self.slide_id(model)
        title_id, sub_id = self._create_slide(sid, role, role == "title")
        self._title(title_id, model.title)
        self.markers: list[str] = []
        overflow: list[tuple[TableBlock, tuple[int, ...], float]] = []
        if role == "title" and sub_id:
            others = self._cover(sub_id, model)
            if others:
                region = Rect(
                    self.body().x,
                    self.inch_y(4.6),
                    self.body().w,
                    self.h - self.inch_y(4.6) - self.inch_y(0.45),
                )
                overflow += self._column(sid, "b", others, region)
        else:
            blocks = list(model.blocks)
            region = self.body()
            if model.subtitle and role != "title":
                blocks.insert(0, TextBlock((Paragraph((Run(model.subtitle),)),)))
            if model.layout == "two_content" and len(blocks) > 1:
                split = math.ceil(len(blocks) / 2)
                gap = self.inch_x(0.45)
                half = (region.w - gap) / 2
                left = Rect(region.x, region.y, half, region.h)
                right = Rect(region.x + half + gap, region.y, half, region.h)
                overflow += self._column(sid, "l", blocks[:split], left)
                overflow += self._column(sid, "r", blocks[split:], right)
            else:
                overflow += self._column(sid, "b", blocks, region)
        markers = list(dict.fromkeys(self.markers))
        self.placeholders += [(number, m) for m in markers]
        notes = _clean(model.notes).strip()
        listed = [_clean(p.marker) for p in model.placeholders]
        missing = [m for m in markers if m not in listed and m not in notes]
        if missing:
            notes += (
                ("\n\n" if notes else "")
                + "Placeholders to fill on this slide:\n"
                + "\n".join(f"- {m}" for m in missing)
            )
        self.notes.append((sid, notes))
        for table, rows, size in overflow:
            self._continue_table(model, table, rows, size)

    def _cover(self, sub_id: str, model: Slide) -> list[Block]:
        """Title slides: subtitle and text blocks go into the layout's subtitle placeholder."""
        paras: list[Para] = []
        if model.subtitle:
            paras.append(Para(spans_of_text(model.subtitle)))
        others: list[Block] = []
        for block in model.blocks:
            if isinstance(block, TextBlock):
                if block.heading:
                    paras.append(Para(spans_of_text(block.heading, bold=True)))
                paras += [Para(spans_of_paragraph(p)) for p in block.paragraphs]
            else:
                others.append(block)
        self._collect(paras)
        if paras:
            self.requests += text_requests(
                sub_id,
                paras,
                size=round(18 * self.f, 1),
                colour=self.style.palette.subtle_text,
                style=self.style,
            )
        return others

    def _collect(self, paras: Sequence[Para]) -> None:
        self.markers += [s.text for p in paras for s in p.spans if s.placeholder]

    def _continue_table(
        self, model: Slide, table: TableBlock, rows: tuple[int, ...], size: float
    ) -> None:
        part = 0
        first = self.slide_count
        while rows:
            part += 1
            self.slide_count += 1
            sid = self.slide_id(model, part)
            title_id, _ = self._create_slide(sid, "content", False)
            self._title(title_id, _clean(model.title) + CONT)
            self.markers = []
            region = self.body()
            fit = self._rows_fitting(table, rows, region.w, region.h, size)
            fit = max(fit, 1)
            placed = _Placed(table, region, size, rows[:fit])
            self._emit(sid, "b0", placed)
            self.placeholders += [(self.slide_count, m) for m in dict.fromkeys(self.markers)]
            self.notes.append(
                (sid, f"Continuation of slide {first} ({_one_line(_clean(model.title))[:80]}).")
            )
            self.adjustments.append(
                f"slide {first} '{_one_line(_clean(model.title))[:60]}': table continued on "
                f"slide {self.slide_count} ({fit} of {len(table.rows)} rows)"
            )
            rows = rows[fit:]

    # ---------------------------------------------------------------- layout

    def _column(
        self, sid: str, tag: str, blocks: Sequence[Block], region: Rect
    ) -> list[tuple[TableBlock, tuple[int, ...], float]]:
        """Stack blocks top-down in `region`: fixed blocks take their height, charts share the
        rest; text shrinks to a floor and a long table continues on another slide."""
        if not blocks:
            return []
        gap = self.gap()
        avail = region.h - gap * (len(blocks) - 1)
        n_charts = sum(isinstance(b, ChartBlock) for b in blocks)
        chart_min = self.inch_y(1.7)
        text_size = _TEXT_SIZES[0] * self.f
        for size in _TEXT_SIZES:
            text_size = size * self.f
            fixed = sum(
                self._height(b, region.w, text_size)
                for b in blocks
                if not isinstance(b, (ChartBlock, TableBlock))
            )
            tables = sum(
                self._height(b, region.w, text_size) for b in blocks if isinstance(b, TableBlock)
            )
            if fixed + tables + n_charts * chart_min <= avail:
                break
        overflow: list[tuple[TableBlock, tuple[int, ...], float]] = []
        table_rows: dict[int, tuple[int, ...]] = {}
        table_size = _TABLE_SIZE * self.f
        if fixed + tables + n_charts * chart_min > avail:
            room = avail - fixed - n_charts * chart_min
            for i, b in enumerate(blocks):
                if not isinstance(b, TableBlock):
                    continue
                all_rows = tuple(range(len(b.rows)))
                fit = self._rows_fitting(b, all_rows, region.w, room, table_size)
                if fit < len(b.rows) and fit >= 1 and not overflow:
                    table_rows[i] = all_rows[:fit]
                    overflow.append((b, all_rows[fit:], table_size))
                    room -= self._table_height(b, all_rows[:fit], region.w, table_size)
                else:
                    room -= self._table_height(b, all_rows, region.w, table_size)
            if fixed > avail:
                self.adjustments.append(
                    f"slide {self.slide_count}: text may overflow its region at "
                    f"{text_size:.0f} pt; shorten it or move a block"
                )
        if n_charts:
            used = sum(
                self._height(b, region.w, text_size, table_rows.get(i))
                for i, b in enumerate(blocks)
                if not isinstance(b, ChartBlock)
            )
            chart_h = max(chart_min, (avail - used) / n_charts)
            chart_h = min(chart_h, region.w * 0.62 + self.inch_y(0.5))
        else:
            chart_h = 0.0
        y = region.y
        for i, b in enumerate(blocks):
            if isinstance(b, ChartBlock):
                h = chart_h
            else:
                h = self._height(b, region.w, text_size, table_rows.get(i))
            rect = Rect(region.x, y, region.w, h)
            rows = table_rows.get(i) or (
                tuple(range(len(b.rows))) if isinstance(b, TableBlock) else ()
            )
            self._emit(sid, f"{tag}{i}", _Placed(b, rect, text_size, rows))
            y += h + gap
        return overflow

    def _height(
        self, b: Block, width: float, text_size: float, rows: tuple[int, ...] | None = None
    ) -> float:
        if isinstance(b, KpiBlock):
            per_row = self._kpis_per_row(b, width)
            n_rows = math.ceil(len(b.kpis) / per_row)
            return n_rows * self.inch_y(1.2) + (n_rows - 1) * self.inch_y(0.15)
        if isinstance(b, ScoreBlock):
            return self.inch_y(2.0)
        if isinstance(b, TableBlock):
            rows = tuple(range(len(b.rows))) if rows is None else rows
            return self._table_height(b, rows, width, _TABLE_SIZE * self.f)
        if isinstance(b, TextBlock):
            paras = self._text_paras(b)
            width_pt = width / EMU_PER_PT - 14
            lines = sum(estimate_lines(p.text, width_pt, text_size) for p in paras)
            pad = 14 + (16 if _all_placeholder(b) else 0)
            return (lines * text_size * 1.25 + pad) * EMU_PER_PT
        return self.inch_y(1.7)

    def _kpis_per_row(self, b: KpiBlock, width: float) -> int:
        limit = 4 if width >= self.inch_x(7) else 2
        n = len(b.kpis)
        if n <= limit:
            return max(n, 1)
        return min(limit, math.ceil(n / math.ceil(n / limit)))

    def _col_widths(self, b: TableBlock, width: float) -> list[float]:
        n = len(b.columns)
        if b.widths and len(b.widths) == n and all(w > 0 for w in b.widths):
            total = sum(b.widths)
            raw = [width * w / total for w in b.widths]
        else:
            nat = []
            for c in range(n):
                texts = [b.columns[c]] + [_cell_text(r[c]) for r in b.rows if c < len(r)]
                nat.append(min(max((len(t) for t in texts), default=4), 40) + 4)
            raw = [width * x / sum(nat) for x in nat]
        raw = [max(_MIN_COL_EMU, w) for w in raw]
        scale = width / sum(raw) if sum(raw) > width else 1.0
        return [max(_MIN_COL_EMU, w * scale) for w in raw]

    def _table_height(self, b: TableBlock, rows: Sequence[int], width: float, size: float) -> float:
        widths = self._col_widths(b, width)

        def row_h(texts: Sequence[str]) -> float:
            lines = max(
                (
                    estimate_lines(t, w / EMU_PER_PT - 10, size)
                    for t, w in zip(texts, widths, strict=False)
                ),
                default=1,
            )
            return (lines * size * 1.2 + 10) * EMU_PER_PT

        h = row_h(b.columns)
        for r in rows:
            h += row_h([_cell_text(c) for c in b.rows[r]])
        if b.caption:
            h += (size * 1.3 + 8) * EMU_PER_PT
        return h

    def _rows_fitting(
        self, b: TableBlock, rows: Sequence[int], width: float, height: float, size: float
    ) -> int:
        fit = 0
        for n in range(1, len(rows) + 1):
            if self._table_height(b, rows[:n], width, size) > height:
                break
            fit = n
        return fit

    # ---------------------------------------------------------------- blocks

    def _emit(self, sid: str, tag: str, placed: _Placed) -> None:
        b = placed.block
        base = f"{sid}_{tag}"
        if isinstance(b, KpiBlock):
            self._kpis(sid, base, b, placed.rect)
        elif isinstance(b, ScoreBlock):
            self._score(sid, base, b, placed.rect)
        elif isinstance(b, TableBlock):
            self._table(sid, base, b, placed.rect, placed.rows)
        elif isinstance(b, TextBlock):
            self._text(sid, base, b, placed.rect, placed.text_size)
        elif isinstance(b, ChartBlock):
            self._chart(sid, base, b.chart, placed.rect)

    def _shape(
        self,
        sid: str,
        object_id: str,
        rect: Rect,
        kind: str,
        *,
        fill: str | None,
        outline: str | None,
        outline_pt: float = 1.0,
        anchor: str = "TOP",
    ) -> None:
        self.requests.append(
            {
                "createShape": {
                    "objectId": object_id,
                    "shapeType": kind,
                    "elementProperties": rect.props(sid),
                }
            }
        )
        props: Json = {"contentAlignment": anchor}
        fields = ["contentAlignment"]
        if fill:
            props["shapeBackgroundFill"] = {"solidFill": {"color": {"rgbColor": _rgb(fill)}}}
            fields.append("shapeBackgroundFill.solidFill.color")
        if outline:
            props["outline"] = {
                "outlineFill": {"solidFill": {"color": {"rgbColor": _rgb(outline)}}},
                "weight": _pt(outline_pt),
                "dashStyle": "SOLID",
            }
            fields += ["outline.outlineFill.solidFill.color", "outline.weight", "outline.dashStyle"]
        else:
            props["outline"] = {"propertyState": "NOT_RENDERED"}
            fields.append("outline.propertyState")
        self.requests.append(
            {
                "updateShapeProperties": {
                    "objectId": object_id,
                    "shapeProperties": props,
                    "fields": ",".join(fields),
                }
            }
        )

    def _text_paras(self, b: TextBlock) -> list[Para]:
        paras: list[Para] = []
        if b.heading:
            paras.append(Para(spans_of_text(b.heading, bold=True)))
        for p in b.paragraphs:
            paras.append(Para(spans_of_paragraph(p), bullet=p.bullet, level=p.level))
        return paras

    def _text(self, sid: str, base: str, b: TextBlock, rect: Rect, size: float) -> None:
        paras = self._text_paras(b)
        self._collect(paras)
        oid = self.new_id(f"{base}x")
        boxed = _all_placeholder(b)
        ph = self.style.placeholder
        self._shape(
            sid,
            oid,
            rect,
            "TEXT_BOX" if not boxed else "RECTANGLE",
            fill=ph.fill if boxed else None,
            outline=ph.border if boxed else None,
            outline_pt=1.5,
        )
        self.requests += text_requests(
            oid, paras, size=round(size, 1), colour=self.style.palette.text, style=self.style
        )

    def _kpis(self, sid: str, base: str, b: KpiBlock, rect: Rect) -> None:
        per_row = self._kpis_per_row(b, rect.w)
        gap_x, gap_y = self.inch_x(0.15), self.inch_y(0.15)
        tile_w = (rect.w - gap_x * (per_row - 1)) / per_row
        tile_h = self.inch_y(1.2)
        for j, kpi in enumerate(b.kpis):
            row, col = divmod(j, per_row)
            tile = Rect(
                rect.x + col * (tile_w + gap_x), rect.y + row * (tile_h + gap_y), tile_w, tile_h
            )
            self._kpi_tile(sid, self.new_id(f"{base}k{j}"), kpi, tile)

    def _trend(self, status: Status | None, direction: str | None) -> str:
        if status:
            return self.style.status_colour(status)
        return {"up": self.style.status.green, "down": self.style.status.red}.get(
            direction or "", self.style.status.grey
        )

    def _kpi_tile(self, sid: str, oid: str, kpi: Kpi, tile: Rect) -> None:
        pal = self.style.palette
        fill = _mix(pal.muted, "#FFFFFF", 0.65)
        outline = self.style.status_colour(kpi.status) if kpi.status else None
        self._shape(
            sid,
            oid,
            tile,
            "ROUND_RECTANGLE",
            fill=fill,
            outline=outline,
            outline_pt=2.0,
            anchor="MIDDLE",
        )
        f = self.f
        paras = [
            Para(spans_of_text(kpi.value, bold=True, size=round(24 * f, 1)), align="CENTER"),
            Para(spans_of_text(kpi.label, colour=pal.subtle_text), align="CENTER"),
        ]
        if kpi.delta:
            arrow = ARROWS.get(kpi.direction or "", "")
            text = f"{arrow} {kpi.delta}".strip()
            paras.append(
                Para(
                    spans_of_text(
                        text, colour=self._trend(kpi.status, kpi.direction), size=round(10 * f, 1)
                    ),
                    align="CENTER",
                )
            )
        if kpi.note:
            paras.append(
                Para(
                    spans_of_text(kpi.note, colour=pal.subtle_text, size=round(9 * f, 1)),
                    align="CENTER",
                )
            )
        self._collect(paras)
        self.requests += text_requests(
            oid, paras, size=round(11 * f, 1), colour=pal.text, style=self.style
        )

    def _score(self, sid: str, base: str, b: ScoreBlock, rect: Rect) -> None:
        pal = self.style.palette
        band = self.style.status_colour(b.status or "grey")
        oid = self.new_id(f"{base}sc")
        self._shape(
            sid,
            oid,
            rect,
            "ROUND_RECTANGLE",
            fill=_mix(band, "#FFFFFF", 0.85),
            outline=band,
            outline_pt=2.0,
            anchor="MIDDLE",
        )
        f = self.f
        paras = [
            Para(spans_of_text(b.label, bold=True, colour=pal.subtle_text), align="CENTER"),
            Para(
                spans_of_text(b.value, bold=True, colour=band, size=round(40 * f, 1)),
                align="CENTER",
            ),
        ]
        if b.delta:
            arrow = ARROWS.get(b.direction or "", "")
            paras.append(
                Para(
                    spans_of_text(
                        f"{arrow} {b.delta}".strip(), colour=self._trend(None, b.direction)
                    ),
                    align="CENTER",
                )
            )
        if b.caption:
            paras.append(
                Para(
                    spans_of_text(b.caption, colour=pal.subtle_text, size=round(10 * f, 1)),
                    align="CENTER",
                )
            )
        self._collect(paras)
        self.requests += text_requests(
            oid, paras, size=round(12 * f, 1), colour=pal.text, style=self.style
        )

    def _chart(self, sid: str, base: str, spec: ChartSpec, rect: Rect) -> None:
        """Headline ("so what") above the picture; alt text states the numbers."""
        pal = self.style.palette
        size = round(13 * self.f, 1)
        head_h = 0.0
        if spec.so_what.strip():
            lines = min(2, estimate_lines(_clean(spec.so_what), rect.w / EMU_PER_PT - 14, size))
            head_h = (lines * size * 1.25 + 12) * EMU_PER_PT
            hid = self.new_id(f"{base}h")
            self._shape(
                sid, hid, Rect(rect.x, rect.y, rect.w, head_h), "TEXT_BOX", fill=None, outline=None
            )
            paras = [Para(spans_of_text(spec.so_what, bold=True))]
            self._collect(paras)
            self.requests += text_requests(hid, paras, size=size, colour=pal.text, style=self.style)
        pic = Rect(rect.x, rect.y + head_h, rect.w, max(rect.h - head_h, self.inch_y(0.9)))
        w_in = round(max(pic.w / EMU_PER_IN, 1.0), 2)
        h_in = round(max(pic.h / EMU_PER_IN, 0.8), 2)
        media = self._media_key(spec, w_in, h_in)
        oid = self.new_id(f"{base}img")
        self.requests.append(
            {
                "createImage": {
                    "objectId": oid,
                    "url": {"$ref": [f"upload:{media}", "webContentLink"]},
                    "elementProperties": pic.props(sid),
                }
            }
        )
        alt = _clean(spec.alt_text).strip()
        if alt:
            self.requests.append(
                {
                    "updatePageElementAltText": {
                        "objectId": oid,
                        "title": _one_line(_clean(spec.so_what))[:250],
                        "description": alt,
                    }
                }
            )

    def _media_key(self, spec: ChartSpec, w_in: float, h_in: float) -> str:
        stem = "chart-" + (re.sub(r"[^a-z0-9]+", "-", spec.id.lower()).strip("-")[:30] or "x")
        for n in range(1, 1000):
            key = stem if n == 1 else f"{stem}-{n}"
            have = self.charts.get(key)
            if have is None:
                self.charts[key] = ChartImage(spec, w_in, h_in)
                return key
            if have == ChartImage(spec, w_in, h_in):
                return key
        raise PublishError(f"too many sizes of chart {spec.id!r}")

    def _table(self, sid: str, base: str, b: TableBlock, rect: Rect, rows: tuple[int, ...]) -> None:
        pal, st = self.style.palette, self.style
        size = round(_TABLE_SIZE * self.f, 1)
        n_cols = len(b.columns)
        if n_cols == 0:
            return
        widths = self._col_widths(b, rect.w)
        oid = self.new_id(f"{base}tbl")
        height = self._table_height(b, rows, rect.w, size)
        if b.caption:
            height -= (size * 1.3 + 8) * EMU_PER_PT
        self.requests.append(
            {
                "createTable": {
                    "objectId": oid,
                    "rows": len(rows) + 1,
                    "columns": n_cols,
                    "elementProperties": Rect(rect.x, rect.y, sum(widths), height).props(sid),
                }
            }
        )
        for c, w in enumerate(widths):
            self.requests.append(
                {
                    "updateTableColumnProperties": {
                        "objectId": oid,
                        "columnIndices": [c],
                        "tableColumnProperties": {"columnWidth": _emu_dim(w)},
                        "fields": "columnWidth",
                    }
                }
            )
        self.requests.append(
            {
                "updateTableCellProperties": {
                    "objectId": oid,
                    "tableRange": {
                        "location": {"rowIndex": 0, "columnIndex": 0},
                        "rowSpan": 1,
                        "columnSpan": n_cols,
                    },
                    "tableCellProperties": {
                        "tableCellBackgroundFill": {
                            "solidFill": {"color": {"rgbColor": _rgb(pal.primary)}}
                        }
                    },
                    "fields": "tableCellBackgroundFill.solidFill.color",
                }
            }
        )
        for c, name in enumerate(b.columns):
            paras = [Para(spans_of_text(name, bold=True, colour="#FFFFFF"))]
            self.requests += text_requests(
                oid, paras, size=size, colour="#FFFFFF", style=st, cell=(0, c)
            )
        for out_r, r in enumerate(rows, start=1):
            for c in range(n_cols):
                cell = b.rows[r][c] if c < len(b.rows[r]) else Cell("")
                fill = None
                if cell.placeholder is not None:
                    paras = [Para([Span(_clean(cell.placeholder.marker), True, True)])]
                    fill = st.placeholder.fill
                else:
                    spans = spans_of_text(cell.text, bold=cell.bold)
                    if cell.status:
                        spans.insert(0, Span("● ", colour=st.status_colour(cell.status)))
                        fill = _mix(st.status_colour(cell.status), "#FFFFFF", 0.84)
                    align = {"right": "END", "center": "CENTER"}.get(cell.align)
                    paras = [Para(spans, align=align)]  # type: ignore[arg-type]
                self._collect(paras)
                if fill:
                    self.requests.append(
                        {
                            "updateTableCellProperties": {
                                "objectId": oid,
                                "tableRange": {
                                    "location": {"rowIndex": out_r, "columnIndex": c},
                                    "rowSpan": 1,
                                    "columnSpan": 1,
                                },
                                "tableCellProperties": {
                                    "tableCellBackgroundFill": {
                                        "solidFill": {"color": {"rgbColor": _rgb(fill)}}
                                    }
                                },
                                "fields": "tableCellBackgroundFill.solidFill.color",
                            }
                        }
                    )
                self.requests += text_requests(
                    oid, paras, size=size, colour=pal.text, style=st, cell=(out_r, c)
                )
        if b.caption and _clean(b.caption).strip():
            cap_size = round(10 * self.f, 1)
            cid = self.new_id(f"{base}cap")
            cap = Rect(
                rect.x,
                rect.y + height + self.inch_y(0.05),
                rect.w,
                (cap_size * 1.3 + 8) * EMU_PER_PT,
            )
            self._shape(sid, cid, cap, "TEXT_BOX", fill=None, outline=None)
            paras = [Para(spans_of_text(b.caption))]
            self._collect(paras)
            self.requests += text_requests(
                cid, paras, size=cap_size, colour=pal.subtle_text, style=st
            )


def _cell_text(cell: Cell) -> str:
    return cell.placeholder.marker if cell.placeholder is not None else cell.text


def _all_placeholder(b: TextBlock) -> bool:
    runs = [r for p in b.paragraphs for r in p.runs if r.placeholder or r.text.strip()]
    return bool(runs) and all(r.placeholder is not None for r in runs)
