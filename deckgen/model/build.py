"""Account metrics -> a render-neutral Deck, following a deck spec.

The builder is where the human/data split is made visible: every placeholder a block emits is
collected onto its slide (for the notes and `deckgen check`) and counted for the command output.
"""

from __future__ import annotations

from pathlib import Path

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics
from deckgen.model.blocks import REGISTRY, DeckContext
from deckgen.model.charts import account_charts
from deckgen.model.deck import (
    Block,
    ChartSpec,
    Deck,
    Placeholder,
    ScoreBlock,
    Slide,
    TableBlock,
    TextBlock,
)
from deckgen.model.specs import load_spec
from deckgen.narrative.formats import Formatter

DECK_KINDS = ("executive", "enterprise", "onboarding")


def formatter_for(m: AccountMetrics, config: Config) -> Formatter:
    return Formatter(str(config.get("locale", "en_US")), m.facts.currency)


def charts_for(m: AccountMetrics, config: Config) -> dict[str, ChartSpec]:
    return account_charts(
        m,
        formatter_for(m, config),
        float(config.get("health.bands.green", 75)),
        float(config.get("health.bands.yellow", 50)),
    )


def deck_kinds_for(m: AccountMetrics, config: Config) -> list[str]:
    """Which decks an account gets: its tier's outputs, or the onboarding variant."""
    if m.facts.onboarding or m.status == "onboarding":
        return ["onboarding"]
    outputs = config.get(f"outputs.{m.tier}", []) or []
    return [o for o in outputs if o in ("executive", "enterprise")]


def gets_email(m: AccountMetrics, config: Config) -> bool:
    """Whether the account gets the digital QBR email: its tier's outputs list "email", and it
    is not held, blocked or onboarding. The one rule `deckgen email` and `deckgen batch` apply."""
    routed = "email" in (config.get(f"outputs.{m.tier}", []) or [])
    return routed and m.status not in ("held", "blocked", "onboarding") and not m.facts.onboarding


def _placeholders(blocks: tuple[Block, ...]) -> tuple[Placeholder, ...]:
    found: list[Placeholder] = []
    for b in blocks:
        if isinstance(b, TextBlock):
            for para in b.paragraphs:
                found += [r.placeholder for r in para.runs if r.placeholder]
        elif isinstance(b, TableBlock):
            for row in b.rows:
                found += [c.placeholder for c in row if c.placeholder]
        elif isinstance(b, ScoreBlock):
            continue
    return tuple(found)


def build_deck(
    m: AccountMetrics,
    config: Config,
    kind: str,
    *,
    charts: dict[str, ChartSpec] | None = None,
    content_dir: Path | None = None,
    spec_dir: Path | None = None,
) -> Deck:
    spec = load_spec(kind, spec_dir)
    f = formatter_for(m, config)
    ctx = DeckContext(
        m,
        f,
        config,
        charts if charts is not None else charts_for(m, config),
        spec.audience,
        kind,
        content_dir,
    )
    slides = []
    for s in spec.slides:
        blocks: list[Block] = []
        split = None
        for i, name in enumerate(s.blocks):
            if s.split is not None and i == s.split:
                split = len(blocks)
            blocks += REGISTRY[name](ctx)
        if s.split is not None and split is None:
            split = len(blocks)
        block_tuple = tuple(blocks)
        placeholders = _placeholders(block_tuple)
        notes = ctx.text(s.notes) if s.notes else ""
        if placeholders:
            notes += "\n\nPlaceholders to fill on this slide:\n" + "\n".join(
                f"- {ph.marker}" for ph in placeholders
            )
        subtitle = None
        if s.layout == "title":
            subtitle = f"{m.name} · {f.quarter(m.period.quarter)}"
        slides.append(
            Slide(
                s.key, s.layout, s.title, block_tuple, subtitle, notes.strip(), placeholders, split
            )
        )
    title = f"{m.name} — {spec.title} {f.quarter(m.period.quarter)}"
    return Deck(
        kind=kind,
        account_id=m.account_id,
        account_name=m.name,
        title=title,
        author=m.facts.csm_name or "Customer Success",
        quarter=f.quarter(m.period.quarter),
        slides=tuple(slides),
        subject=f"{spec.title} for {m.name}",
        keywords=("QBR", m.tier, kind, m.period.quarter),
    )
