"""The pure Google Slides plan builder: goldens, schema validity, ids, injection resistance.

Regenerate the golden plans after an intended change with
`DECKGEN_UPDATE_GOLDEN=1 pytest tests/unit/render/test_gslides_plan.py` and review the diff.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deckgen.charting.style import ChartStyle, load_style
from deckgen.config import load_config
from deckgen.errors import ConfigError, PublishError
from deckgen.model.deck import Deck, Paragraph, Run, Slide, TextBlock
from deckgen.render.gslides import plan_file_name, write_plan
from deckgen.render.gslides_requests import (
    SLIDE_SIZES,
    GslidesSettings,
    Plan,
    build_plan,
    deck_input_hash,
    deck_key,
    fake_results,
    resolve,
    template_facts,
    u16,
    valid_object_id,
)
from deckgen.render.gslides_schema import validate_call, validate_plan
from tests.unit.render.test_gslides_fixtures import (
    HOSTILE_NAMES,
    enterprise_deck,
    executive_deck,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "gslides"
UPDATE = os.environ.get("DECKGEN_UPDATE_GOLDEN") == "1"
GOLDEN_HASH = "0" * 64


@pytest.fixture(scope="module")
def style() -> ChartStyle:
    return load_style()


def _settings(**kw: Any) -> GslidesSettings:
    return replace(GslidesSettings(), **kw)


VARIANTS = {
    "default": GslidesSettings(),
    "template_copy_shared_drive": _settings(
        template_id="1TmplAbc", folder_id="0FolderX", shared_drive_id="0ADriveY"
    ),
    "google_size": _settings(
        slide_width_emu=SLIDE_SIZES["google"][0], slide_height_emu=SLIDE_SIZES["google"][1]
    ),
    "standard_size": _settings(
        slide_width_emu=SLIDE_SIZES["standard"][0], slide_height_emu=SLIDE_SIZES["standard"][1]
    ),
}


# --------------------------------------------------------------------------- goldens


@pytest.mark.parametrize(
    "name,make", [("executive", executive_deck), ("enterprise", enterprise_deck)]
)
def test_golden_plan(name: str, make: Any, style: ChartStyle) -> None:
    # The real input hash covers the chart style too; pin it so the golden shows the renderer.
    plan = build_plan(make(), GslidesSettings(), style, input_hash=GOLDEN_HASH)
    text = plan.dumps()
    path = GOLDEN / f"{name}.plan.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden {path.name} was missing and has been written; review and rerun")
    assert text == path.read_text(encoding="utf-8"), (
        f"plan differs from {path}; if intended, rerun with DECKGEN_UPDATE_GOLDEN=1"
    )


def test_golden_files_validate_against_discovery_schemas() -> None:
    """The stored goldens themselves (what a reviewer reads) are valid requests."""
    for path in sorted(GOLDEN.glob("*.plan.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        calls = data["calls"]
        assert calls[0]["method"] == "drive.files.list"
        ids = [c["id"] for c in calls]
        assert ids.index("inspect") < ids.index("content") < ids.index("finish")
        assert sum(c["method"] == "slides.presentations.batchUpdate" for c in calls) == 2


def test_input_hash_tracks_what_the_deck_is_made_from(style: ChartStyle) -> None:
    deck = executive_deck()
    base = deck_input_hash(deck, GslidesSettings(), style, "default.pptx")
    assert base == deck_input_hash(executive_deck(), GslidesSettings(), style, "default.pptx")
    assert len(base) == 64
    changed = replace(deck, slides=(*deck.slides[:-1], replace(deck.slides[-1], title="Other")))
    assert deck_input_hash(changed, GslidesSettings(), style, "default.pptx") != base
    assert deck_input_hash(deck, GslidesSettings(), style, "slides:1Tmpl") != base
    recoloured = style.with_palette(primary="#000000")
    assert deck_input_hash(deck, GslidesSettings(), recoloured, "default.pptx") != base
    assert build_plan(deck, GslidesSettings(), style).input_hash == base


def test_plan_is_deterministic(style: ChartStyle) -> None:
    a = build_plan(enterprise_deck(), GslidesSettings(), style).dumps()
    b = build_plan(enterprise_deck(), GslidesSettings(), style).dumps()
    assert a == b


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("make", [executive_deck, enterprise_deck])
def test_every_plan_validates_against_discovery_schemas(
    variant: str, make: Any, style: ChartStyle
) -> None:
    plan = build_plan(make(), VARIANTS[variant], style)
    assert validate_plan(plan) == []


def test_pipeline_built_decks_validate(tmp_path: Path, style: ChartStyle) -> None:
    """Decks built by the real deck builder from a tiny book, executive and enterprise."""
    from datetime import date

    from deckgen.model.build import build_deck
    from deckgen.pipeline import prepare
    from tests.bookfactory import account, simple_book, usage_rows, write_table

    simple_book(tmp_path, [account("A-001", "Northwind", arr=600000)])
    write_table(
        tmp_path,
        "usage",
        usage_rows(
            "A-001",
            ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"],
            [50, 55, 60, 62, 70, 75],
        ),
    )
    prepared = prepare(tmp_path, as_of=date(2026, 10, 5))
    m = prepared.metrics[0]
    for kind in ("executive", "enterprise"):
        deck = build_deck(m, prepared.config, kind)
        plan = build_plan(deck, GslidesSettings(), style)
        assert validate_plan(plan) == [], kind
        assert plan.slides >= len(deck.slides)


def test_validator_is_not_vacuous(style: ChartStyle) -> None:
    plan = build_plan(executive_deck(), GslidesSettings(), style)
    res = fake_results(plan)
    content = resolve(plan.call("content"), res)
    broken = copy.deepcopy(content)
    reqs = broken["body"]["requests"]
    reqs[0]["createSlide"]["objectId"] = "1-"  # too short
    reqs[1]["insertText"]["bogus"] = 1
    reqs.append(
        {"insertText": {"objectId": "x1234", "text": "a"}, "deleteObject": {"objectId": "x1234"}}
    )
    reqs.append(
        {
            "updateTextStyle": {
                "objectId": "x1234",
                "style": {"bold": True},
                "fields": "bolt",
                "textRange": {"type": "NOPE"},
            }
        }
    )
    problems = "\n".join(validate_call(broken))
    assert "breaks the Slides id rules" in problems
    assert "unknown field 'bogus'" in problems
    assert "exactly one kind of request" in problems
    assert "'NOPE' is not one of" in problems
    assert "fields mask names unknown field(s) bolt" in problems
    assert validate_call({"id": "x", "method": "drive.files.frobnicate"})
    share = resolve(plan.call("share:chart-value-trend"), res)
    del share["body"]["type"]
    assert "requires field 'type'" in "\n".join(validate_call(share))
    share["params"]["notAParam"] = "1"
    assert "unknown parameter 'notAParam'" in "\n".join(validate_call(share))


# --------------------------------------------------------------------------- ids and structure


def _content(plan: Plan) -> list[dict[str, Any]]:
    return list(plan.call("content")["body"]["requests"])


def test_object_ids_follow_the_slides_rules_and_are_deterministic(style: ChartStyle) -> None:
    plan = build_plan(enterprise_deck(), GslidesSettings(), style)
    created = []
    for req in _content(plan):
        if "$each" in req:
            continue
        ((kind, inner),) = req.items()
        if kind in ("createSlide", "createShape", "createTable", "createImage"):
            created.append(inner["objectId"])
        for mapping in inner.get("placeholderIdMappings", []) if isinstance(inner, dict) else []:
            created.append(mapping["objectId"])
    assert created and len(created) == len(set(created))
    assert all(
        valid_object_id(i) and 5 <= len(i) <= 50 and re.match(r"[A-Za-z_]", i) for i in created
    )
    assert all(i.startswith(plan.object_prefix) for i in created)
    other = build_plan(enterprise_deck(account_id="A-002"), GslidesSettings(), style)
    assert other.object_prefix != plan.object_prefix
    q4 = replace(enterprise_deck(), quarter="2026Q4")
    assert deck_key(q4) != deck_key(enterprise_deck())


def test_one_content_batch_with_template_slides_deleted_last(style: ChartStyle) -> None:
    plan = build_plan(executive_deck(), GslidesSettings(), style)
    reqs = _content(plan)
    assert reqs[-1] == {
        "$each": ["template", "template_slide_ids"],
        "do": {"deleteObject": {"objectId": {"$item": []}}},
    }
    resolved = resolve(plan.call("content"), fake_results(plan, template_slides=3))
    deletes = [r for r in resolved["body"]["requests"] if "deleteObject" in r]
    assert [d["deleteObject"]["objectId"] for d in deletes] == [
        "g_template_0",
        "g_template_1",
        "g_template_2",
    ]
    assert resolved["body"]["writeControl"] == {"requiredRevisionId": "FAKE_revision_1"}
    assert not any("replaceAllText" in r for r in reqs)


def test_images_are_shared_only_between_upload_and_content(style: ChartStyle) -> None:
    plan = build_plan(enterprise_deck(), GslidesSettings(), style)
    ids = [c["id"] for c in plan.calls]
    for key in plan.charts:
        assert ids.index(f"upload:{key}") < ids.index(f"share:{key}") < ids.index("content")
        assert ids.index("content") < ids.index(f"unshare:{key}") < ids.index(f"delete:{key}")
        assert ids.index(f"delete:{key}") < ids.index("notes")
        share = plan.call(f"share:{key}")
        assert share["body"] == {"type": "anyone", "role": "reader", "allowFileDiscovery": False}
    images = [r["createImage"] for r in _content(plan) if "createImage" in r]
    assert len(images) == len(plan.charts) == 2
    assert all(i["url"]["$ref"][1] == "webContentLink" for i in images)
    alts = [
        r["updatePageElementAltText"] for r in _content(plan) if "updatePageElementAltText" in r
    ]
    assert {a["description"] for a in alts} == {s.spec.alt_text for s in plan.charts.values()}


def test_copy_is_tagged_for_rerun_and_folder_and_shared_drive(style: ChartStyle) -> None:
    settings = VARIANTS["template_copy_shared_drive"]
    plan = build_plan(executive_deck(), settings, style)
    create = plan.call("create")
    assert create["method"] == "drive.files.copy"
    assert create["params"]["fileId"] == "1TmplAbc"
    assert create["params"]["supportsAllDrives"] is True
    assert create["body"]["parents"] == ["0FolderX"]
    props = create["body"]["appProperties"]
    assert props["deckgen_key"] == plan.deck_key
    assert props["deckgen_account"] == "A-001"
    assert props["deckgen_kind"] == "executive"
    assert props["deckgen_quarter"] == "2026Q3"
    assert props["deckgen_input"] == plan.input_hash
    assert props["deckgen_stage"] == "in_progress"
    find = plan.call("find")["params"]
    assert find["q"] == (
        f"appProperties has {{ key='deckgen_key' and value='{plan.deck_key}' }} and trashed = false"
    )
    assert find["corpora"] == "drive" and find["driveId"] == "0ADriveY"
    assert plan.call("finish")["body"]["appProperties"] == {"deckgen_stage": "complete"}


def test_table_continues_on_a_new_slide_with_its_header(style: ChartStyle) -> None:
    plan = build_plan(enterprise_deck(), GslidesSettings(), style)
    tables = [r["createTable"] for r in _content(plan) if "createTable" in r]
    actions = [t for t in tables if t["columns"] == 4]
    assert len(actions) == 2
    assert sum(t["rows"] - 1 for t in actions) == 18  # every row once, header repeated
    assert plan.slides == len(enterprise_deck().slides) + 1
    titles = [
        r["insertText"]["text"]
        for r in _content(plan)
        if "insertText" in r and r["insertText"]["objectId"].endswith("_t")
    ]
    assert "Action items and next steps (cont.)" in titles
    assert any("continued on slide 7" in a for a in plan.adjustments)


def test_notes_are_written_by_speaker_notes_id_read_back(style: ChartStyle) -> None:
    plan = build_plan(executive_deck(), GslidesSettings(), style)
    notes = plan.call("notes")["body"]["requests"]
    assert len(notes) == 4  # the alignment slide has no notes: no request for it
    ref = notes[0]["insertText"]["objectId"]["$ref"]
    assert ref[0] == "read_notes" and ref[-1] == "speakerNotesObjectId"
    resolved = resolve(plan.call("notes"), fake_results(plan))
    first = resolved["body"]["requests"][0]["insertText"]
    assert "Stop talking" in resolved["body"]["requests"][-1]["insertText"]["text"]
    assert first["objectId"].endswith(":notes")
    assert first["text"].startswith("Open with the outcome")
    assert "Placeholders to fill on this slide" in first["text"]  # marker not listed in model


def _utf16_slice(text: str, start: int, end: int) -> str:
    data = text.encode("utf-16-le")
    return data[start * 2 : end * 2].decode("utf-16-le")


def test_placeholders_are_flagged_at_exact_utf16_ranges(style: ChartStyle) -> None:
    deck = executive_deck(name="Nørthwind 🚀 Traders")
    plan = build_plan(deck, GslidesSettings(), style)
    reqs = _content(plan)
    texts = {
        r["insertText"]["objectId"]: r["insertText"]["text"]
        for r in reqs
        if "insertText" in r and "cellLocation" not in r["insertText"]
    }
    flagged = [
        r["updateTextStyle"]
        for r in reqs
        if "updateTextStyle" in r and "backgroundColor" in r["updateTextStyle"]["style"]
    ]
    assert flagged
    fill = style.placeholder.fill.lstrip("#")
    for st in flagged:
        if "cellLocation" in st:
            continue
        rng = st["textRange"]
        marked = _utf16_slice(texts[st["objectId"]], rng["startIndex"], rng["endIndex"])
        assert marked.startswith("[[") and marked.endswith("]]"), marked
        rgb = st["style"]["backgroundColor"]["opaqueColor"]["rgbColor"]
        assert f"{round(rgb['red'] * 255):02X}" == fill[:2].upper()
    assert u16("🚀") == 2
    assert {m for _, m in plan.placeholders} >= {"[[CSM: One clear ask for the executive sponsor]]"}


# --------------------------------------------------------------------------- hostile input


def _skeleton(value: Any) -> Any:
    """The shape of a request tree: keys and types, not the values (lengths move indices)."""
    if isinstance(value, dict):
        return {k: _skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v) for v in value]
    return type(value).__name__


def _named(name: str) -> Deck:
    deck = executive_deck(name=name)
    extra = Slide(
        "hostile",
        "content",
        f"About {name}",
        (TextBlock((Paragraph((Run(name),)),), heading=name),),
        notes=name,
    )
    return replace(deck, slides=(*deck.slides, extra))


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_names_cannot_inject_tags_or_requests(hostile: str, style: ChartStyle) -> None:
    benign = build_plan(_named("Plain Name Co"), GslidesSettings(), style)
    plan = build_plan(_named(hostile), GslidesSettings(), style)
    for a, b in zip(benign.calls, plan.calls, strict=True):
        if a["id"] in ("content", "notes"):
            assert _skeleton(a["body"]["requests"]) == _skeleton(b["body"]["requests"]), a["id"]
        else:
            assert a["method"] == b["method"]
    assert len(_content(plan)) == len(_content(benign))
    # text goes in literally, by insertText into our own objects; nothing does tag replacement
    blob = json.dumps(plan.to_json(), ensure_ascii=False)
    assert "replaceAllText" not in blob and "replaceAllShapes" not in blob
    inserted = [r["insertText"]["text"] for r in _content(plan) if "insertText" in r]
    assert any(hostile in t for t in inserted)
    assert f"About {hostile}" in inserted
    # a string that looks like a plan reference stays a string after resolution
    resolved = resolve(plan.call("content"), fake_results(plan))
    texts = [r["insertText"]["text"] for r in resolved["body"]["requests"] if "insertText" in r]
    assert f"About {hostile}" in texts
    assert "FAKE_presentation_id" not in json.dumps(texts)
    assert json.loads(plan.dumps()) == plan.to_json()
    assert validate_plan(plan) == []
    # the Drive query holds only our hex key
    assert hostile not in plan.call("find")["params"]["q"]


def test_long_account_ids_fit_drive_app_property_limit(style: ChartStyle) -> None:
    deck = executive_deck(account_id="Ä" * 300)
    plan = build_plan(deck, GslidesSettings(), style)
    props = plan.call("create")["body"]["appProperties"]
    for k, v in props.items():
        assert len(k.encode()) + len(v.encode()) <= 124
    assert props["deckgen_account"].startswith("ÄÄÄ")


def test_control_characters_are_cleaned(style: ChartStyle) -> None:
    plan = build_plan(_named("Bad\x1b\x00Name\ufffe\ud800"), GslidesSettings(), style)
    blob = json.dumps([r for r in _content(plan) if "insertText" in r], ensure_ascii=True)
    for bad in ("\\u001b", "\\u0000", "\\ufffe", "\\ud800"):
        assert bad not in blob
    assert validate_plan(plan) == []


# --------------------------------------------------------------------------- template facts


def test_template_facts_match_google_and_powerpoint_layout_names() -> None:
    google = {
        "revisionId": "r",
        "slides": [{"objectId": "p"}],
        "layouts": [
            {
                "objectId": "L1",
                "layoutProperties": {"name": "TITLE", "displayName": "Title slide"},
                "pageElements": [
                    {"objectId": "a", "shape": {"placeholder": {"type": "CENTERED_TITLE"}}},
                    {"objectId": "b", "shape": {"placeholder": {"type": "SUBTITLE"}}},
                ],
            },
            {
                "objectId": "L2",
                "layoutProperties": {"name": "TITLE_AND_BODY"},
                "pageElements": [
                    {"objectId": "c", "shape": {"placeholder": {"type": "TITLE"}}},
                    {"objectId": "d", "shape": {"placeholder": {"type": "BODY"}}},
                ],
            },
            {
                "objectId": "L3",
                "layoutProperties": {"name": "TITLE_ONLY"},
                "pageElements": [{"objectId": "e", "shape": {"placeholder": {"type": "TITLE"}}}],
            },
            {
                "objectId": "L4",
                "layoutProperties": {"name": "SECTION_HEADER"},
                "pageElements": [{"objectId": "f", "shape": {"placeholder": {"type": "TITLE"}}}],
            },
        ],
    }
    facts = template_facts(google, GslidesSettings(), object_prefix="dgabc")
    assert facts["layouts"] == {
        "title": {"layout_id": "L1", "title": "a", "subtitle": "b"},
        "section": {"layout_id": "L4", "title": "f"},
        "content": {"layout_id": "L3", "title": "e"},
    }
    assert facts["template_slide_ids"] == ["p"] and facts["content_applied"] is False
    named = template_facts(google, _settings(layouts={"section": "Title slide"}))
    assert named["layouts"]["section"]["layout_id"] == "L1"
    with pytest.raises(PublishError, match=r"no layout named 'Nope'.*Layouts found"):
        template_facts(google, _settings(layouts={"content": "Nope"}))
    only_body = {"layouts": [google["layouts"][1]]}
    with pytest.raises(PublishError, match=r"no layout for content slides.*TITLE_AND_BODY"):
        template_facts(only_body, GslidesSettings())


def test_template_page_size_must_match_setting() -> None:
    inspect = fake_results_inspect()
    inspect["pageSize"] = {
        "width": {"magnitude": 720, "unit": "PT"},
        "height": {"magnitude": 405, "unit": "PT"},
    }
    with pytest.raises(PublishError, match=r"gslides\.slide_size"):
        template_facts(inspect, GslidesSettings())
    google = _settings(
        slide_width_emu=SLIDE_SIZES["google"][0], slide_height_emu=SLIDE_SIZES["google"][1]
    )
    assert template_facts(inspect, google)["layouts"]["content"]


def fake_results_inspect() -> dict[str, Any]:
    plan = build_plan(executive_deck(), GslidesSettings(), load_style())
    return dict(fake_results(plan)["inspect"])


# --------------------------------------------------------------------------- config and dry run


def test_settings_come_from_the_documented_defaults() -> None:
    settings = GslidesSettings.from_config(load_config())
    assert settings == GslidesSettings()
    assert settings.rate.slides_writes_per_minute < 60


def test_settings_report_every_problem_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "deckgen.yaml"
    cfg.write_text(
        "gslides:\n  slide_size: huge\n  on_existing: duplicate\n  auth: magic\n"
        "  rate_limit: {slides_writes_per_minute: 90}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as exc:
        GslidesSettings.from_config(load_config(cfg))
    text = str(exc.value)
    for key in ("slide_size", "on_existing", "auth", "slides_writes_per_minute"):
        assert key in text
    cfg.write_text("gslides:\n  nonsense: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gslides\.nonsense"):
        load_config(cfg)
    cfg.write_text(
        "gslides:\n  slide_size: 10x5.625\n  layouts: {content: Body}\n", encoding="utf-8"
    )
    s = GslidesSettings.from_config(load_config(cfg))
    assert (s.slide_width_emu, s.slide_height_emu) == SLIDE_SIZES["google"]
    assert s.layouts == {"content": "Body"}


def test_dry_run_writes_the_plan_without_network(
    tmp_path: Path, style: ChartStyle, monkeypatch: pytest.MonkeyPatch
) -> None:
    import googleapiclient.discovery
    import httplib2

    def no_network(*a: Any, **k: Any) -> Any:
        raise AssertionError("network used in a dry run")

    monkeypatch.setattr(googleapiclient.discovery, "build", no_network)
    monkeypatch.setattr(httplib2.Http, "request", no_network)
    deck = executive_deck(name="../../etc/passwd")
    path = write_plan(deck, GslidesSettings(), style, tmp_path)
    assert path.parent == tmp_path.resolve()
    assert path.name == plan_file_name(deck) and path.name.endswith(".gslides.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [c["method"] for c in data["calls"]][:2] == ["drive.files.list", "drive.files.create"]
    assert all({"method", "params"} <= set(c) for c in data["calls"])


def test_chart_media_draws_pngs_at_the_planned_size(style: ChartStyle, tmp_path: Path) -> None:
    from PIL import Image

    from deckgen.render.gslides import chart_media

    plan = build_plan(enterprise_deck(), GslidesSettings(), style)
    cache: dict[str, bytes] = {}
    template = tmp_path / "t.pptx"
    template.write_bytes(b"PK-template")
    media = chart_media(plan, style, template=template, png_cache=cache)
    assert media("template") == b"PK-template"
    for key, img in plan.charts.items():
        data = media(key)
        with Image.open(io.BytesIO(data)) as png:
            assert png.format == "PNG"
            w, h = png.size
        assert abs(w / h - img.width_in / img.height_in) < 0.02
    assert set(cache) == {img.spec.id for img in plan.charts.values()}
    with pytest.raises(PublishError, match="no media"):
        media("chart-nope")


def test_deck_identity_does_not_depend_on_the_locale_formatted_quarter(
    style: ChartStyle,
) -> None:
    """Deck.quarter is display text ("Q3 2026"); a locale change must not orphan the deck."""
    us = replace(executive_deck(), quarter="Q3 2026")
    de = replace(executive_deck(), quarter="3. Quartal 2026")
    a = build_plan(us, GslidesSettings(), style, quarter="2026Q3")
    b = build_plan(de, GslidesSettings(), style, quarter="2026Q3")
    assert a.deck_key == b.deck_key and a.object_prefix == b.object_prefix
    assert a.call("create")["body"]["appProperties"]["deckgen_quarter"] == "2026Q3"
    assert plan_file_name(us, "2026Q3").endswith("_executive_2026Q3.gslides.json")
    assert " " not in plan_file_name(us)
