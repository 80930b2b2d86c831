"""The structural lint (tests/pptx_lint.py): clean on our output, and it catches what PowerPoint
"repairs" (a slide removed by sldId only, dangling relationships, missing content types,
duplicate shape ids)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pptx import Presentation

from deckgen.charting.style import ChartStyle
from deckgen.render.pptx import render_pptx
from deckgen.resources import data_path
from tests.pptx_lint import assert_clean_pptx, lint_pptx
from tests.unit.render.sample_deck import enterprise_deck


@pytest.fixture(scope="module")
def deck_bytes(style: ChartStyle) -> bytes:
    buf = io.BytesIO()
    render_pptx(enterprise_deck(), buf, style=style, charts="image")
    return buf.getvalue()


def _rewrite(data: bytes, edit: Callable[[dict[str, bytes]], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    edit(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in parts.items():
            zf.writestr(name, blob)
    return out.getvalue()


@pytest.mark.parametrize("name", ["default.pptx", "alt-template.pptx"])
def test_templates_are_clean(name: str) -> None:
    assert_clean_pptx(data_path("layouts", name))


def test_rendered_deck_is_clean(deck_bytes: bytes) -> None:
    assert lint_pptx(io.BytesIO(deck_bytes)) == []


def test_python_pptx_default_is_clean() -> None:
    buf = io.BytesIO()
    Presentation().save(buf)
    assert lint_pptx(io.BytesIO(buf.getvalue())) == []


def test_slide_removed_by_sldid_only(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        xml = parts["ppt/presentation.xml"].decode()
        parts["ppt/presentation.xml"] = re.sub(r"<p:sldId [^>]*/>", "", xml, count=1).encode()

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert any("15 slide relationships for 14 slide ids" in p for p in problems)


def test_sldid_without_relationship(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        xml = parts["ppt/presentation.xml"].decode()
        xml = re.sub(r'(<p:sldId id="\d+" r:id=")rId\d+', r"\1rId999", xml, count=1)
        parts["ppt/presentation.xml"] = xml.encode()

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert any("rId999) has no relationship" in p for p in problems)


def test_dangling_relationship_and_orphan(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        media = next(n for n in parts if n.startswith("ppt/media/"))
        parts["ppt/media/unused.png"] = parts.pop(media)

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert any("points to missing part /ppt/media/" in p for p in problems)
    assert any("/ppt/media/unused.png is not referenced" in p for p in problems)


def test_missing_content_type(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        parts["ppt/extra.weird"] = b"x"

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert "/ppt/extra.weird has no content type" in problems


def test_duplicate_shape_ids(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        xml = parts["ppt/slides/slide3.xml"].decode()
        ids = re.findall(r'<p:cNvPr id="(\d+)"', xml)
        xml = xml.replace(f'<p:cNvPr id="{ids[2]}"', f'<p:cNvPr id="{ids[1]}"', 1)
        parts["ppt/slides/slide3.xml"] = xml.encode()

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert any(p.startswith("/ppt/slides/slide3.xml: duplicate shape ids") for p in problems)


def test_embed_without_relationship(deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        name = next(
            n for n, b in parts.items() if n.startswith("ppt/slides/slide") and b'r:embed="' in b
        )
        parts[name] = re.sub(rb'r:embed="rId\d+"', b'r:embed="rId77"', parts[name], count=1)

    problems = lint_pptx(io.BytesIO(_rewrite(deck_bytes, edit)))
    assert any("embed=rId77 has no relationship" in p for p in problems)


def test_assert_clean_lists_problems(tmp_path: Path, deck_bytes: bytes) -> None:
    def edit(parts: dict[str, bytes]) -> None:
        parts["ppt/extra.weird"] = b"x"

    bad = tmp_path / "bad.pptx"
    bad.write_bytes(_rewrite(deck_bytes, edit))
    with pytest.raises(AssertionError, match=r"extra\.weird has no content type"):
        assert_clean_pptx(bad)
    assert_clean_pptx(bad, ignore=["extra.weird"])
