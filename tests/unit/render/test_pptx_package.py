"""The package layer: decks share their template's parts without changing them, and the zip
writer writes exactly the members python-pptx's own `save` writes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from deckgen.charting.style import ChartStyle
from deckgen.render import pptx_template as tpl
from deckgen.render.pptx import render_pptx
from deckgen.render.pptx_package import (
    SharedTemplate,
    content_types_xml,
    rels_xml,
    write_package,
)
from tests.pptx_lint import assert_clean_pptx
from tests.unit.render.sample_deck import enterprise_deck

WHEN = datetime(2026, 10, 2, 9, 30, tzinfo=timezone.utc)


def _digests(shared: SharedTemplate) -> dict[str, str]:
    return {
        str(p.partname): hashlib.sha256(p.blob).hexdigest()
        + (hashlib.sha256(p.rels.xml).hexdigest() if p._rels else "")
        for p in shared.shared_parts()
    }


@pytest.mark.parametrize("use_alt", [False, True], ids=["default", "alt-template"])
def test_decks_leave_the_shared_template_parts_unchanged(
    style: ChartStyle, alt_template: Path, use_alt: bool
) -> None:
    template = alt_template if use_alt else None
    shared = tpl.prepared_template(template).shared
    before = _digests(shared)
    assert any("slideLayout" in name for name in before)
    assert any("slideMaster" in name for name in before)
    for name, charts in (("Acme", "native"), ("Globex <&>", "image"), ("Initech", "native")):
        render_pptx(
            enterprise_deck(name),
            io.BytesIO(),
            template=template,
            charts=charts,  # type: ignore[arg-type]
            style=style,
            png_cache={},
            created=WHEN,
        )
    assert _digests(shared) == before


def test_each_deck_has_its_own_presentation_and_core_properties(style: ChartStyle) -> None:
    shared = tpl.prepared_template(None).shared
    first, second = shared.new_presentation(), shared.new_presentation()
    assert first.part is not second.part
    assert first.core_properties is not second.core_properties
    first.core_properties.title = "First"
    assert second.core_properties.title != "First"
    # ... while the layouts are the same objects: nothing is re-read per deck.
    assert first.slide_layouts[0].part is second.slide_layouts[0].part


def _members(blob: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert zf.testzip() is None  # every member's CRC checks out
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def test_writer_writes_what_python_pptx_writes(style: ChartStyle) -> None:
    """Same members, same order, same bytes in each; only the zip container differs."""
    captured = []
    original = tpl.save

    def keep(prs: object, out: object, prepared: object = None) -> None:
        captured.append(prs)
        original(prs, out, prepared)  # type: ignore[arg-type]

    tpl.save = keep  # type: ignore[assignment]
    try:
        render_pptx(enterprise_deck(), io.BytesIO(), charts="native", style=style, created=WHEN)
    finally:
        tpl.save = original  # type: ignore[assignment]
    (prs,) = captured
    ours, reference = io.BytesIO(), io.BytesIO()
    write_package(prs, ours, tpl.prepared_template(None).shared)
    prs.save(reference)
    assert _members(ours.getvalue()) == _members(reference.getvalue())


def test_written_decks_are_reproducible_and_clean(style: ChartStyle, tmp_path: Path) -> None:
    paths = [tmp_path / "a.pptx", tmp_path / "b.pptx"]
    for path in paths:
        render_pptx(enterprise_deck(), path, charts="native", style=style, created=WHEN)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as zf:
        assert {info.date_time for info in zf.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert zf.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert_clean_pptx(paths[0])


def test_rels_xml_matches_python_pptx_for_external_links() -> None:
    prs = tpl.prepared_template(None).shared.new_presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    box = slide.shapes.add_textbox(0, 0, 100, 100)
    run = box.text_frame.paragraphs[0].add_run()
    run.text = "link"
    run.hyperlink.address = 'https://example.test/?a=1&b=<2>"\u00fc\u4e2d'
    assert rels_xml(slide.part._rels) == slide.part.rels.xml
    assert b"&amp;b=&lt;2&gt;&quot;" in rels_xml(slide.part._rels)
    assert b'TargetMode="External"' in rels_xml(slide.part._rels)


def test_content_types_xml_matches_python_pptx() -> None:
    from types import SimpleNamespace

    from pptx.opc.oxml import serialize_part_xml
    from pptx.opc.packuri import PackURI
    from pptx.opc.serialized import _ContentTypesItem

    prs = tpl.prepared_template(None).shared.new_presentation()
    parts = list(prs.part.package.iter_parts())
    parts.append(
        SimpleNamespace(partname=PackURI("/ppt/media/image9.PNG"), content_type="image/png")
    )
    parts.append(
        SimpleNamespace(partname=PackURI("/ppt/media/image8.emf"), content_type="image/x-emf")
    )
    expected = serialize_part_xml(_ContentTypesItem.xml_for(parts))  # type: ignore[arg-type]
    assert content_types_xml(parts) == expected


@pytest.mark.parametrize(
    "text",
    ["", "One line", "Two\nlines", "Break\vin a line\n\nblank above", "Bell\x07 and tab\t", "\n"],
)
def test_notes_text_is_written_as_python_pptx_writes_it(text: str) -> None:
    from lxml import etree
    from pptx.oxml import parse_xml
    from pptx.text.text import TextFrame

    prs = tpl.prepared_template(None).shared.new_presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    body = slide.notes_slide.notes_text_frame._txBody
    body_copy = parse_xml(etree.tostring(body))
    TextFrame(body, None).text = text  # type: ignore[arg-type]
    tpl._set_body_text(body_copy, text)
    assert etree.tostring(body_copy) == etree.tostring(body)
