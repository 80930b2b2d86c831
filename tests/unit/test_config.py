from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.config import load_config
from deckgen.errors import ConfigError


def test_defaults_load_and_read_dotted_keys() -> None:
    cfg = load_config()
    assert cfg.get("health.bands.green") == 75
    assert cfg.get("tiers.strategic") == 500000
    assert cfg.get("no.such.key", "x") == "x"


def test_book_folder_config_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "deckgen.yaml").write_text("health:\n  bands: {green: 80}\n")
    cfg = load_config(book_dir=tmp_path)
    assert cfg.get("health.bands.green") == 80 and cfg.source


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("health:\n  weights: {usage: 0.9}\n  bandz: 1\noutputs:\n  smb: [fax]\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "health.bandz: unknown setting" in msg
    assert "weights must add up to 1" in msg
    assert "unknown output 'fax'" in msg
    assert exc.value.exit_code == 2


def test_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("health: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_column_mappings_are_free_form() -> None:
    cfg = load_config(overrides={"columns": {"accounts": {"Anything At All": "arr"}}})
    assert cfg.get("columns.accounts") == {"Anything At All": "arr"}
