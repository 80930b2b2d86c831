"""Cached config access for the metrics engine.

Every threshold and weight is read from the config (documented in `deckgen/defaults.yaml`). The
engine reads the same few keys hundreds of thousands of times on a large book, so parsed values
are cached per Config. `EXTRA_DEFAULTS` is a hook for keys a newer engine reads before the
defaults file lists them; it is empty when the two agree.
"""

from __future__ import annotations

import weakref
from typing import Any

from deckgen.config import Config

EXTRA_DEFAULTS: dict[str, Any] = {}


# A Config is read-only, so parsed values are cached per Config object (the engine reads the same
# few keys hundreds of thousands of times on a large book). Callers must not mutate results.
_CACHE: weakref.WeakKeyDictionary[Config, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()


_LAST: list[Any] = [None, None]  # [config, its cache]: the common case is one config per run


def cache_for(config: Config) -> dict[tuple[str, str], Any]:
    """The parsed-value cache of `config` (also used for derived parameter objects)."""
    if _LAST[0] is config:
        cache: dict[tuple[str, str], Any] = _LAST[1]
        return cache
    cache = _CACHE.get(config)  # type: ignore[assignment]
    if cache is None:
        cache = _CACHE[config] = {}
    _LAST[0], _LAST[1] = config, cache
    return cache


def _cached(config: Config, kind: str, key: str) -> Any:
    cache = cache_for(config)
    hit = cache.get((kind, key), _MISS)
    if hit is not _MISS:
        return hit
    raw = _raw(config, key)
    if kind == "num":
        value: Any = float(raw)
    elif kind == "weights":
        value = {str(k): float(v) for k, v in dict(raw).items()}
    elif kind == "steps":
        value = sorted((float(b), float(p)) for b, p in raw)
    else:
        value = raw
    cache[(kind, key)] = value
    return value


_MISS = object()


def _raw(config: Config, key: str) -> Any:
    value = config.get(key)
    if value is None:
        if key not in EXTRA_DEFAULTS:
            raise KeyError(f"config key {key!r} is not set")
        return EXTRA_DEFAULTS[key]
    return value


def setting(config: Config, key: str) -> Any:
    """The config value for a dotted `key`, else its entry in `EXTRA_DEFAULTS` (KeyError if
    neither). Treat the result as read-only."""
    return _cached(config, "raw", key)


def num(config: Config, key: str) -> float:
    """A numeric setting as a float."""
    return float(_cached(config, "num", key))


def weights(config: Config, key: str) -> dict[str, float]:
    """A `{name: weight}` mapping from the config, as floats (read-only)."""
    value: dict[str, float] = _cached(config, "weights", key)
    return value


def steps(config: Config, key: str) -> list[tuple[float, float]]:
    """`[[lower bound, points], ...]` sorted by bound (read-only)."""
    value: list[tuple[float, float]] = _cached(config, "steps", key)
    return value
