from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.errors import RenderError
from deckgen.output.atomic import atomic_path, write_text
from deckgen.output.paths import account_stem, safe_join, slug


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con-file"),
        (".hidden", "hidden"),
        ("Café Müller GmbH", "cafe-muller-gmbh"),
        ("a" * 300, "a" * 40),
        ("{{ arr }}", "arr"),
    ],
)
def test_slug_is_safe(raw: str, expected: str) -> None:
    assert slug(raw) == expected


def test_non_latin_names_get_distinct_slugs() -> None:
    a, b = slug("株式会社サンプル"), slug("株式会社テスト")
    assert a != b and a.startswith("x") and len(a) == 9


def test_account_stem_combines_id_and_name() -> None:
    assert account_stem("A/../007", "O'Brien & Sons") == "a-007_o-brien-sons"


def test_safe_join_refuses_escape(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "x.pptx").parent == tmp_path.resolve()
    with pytest.raises(RenderError):
        safe_join(tmp_path, "../x.pptx")


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "deck.pptx"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    write_text(target, "whole")
    assert target.read_text() == "whole" and len(list(tmp_path.iterdir())) == 1
