"""Deck specs (layouts/<kind>.yaml): the slides of each deck kind, as data CS Ops can edit.

A spec is validated whole when loaded: unknown block names, layouts or note templates are all
reported together, so a typo in a spec fails before QBR week rather than on one account.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from deckgen.errors import ConfigError
from deckgen.resources import data_path

LAYOUTS = ("title", "section", "content", "two_content", "kpis_content", "title_only")


@dataclass(frozen=True)
class SlideSpec:
    key: str
    layout: str
    title: str
    blocks: tuple[str, ...]
    notes: str | None
    split: int | None = None


@dataclass(frozen=True)
class DeckSpec:
    kind: str
    audience: str
    title: str
    slides: tuple[SlideSpec, ...]
    source: str


def spec_path(kind: str, spec_dir: Path | None = None) -> Path:
    folder = spec_dir or data_path("layouts")
    return folder / f"{kind}.yaml"


@lru_cache(maxsize=16)
def load_spec(kind: str, spec_dir: Path | None = None) -> DeckSpec:
    from deckgen.model.blocks import REGISTRY

    path = spec_path(kind, spec_dir)
    if not path.is_file():
        raise ConfigError(f"no deck spec for {kind!r} (expected {path})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML: {exc}") from None
    problems: list[str] = []
    slides = []
    content = data_path("content")
    for i, s in enumerate(raw.get("slides") or [], start=1):
        if not isinstance(s, dict):
            problems.append(f"slide {i}: expected a mapping")
            continue
        key = str(s.get("key") or f"slide{i}")
        layout = str(s.get("layout", "content"))
        if layout not in LAYOUTS:
            problems.append(
                f"slide {i} ({key}): unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}"
            )
        split = None
        if "left" in s or "right" in s:
            left = [str(b) for b in s.get("left") or []]
            split = len(left)
            blocks = tuple(left + [str(b) for b in s.get("right") or []])
        else:
            blocks = tuple(str(b) for b in s.get("blocks") or [])
        for b in blocks:
            if b not in REGISTRY:
                problems.append(f"slide {i} ({key}): unknown block {b!r}")
        notes = s.get("notes")
        if notes and not (content / str(notes)).is_file():
            problems.append(f"slide {i} ({key}): notes template {notes!r} not found under content/")
        if "title" not in s:
            problems.append(f"slide {i} ({key}): missing title")
        slides.append(
            SlideSpec(
                key, layout, str(s.get("title", "")), blocks, str(notes) if notes else None, split
            )
        )
    if not slides:
        problems.append("no slides")
    if problems:
        raise ConfigError(f"{path.name}: " + "; ".join(problems))
    return DeckSpec(
        str(raw.get("kind", kind)),
        str(raw.get("audience", "vp")),
        str(raw.get("title", "")),
        tuple(slides),
        str(path),
    )
