"""What validation decided for each account, before any metric is computed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GateStatus = Literal["ok", "blocked", "held", "onboarding"]


@dataclass(frozen=True)
class Gate:
    """`blocked`: broken data, render nothing; `held`: qbr_hold, render nothing for distribution;
    `onboarding`: younger than the onboarding window, render the onboarding variant."""

    status: GateStatus
    reasons: tuple[str, ...] = ()
