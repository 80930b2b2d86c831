"""Normalised status vocabularies for goals and action items (free text in the book)."""

from __future__ import annotations

import re

GOAL_STATUSES = ("on_track", "at_risk", "off_track", "complete")
ACTION_STATUSES = (
    "not started",
    "in progress",
    "blocked",
    "at risk",
    "overdue",
    "complete",
    "cancelled",
)

_GOAL_WORDS: dict[str, str] = {
    "on track": "on_track",
    "ontrack": "on_track",
    "green": "on_track",
    "on target": "on_track",
    "ahead": "on_track",
    "at risk": "at_risk",
    "atrisk": "at_risk",
    "yellow": "at_risk",
    "amber": "at_risk",
    "behind": "at_risk",
    "off track": "off_track",
    "offtrack": "off_track",
    "red": "off_track",
    "missed": "off_track",
    "not met": "off_track",
    "failed": "off_track",
    "complete": "complete",
    "completed": "complete",
    "done": "complete",
    "achieved": "complete",
    "met": "complete",
}

_ACTION_WORDS: dict[str, str] = {
    "not started": "not started",
    "notstarted": "not started",
    "to do": "not started",
    "todo": "not started",
    "open": "not started",
    "new": "not started",
    "planned": "not started",
    "in progress": "in progress",
    "inprogress": "in progress",
    "ongoing": "in progress",
    "started": "in progress",
    "wip": "in progress",
    "doing": "in progress",
    "blocked": "blocked",
    "on hold": "blocked",
    "waiting": "blocked",
    "at risk": "at risk",
    "atrisk": "at risk",
    "overdue": "overdue",
    "late": "overdue",
    "complete": "complete",
    "completed": "complete",
    "done": "complete",
    "closed": "complete",
    "resolved": "complete",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "dropped": "cancelled",
    "won't do": "cancelled",
    "wont do": "cancelled",
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def goal_status(text: str | None) -> str | None:
    """Free-text goal status -> on_track / at_risk / off_track / complete; None when unknown."""
    if not text:
        return None
    return _GOAL_WORDS.get(_key(text))


def action_status(text: str | None) -> str | None:
    """Free-text action status -> the follow-up vocabulary (`ACTION_STATUSES`); None when blank
    or not recognised (the caller decides: see `summaries.action_row`)."""
    if not text:
        return None
    return _ACTION_WORDS.get(_key(text))
