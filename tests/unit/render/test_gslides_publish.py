"""`--format gslides` through `pipeline.render_formats`, as `render` and `batch` call it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deckgen.charting.style import load_style
from deckgen.pipeline import Prepared, prepare, render_formats
from deckgen.render import gslides_publish
from deckgen.render.gslides import plan_deck
from deckgen.render.gslides_client import GslidesSession, RateLimiter
from deckgen.render.gslides_requests import GslidesSettings
from deckgen.render.gslides_schema import validate_plan
from tests.unit.render.test_gslides_fixtures import RaisingHttp, happy_responses


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    from tests.bookfactory import account, simple_book, usage_rows, write_table

    book = tmp_path_factory.mktemp("book")
    simple_book(book, [account("A-001", "Northwind", arr=600000)])
    write_table(
        book,
        "usage",
        usage_rows(
            "A-001",
            ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"],
            [50, 55, 60, 62, 70, 75],
        ),
    )
    return prepare(book, as_of=date(2026, 10, 5))


def test_dry_run_writes_one_valid_plan_per_deck(
    prepared: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*a: Any, **k: Any) -> Any:
        raise AssertionError("a dry run must not open a Google session")

    monkeypatch.setattr(gslides_publish, "session_for", no_session)
    m = prepared.metrics[0]
    files = render_formats(
        prepared, m, tmp_path, ("gslides",), deck_kinds=["executive", "enterprise"], dry_run=True
    )
    assert [f.kind for f in files] == ["executive", "enterprise"]
    for f in files:
        assert f.path.parent == tmp_path.resolve()
        assert f.path.name == f"a-001_northwind_{f.kind}_{m.period.quarter}.gslides.json"
        data = json.loads(f.path.read_text(encoding="utf-8"))
        assert data["calls"][0]["method"] == "drive.files.list"
        assert f.placeholders == len(data["deck"]["placeholders"])
    from deckgen.model.build import build_deck

    for kind in ("executive", "enterprise"):
        deck = build_deck(m, prepared.config, kind)
        plan = plan_deck(deck, GslidesSettings(), load_style(), quarter=m.period.quarter)
        assert validate_plan(plan) == []


def test_publish_writes_a_receipt_with_the_link(
    prepared: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deckgen.model.build import build_deck

    m = prepared.metrics[0]
    plan = plan_deck(
        build_deck(m, prepared.config, "executive"),
        GslidesSettings(),
        load_style(),
        quarter=m.period.quarter,
    )
    http = RaisingHttp(happy_responses(plan, "pres-77"))
    settings = GslidesSettings()
    session = GslidesSession(
        settings,
        http=http,
        sleep=lambda s: None,
        limiter=RateLimiter(settings.rate, sleep=lambda s: None),
    )
    monkeypatch.setattr(gslides_publish, "session_for", lambda *a, **k: session)
    monkeypatch.setattr(
        "deckgen.charting.mpl.render_png", lambda spec, style, w=None, h=None, **k: b"\x89PNG fake"
    )
    files = render_formats(prepared, m, tmp_path, ("gslides",), deck_kinds=["executive"])
    (f,) = files
    receipt = json.loads(f.path.read_text(encoding="utf-8"))
    assert receipt["url"] == "https://docs.google.com/presentation/d/pres-77/edit"
    assert receipt["status"] == "created" and receipt["presentation_id"] == "pres-77"
    link_shown = getattr(f, "url", None) == receipt["url"] or any(
        receipt["url"] in a for a in f.adjustments
    )
    assert link_shown
    assert not http._iterable  # the whole flow ran


def test_workers_share_the_per_user_quota() -> None:
    s = gslides_publish._scaled(GslidesSettings(), 4)
    assert s.rate.slides_writes_per_minute == pytest.approx(12.5)
    assert s.rate.burst == 1
    assert gslides_publish._scaled(GslidesSettings(), 1) == GslidesSettings()
