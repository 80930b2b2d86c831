"""Cleaning of user text at the boundary, once, so every backend (pptx, Slides, email) agrees.

python-pptx writes C0 controls as visible `_x001B_` garbage and raises on U+FFFE and lone
surrogates; XML 1.0 cannot hold them at all. We normalise to NFC and drop what XML cannot hold.
"""

from __future__ import annotations

import re
import unicodedata

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\ue000-\uf8ff]")


def clean_text(value: str) -> str:
    """NFC; no C0/C1 controls except tab/newline, no non-characters, surrogates or private use.

    The one cleaner: the loader applies it at the boundary, and each renderer applies it again as
    its own guard for text that did not come through the loader (templates, tests, previews).
    """
    if not value:
        return value
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _BAD.sub("", value)
