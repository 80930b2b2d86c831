"""charts/style.yaml loading, validation, palette overrides and data-folder lookup."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from deckgen import resources
from deckgen.charting.style import ChartStyle, default_style_path, load_style, luminance
from deckgen.errors import ConfigError
from deckgen.model.deck import Series

REPO_STYLE = Path(__file__).resolve().parents[3] / "charts" / "style.yaml"


def test_default_style_matches_the_repository_file(style: ChartStyle) -> None:
    raw = yaml.safe_load(REPO_STYLE.read_text(encoding="utf-8"))
    assert default_style_path().resolve() == REPO_STYLE
    assert style.palette.primary == raw["palette"]["primary"].upper()
    assert style.status.red == raw["status"]["red"].upper()
    assert style.placeholder.fill == raw["placeholder"]["fill"].upper()
    assert style.fonts.family == tuple(raw["fonts"]["family"])
    assert style.chart.dpi == raw["chart"]["dpi"]
    assert style.chart.width_in == raw["chart"]["width_in"]


def test_style_is_frozen(style: ChartStyle) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        style.palette.primary = "#000000"  # type: ignore[misc]


def test_with_palette_overrides_and_normalises(style: ChartStyle) -> None:
    themed = style.with_palette(primary="0a1b2c", accent="#ABCDEF")
    assert themed.palette.primary == "#0A1B2C"
    assert themed.palette.accent == "#ABCDEF"
    assert themed.palette.secondary == style.palette.secondary
    assert style.palette.primary != "#0A1B2C"  # the original is untouched
    assert themed.status == style.status


@pytest.mark.parametrize(
    ("colours", "message"),
    [({"primry": "#000000"}, "unknown palette"), ({"primary": "blue"}, "expected a colour")],
)
def test_with_palette_rejects_typos_and_bad_colours(
    style: ChartStyle, colours: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        style.with_palette(**colours)


def test_partial_user_file_is_laid_over_the_default(tmp_path: Path) -> None:
    custom = tmp_path / "style.yaml"
    custom.write_text('palette:\n  primary: "#112233"\nchart:\n  dpi: 200\n', encoding="utf-8")
    st = load_style(custom)
    assert st.palette.primary == "#112233"
    assert st.chart.dpi == 200
    assert st.status.red == load_style().status.red
    assert st.source == custom


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("palette:\n  primary: #112233\n", "quote it"),  # YAML comment: value is None
        ("pallete:\n  primary: '#112233'\n", "unknown section"),
        ("chart:\n  dpi: many\n", "expected a number"),
        ("chart:\n  grid: 'yes'\n", "true or false"),
        ("fonts:\n  family: []\n", "list of font names"),
        ("status:\n  amber: '#FFBF00'\n", "unknown key"),
        ("palette: [1, 2]\n", "not a mapping"),
    ],
)
def test_bad_style_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    custom = tmp_path / "style.yaml"
    custom.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_style(custom)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_style(tmp_path / "nope.yaml")


def test_series_colours_follow_style_and_never_repeat(style: ChartStyle) -> None:
    series = (
        Series("a", (1.0,)),
        Series("b", (1.0,), "reference"),
        Series("c", (1.0,)),
        Series("d", (1.0,), "secondary"),
    )
    colours = style.series_colours(series)
    assert colours[0] == style.palette.primary
    assert colours[1] == style.palette.reference
    assert len(set(colours)) == len(colours)


def test_luminance_orders_dark_and_light(style: ChartStyle) -> None:
    assert luminance(style.palette.primary) < 0.5 < luminance(style.palette.muted)


def test_data_path_prefers_the_repository_then_the_packaged_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    packaged = tmp_path / "site" / "deckgen" / "_data"
    (repo / "charts").mkdir(parents=True)
    (packaged / "charts").mkdir(parents=True)
    (packaged / "layouts").mkdir(parents=True)
    (repo / "charts" / "style.yaml").write_text("x", encoding="utf-8")
    (packaged / "charts" / "style.yaml").write_text("y", encoding="utf-8")
    monkeypatch.setattr(resources, "REPO_DIR", repo)
    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", packaged)

    assert resources.data_path("charts", "style.yaml") == repo / "charts" / "style.yaml"
    assert resources.data_path("layouts") == packaged / "layouts"  # no repo copy
    (repo / "charts" / "style.yaml").unlink()  # an unrelated charts/ folder is not ours
    assert resources.data_path("charts", "style.yaml") == packaged / "charts" / "style.yaml"
    # Neither exists: the packaged path, for the caller's message.
    assert resources.data_path("content", "x.j2") == packaged / "content" / "x.j2"


def test_packaged_style_is_used_without_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = tmp_path / "_data"
    (packaged / "charts").mkdir(parents=True)
    (packaged / "charts" / "style.yaml").write_bytes(REPO_STYLE.read_bytes())
    monkeypatch.setattr(resources, "REPO_DIR", tmp_path / "no-repo")
    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", packaged)
    assert load_style().source == packaged / "charts" / "style.yaml"

    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", tmp_path / "empty")
    with pytest.raises(ConfigError, match="looked for"):
        load_style()


@pytest.mark.parametrize("parts", [(), ("..", "etc"), ("/etc",)])
def test_data_path_rejects_escaping_parts(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        resources.data_path(*parts)
