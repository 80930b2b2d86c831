"""Every command is documented in the README, every config key has a comment in defaults.yaml."""

from __future__ import annotations

import re
from pathlib import Path

from deckgen.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_appears_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"deckgen {name}" in readme, f"`deckgen {name}` is not in README.md"


def test_every_top_level_setting_is_commented() -> None:
    lines = (ROOT / "deckgen" / "defaults.yaml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^([a-z_]+):", line)
        if not m:
            continue
        nearby = lines[max(0, i - 2) : i + 3]
        assert any("#" in x for x in nearby), f"setting {m.group(1)!r} has no comment"
