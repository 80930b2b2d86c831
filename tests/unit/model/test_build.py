"""The deck model for every sample account: every spec, block and template exercised."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from deckgen.errors import ConfigError
from deckgen.model.build import build_deck, deck_kinds_for
from deckgen.model.deck import Deck, Paragraph, TableBlock, TextBlock
from deckgen.model.specs import load_spec
from deckgen.pipeline import Prepared, prepare

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "book"


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(SAMPLE, as_of=date(2026, 11, 28))


def all_text(deck: Deck) -> str:
    parts: list[str] = []
    for slide in deck.slides:
        parts += [slide.title, slide.notes]
        for b in slide.blocks:
            if isinstance(b, TextBlock):
                parts += [p.text for p in b.paragraphs]
            elif isinstance(b, TableBlock):
                parts += [c.text for row in b.rows for c in row]
    return "\n".join(parts)


def test_every_account_builds_every_deck_kind(prepared: Prepared) -> None:
    built = 0
    for m in prepared.metrics:
        if m.status in ("blocked",):
            continue
        for kind in ("executive", "enterprise", "onboarding"):
            deck = build_deck(m, prepared.config, kind)
            text = all_text(deck)
            assert "None" not in text.split(), (m.account_id, kind)
            assert "nan" not in text.split(), (m.account_id, kind)
            assert all(s.notes for s in deck.slides)
            built += 1
    assert built >= 300


def test_slide_counts_follow_the_specs(prepared: Prepared) -> None:
    m = prepared.account("A-0001")
    assert len(build_deck(m, prepared.config, "executive").slides) == 5
    assert len(build_deck(m, prepared.config, "enterprise").slides) == 15
    assert deck_kinds_for(m, prepared.config) == ["executive", "enterprise"]
    assert deck_kinds_for(prepared.account("A-0010"), prepared.config) == ["onboarding"]
    assert deck_kinds_for(prepared.account("A-0029"), prepared.config) == []


def test_placeholders_are_listed_in_notes(prepared: Prepared) -> None:
    deck = build_deck(prepared.account("A-0001"), prepared.config, "executive")
    ask = deck.slides[4]
    assert ask.placeholders
    for ph in ask.placeholders:
        assert ph.marker in ask.notes
    assert any(p.marker.startswith("[[CSM: the one clear ask") for _, p in deck.placeholders)


def test_missing_value_data_is_flagged(prepared: Prepared) -> None:
    deck = build_deck(prepared.account("A-0025"), prepared.config, "enterprise")
    value = next(s for s in deck.slides if s.key == "value_delivered")
    kinds = {p.kind for p in value.placeholders}
    assert "data_missing" in kinds


def test_hostile_name_is_data_not_template(prepared: Prepared) -> None:
    from dataclasses import replace

    m = prepared.account("A-0016")
    evil = "{{ 7*7 }} <script>alert(1)</script> {% raw %}"
    m = replace(m, name=evil, facts=replace(m.facts, name=evil))
    deck = build_deck(m, prepared.config, "enterprise")
    assert evil in deck.title and "49" not in deck.title
    assert deck.slides[0].subtitle and evil in deck.slides[0].subtitle


def test_a_spec_with_a_typo_is_reported_whole(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "kind: broken\nslides:\n  - {key: a, layout: sideways, title: A, blocks: [nope]}\n"
        "  - {key: b, layout: content, blocks: [agenda]}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_spec("broken", tmp_path)
    msg = str(exc.value)
    assert "unknown layout 'sideways'" in msg and "unknown block 'nope'" in msg
    assert "missing title" in msg


def test_paragraph_text_includes_markers() -> None:
    from deckgen.model.blocks import p, ph

    para: Paragraph = p("Ask: ", ph("the ask"))
    assert para.text == "Ask: [[CSM: the ask]]"


def test_model_imports_no_renderer() -> None:
    code = (
        "import sys, deckgen.model.build, deckgen.model.deck; "
        "print([m for m in ('pptx', 'matplotlib', 'googleapiclient') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
