"""File names from user data, made safe.

Account ids and names come from exports and can hold `../../etc/passwd`, `CON`, leading dots,
emoji or 300 characters. A file name is a slug of the id plus a short slug of the name, and the
resolved path is checked to stay inside the output folder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from deckgen.errors import RenderError

_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


def slug(text: str, max_len: int = 40) -> str:
    """Lowercase ASCII letters, digits and single hyphens; never empty, never reserved."""
    norm = unicodedata.normalize("NFKD", text or "")
    ascii_ = norm.encode("ascii", "ignore").decode("ascii").lower()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")[:max_len].strip("-")
    if not out:
        # Non-Latin names (CJK, Arabic...) slug to nothing: keep them distinct with a short hash.
        out = "x" + hashlib.sha1((text or "").encode("utf-8")).hexdigest()[:8]
    if out in _RESERVED:
        out = f"{out}-file"
    return out


def account_stem(account_id: str, name: str) -> str:
    return f"{slug(account_id, 40)}_{slug(name, 40)}"


def safe_join(root: Path, *parts: str) -> Path:
    """Join and insist the result stays inside `root` (defence in depth after slugging)."""
    root_resolved = root.resolve()
    target = root_resolved.joinpath(*parts).resolve()
    if target != root_resolved and root_resolved not in target.parents:
        raise RenderError(f"refusing to write outside the output folder: {target}")
    return target
