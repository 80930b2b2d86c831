"""Template plumbing: layout matching, slide removal, theme reading, core properties."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches

from deckgen.render import pptx_template as tpl
from deckgen.render.pptx_template import TemplateError
from tests.pptx_lint import assert_clean_pptx


def _save_and_reopen(prs: object) -> bytes:
    buf = io.BytesIO()
    prs.save(buf)  # type: ignore[attr-defined]
    return buf.getvalue()


def test_default_template_matched_by_name() -> None:
    prs = tpl.open_template(None)
    match = tpl.find_layouts(prs)
    assert match.names() == {
        "title": "Title Slide",
        "section": "Section Header",
        "content": "Title and Content",
        "two_content": "Two Content",
        "title_only": "Title Only",
    }
    assert set(match.how.values()) == {"name"}


def test_alt_template_matched_by_layout_type(alt_template: Path) -> None:
    match = tpl.find_layouts(tpl.open_template(alt_template))
    assert match.names() == {
        "title": "Cover",
        "section": "Divider",
        "content": "Body",
        "two_content": "Split",
        "title_only": "Heading Only",
    }
    assert set(match.how.values()) == {"layout type"}


def test_matched_by_placeholders_when_types_are_missing(alt_template: Path) -> None:
    """Templates made in Keynote/Google Slides often lack the layout `type`."""
    prs = tpl.open_template(alt_template)
    for layout in tpl.all_layouts(prs):
        layout._element.attrib.pop("type", None)
    match = tpl.find_layouts(prs)
    assert match.names() == {
        "title": "Cover",
        "section": "Divider",
        "content": "Body",
        "two_content": "Split",
        "title_only": "Heading Only",
    }
    assert set(match.how.values()) == {"placeholders"}


def test_configured_names_win(alt_template: Path) -> None:
    prs = tpl.open_template(alt_template)
    match = tpl.find_layouts(
        prs, ["content", "section"], {"section": "heading only", "content": "Body"}
    )
    assert match.names() == {"content": "Body", "section": "Heading Only"}
    assert match.how["section"] == "name (configured)"


def test_unknown_configured_name_lists_layouts(alt_template: Path) -> None:
    prs = tpl.open_template(alt_template)
    with pytest.raises(TemplateError) as err:
        tpl.find_layouts(prs, ["content"], {"content": "Title and Content"})
    message = str(err.value)
    assert "no layout named 'Title and Content'" in message
    assert "'Body' (title, content)" in message and "'Cover' (ctrTitle, subTitle)" in message


def test_unknown_role_rejected() -> None:
    with pytest.raises(TemplateError, match="unknown layout role"):
        tpl.find_layouts(tpl.open_template(None), ["content"], {"chart": "Body"})


def test_missing_role_error_lists_layouts() -> None:
    prs = Presentation()
    for layout in list(prs.slide_layouts):
        if layout.name != "Blank":
            prs.slide_layouts.remove(layout)
    with pytest.raises(TemplateError) as err:
        tpl.find_layouts(prs, ["content"], template_label="template corp.pptx")
    message = str(err.value)
    assert "template corp.pptx: no layout for the 'content' role" in message
    assert "Layouts found: 'Blank' (no placeholders)" in message


def test_fallbacks_are_reported() -> None:
    prs = Presentation()
    for layout in list(prs.slide_layouts):
        if layout.name in ("Two Content", "Section Header", "Comparison"):
            prs.slide_layouts.remove(layout)
    match = tpl.find_layouts(prs, ["two_content", "section", "content", "title"])
    assert match.fallbacks == {"two_content": "content", "section": "title"}
    assert match.names()["two_content"] == "Title and Content"


def test_remove_all_slides_cleanly(alt_template: Path) -> None:
    prs = tpl.open_template(alt_template)
    assert len(prs.slides) == 2
    assert tpl.remove_all_slides(prs) == 2
    assert len(prs.slides) == 0
    prs.slides.add_slide(tpl.find_layouts(prs, ["content"]).layouts["content"])
    data = _save_and_reopen(prs)
    assert_clean_pptx(io.BytesIO(data))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        pres = zf.read("ppt/presentation.xml")
    assert [n for n in names if n.startswith("ppt/slides/slide")] == ["ppt/slides/slide1.xml"]
    assert not [n for n in names if n.startswith("ppt/notesSlides/")]
    assert b"sectionLst" not in pres


def test_read_theme() -> None:
    default = tpl.read_theme(tpl.open_template(None))
    assert default.colours["accent1"] == "#1F4E79"  # charts/style.yaml palette.primary
    assert (default.major_font, default.minor_font) == ("Arial", "Arial")


def test_theme_palette_from_user_template(alt_template: Path) -> None:
    theme = tpl.read_theme(tpl.open_template(alt_template))
    assert (theme.major_font, theme.minor_font) == ("Georgia", "Verdana")
    assert tpl.theme_palette(theme) == {
        "primary": "#00796B",
        "secondary": "#4DB6AC",
        "accent": "#FF7043",
        "text": "#263238",
        "background": "#FFFFFF",
    }


def test_python_pptx_theme_system_colours() -> None:
    theme = tpl.read_theme(Presentation())
    assert theme.colours["dk1"] == "#000000" and theme.colours["lt1"] == "#FFFFFF"


def test_core_properties_replace_defaults() -> None:
    prs = Presentation()
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    tpl.set_core_properties(
        prs, title="T", author="Ana", subject="S", keywords=["a", "b"], when=when
    )
    tpl.set_app_properties(prs)
    data = _save_and_reopen(prs)
    cp = Presentation(io.BytesIO(data)).core_properties
    assert (cp.title, cp.author, cp.last_modified_by, cp.subject, cp.keywords) == (
        "T",
        "Ana",
        "Ana",
        "S",
        "a, b",
    )
    assert cp.created == cp.modified == datetime(2026, 3, 4, 5, 6, 7)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        props = zf.read("docProps/core.xml") + zf.read("docProps/app.xml")
    assert b"python-pptx" not in props and b"Steve Canny" not in props
    assert b"2013" not in props and b"Microsoft Macintosh" not in props


def test_remove_empty_placeholders() -> None:
    prs = tpl.open_template(None)
    slide = prs.slides.add_slide(tpl.find_layouts(prs, ["title"]).layouts["title"])
    slide.shapes.title.text = "Hello"
    assert tpl.remove_empty_placeholders(slide) == 1  # the empty subtitle
    assert [ph.placeholder_format.idx for ph in slide.placeholders] == [0]


def test_footer_placeholders_added() -> None:
    prs = tpl.open_template(None)
    slide = prs.slides.add_slide(tpl.find_layouts(prs, ["content"]).layouts["content"])
    assert tpl.add_footer_placeholders(slide, 1, "Acme · Q3")
    ids = [s.shape_id for s in slide.shapes]
    assert len(ids) == len(set(ids))
    kinds = {str(ph.placeholder_format.type).split()[0] for ph in slide.placeholders}
    assert {"SLIDE_NUMBER", "FOOTER"} <= kinds


def test_inherited_font_size_and_insets() -> None:
    prs = tpl.open_template(None)
    slide = prs.slides.add_slide(tpl.find_layouts(prs, ["title"]).layouts["title"])
    title = slide.shapes.title
    assert tpl.placeholder_font_size(title) == 40
    assert tpl.placeholder_is_bold(title)
    assert tpl.placeholder_insets(title)[0] == 0
    content = prs.slides.add_slide(tpl.find_layouts(prs, ["content"]).layouts["content"])
    assert tpl.placeholder_font_size(content.shapes.title) == 28


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_open_template_errors(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "corp.pptx"
    bad.write_bytes(content)
    with pytest.raises(TemplateError, match=r"corp\.pptx"):
        tpl.open_template(bad)
    with pytest.raises(TemplateError, match="not found"):
        tpl.open_template(tmp_path / "missing.pptx")


def test_built_templates(tmp_path: Path) -> None:
    """scripts/build_templates.py builds both templates; they are clean and 16:9, and the
    committed ones are up to date (every XML part equal; the logo PNG may differ by FreeType
    version)."""
    import runpy

    module = runpy.run_path(str(Path(__file__).parents[3] / "scripts" / "build_templates.py"))
    assert module["main"](["build_templates.py", str(tmp_path)]) == 0
    for name in ("default.pptx", "alt-template.pptx"):
        assert_clean_pptx(tmp_path / name)
        prs = Presentation(str(tmp_path / name))
        assert (prs.slide_width, prs.slide_height) == (Inches(13.333333), Inches(7.5)) or (
            prs.slide_width == 12192000 and prs.slide_height == 6858000
        )
        assert prs.core_properties.author == "deckgen"
        committed = Path(__file__).parents[3] / "layouts" / name
        with zipfile.ZipFile(tmp_path / name) as fresh, zipfile.ZipFile(committed) as repo:
            assert fresh.namelist() == repo.namelist()
            for part in fresh.namelist():
                if not part.startswith("ppt/media/"):
                    assert fresh.read(part) == repo.read(part), (
                        f"{name}:{part} differs: run python scripts/build_templates.py"
                    )


def test_potx_template_opens(alt_template: Path, tmp_path: Path) -> None:
    """Corporate templates often come as .potx (a different main content type)."""
    potx = tmp_path / "corp.potx"
    with zipfile.ZipFile(alt_template) as src, zipfile.ZipFile(potx, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"presentation.main+xml", b"template.main+xml")
            dst.writestr(item, data)
    with pytest.raises(ValueError, match="not a PowerPoint file"):  # python-pptx refuses it
        Presentation(str(potx))
    prs = tpl.open_template(potx)
    assert tpl.find_layouts(prs, ["content"]).names() == {"content": "Body"}
