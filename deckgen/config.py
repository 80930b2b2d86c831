"""Effective settings: the shipped defaults, overlaid by a user's config file, then CLI overrides.

Every key a user may set exists in `defaults.yaml` with its documented default. A user file is
checked in one pass against it (unknown keys, wrong types) so every mistake is reported at once,
before any account is touched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from deckgen.errors import ConfigError

CONFIG_FILE_NAME = "deckgen.yaml"

# Keys whose values are free-form maps (their inner keys are not known in advance).
_OPEN_MAPS = {"columns", "events.feature_map", "pptx.layout_names"}


def _load_defaults() -> dict[str, Any]:
    text = resources.files("deckgen").joinpath("defaults.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


class Config:
    """Read-only view of the merged settings; `get("health.bands.green")` reads a dotted key."""

    def __init__(self, data: Mapping[str, Any], source: str | None = None) -> None:
        self._data = copy.deepcopy(dict(data))
        self.source = source

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def __getitem__(self, dotted: str) -> Any:
        value = self.get(dotted, _MISSING)
        if value is _MISSING:
            raise KeyError(dotted)
        return value

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self._data, sort_keys=False, allow_unicode=True)


_MISSING = object()


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _merge(
    base: dict[str, Any], override: Mapping[str, Any], path: str, problems: list[str]
) -> None:
    for key, value in override.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in base:
            if path in _OPEN_MAPS or path.split(".")[0] == "columns":  # free-form maps
                base[key] = value
                continue
            known = ", ".join(sorted(map(str, base))) or "(none)"
            problems.append(f"{where}: unknown setting (known here: {known})")
            continue
        current = base[key]
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge(current, value, where, problems)
        elif (
            current is None
            or _type_name(current) == _type_name(value)
            or (isinstance(current, dict) and not current and where in _OPEN_MAPS)
        ):
            base[key] = value
        else:
            problems.append(
                f"{where}: expected {_type_name(current)}, got {_type_name(value)} ({value!r})"
            )


def load_config(
    path: str | Path | None = None,
    book_dir: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Merge defaults, then `path` (or `deckgen.yaml` in the book folder), then `overrides`."""
    data = _load_defaults()
    problems: list[str] = []
    source = None
    candidate: Path | None = Path(path) if path else None
    if candidate is None and book_dir is not None:
        auto = Path(book_dir) / CONFIG_FILE_NAME
        if Path(book_dir).is_dir() and auto.is_file():
            candidate = auto
    if candidate is not None:
        if not candidate.is_file():
            raise ConfigError(f"config file not found: {candidate}")
        try:
            user = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{candidate}: not valid YAML: {exc}") from None
        if not isinstance(user, Mapping):
            raise ConfigError(f"{candidate}: expected a mapping of settings at the top level")
        _merge(data, user, "", problems)
        source = str(candidate)
    if overrides:
        _merge(data, overrides, "", problems)
    _check_semantics(data, problems)
    if problems:
        where = f" in {source}" if source else ""
        raise ConfigError(
            f"{len(problems)} problem(s) in the configuration{where}:\n  - "
            + "\n  - ".join(problems)
        )
    return Config(data, source)


def _check_semantics(data: dict[str, Any], problems: list[str]) -> None:
    weights = data["health"]["weights"]
    if any(not isinstance(w, (int, float)) or w < 0 for w in weights.values()):
        problems.append("health.weights: every weight must be a number >= 0")
    elif abs(sum(weights.values()) - 1.0) > 1e-6:
        problems.append(
            f"health.weights: weights must add up to 1 (they add up to {sum(weights.values()):g})"
        )
    bands = data["health"]["bands"]
    if not 0 <= bands["yellow"] <= bands["green"] <= 100:
        problems.append("health.bands: expected 0 <= yellow <= green <= 100")
    for tier in data["outputs"]:
        for out in data["outputs"][tier]:
            if out not in {"executive", "enterprise", "email", "briefing", "preread", "followup"}:
                problems.append(f"outputs.{tier}: unknown output {out!r}")


def default_config() -> Config:
    return load_config()
