"""Errors deckgen raises. The CLI turns each into a message and an exit code; nothing else does.

Core code never imports click: it raises these, and `deckgen.cli` decides how a user sees them.
"""

from __future__ import annotations


class DeckgenError(Exception):
    """Base of every error that is the user's to fix (bad data, bad config), not a bug."""

    exit_code = 1


class ConfigError(DeckgenError):
    """The config file or an option is wrong. Reported before any work starts."""

    exit_code = 2


class DataError(DeckgenError):
    """The book cannot be used at all (unreadable file, missing table or required column)."""

    exit_code = 1


class RenderError(DeckgenError):
    """One account's output could not be produced; batch runs report it and go on."""


class PublishError(DeckgenError):
    """Delivering an output (SMTP, Google Drive) failed."""
