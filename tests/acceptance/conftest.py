from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from deckgen.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "book"
AS_OF = "2026-11-28"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="session")
def sample_metrics() -> dict[str, dict[str, Any]]:
    result = invoke("metrics", SAMPLE, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    return {m["account_id"]: m for m in json.loads(result.stdout)}


@pytest.fixture(scope="session")
def rendered_decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Strategic A-0001 (executive + enterprise), an enterprise and an onboarding account."""
    out = tmp_path_factory.mktemp("decks")
    decks: dict[str, list[Path]] = {}
    for acct in ("A-0001", "A-0016", "A-0010", "A-0003"):
        result = invoke("render", SAMPLE, "--account", acct, "--as-of", AS_OF, "--out", out)
        assert result.exit_code == 0, result.output + (result.stderr or "")
        decks[acct] = [
            Path(line.split("  (")[0])
            for line in result.stdout.splitlines()
            if line.endswith(")") and ".pptx" in line
        ]
    return decks
