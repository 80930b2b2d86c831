"""A finding is one problem (or notable fact) about the book, located as precisely as we can.

Loading and validation both produce findings; the CLI prints them, the manifest stores them, and
an account's gate (blocked, held, ...) is derived from the findings that name it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["fatal", "block", "warning", "info"]
LEVEL_ORDER: dict[str, int] = {"fatal": 0, "block": 1, "warning": 2, "info": 3}


@dataclass(frozen=True)
class Finding:
    """`fatal`: the book is unusable; `block`: one account is not rendered; `warning`: shown to the
    CSM and in reports; `info`: a routing fact (held, onboarding) rather than a problem."""

    level: Level
    code: str
    message: str
    table: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    account_id: str | None = None

    @property
    def location(self) -> str:
        parts = []
        if self.file or self.table:
            parts.append(self.file or self.table or "")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = self.location
        who = f" [{self.account_id}]" if self.account_id else ""
        return f"{where}: {self.message}{who}" if where else f"{self.message}{who}"
