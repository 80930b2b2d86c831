"""The low layer over python-docx: styled headings, paragraphs, tables and document properties.

Why a layer of its own: python-docx's default template carries Calibri/Cambria theme fonts, theme
colours, a bordered "Title" style and core properties naming the library ("python-docx", 2013).
Left alone, every generated file would say so and look like a default Word document. This module
restyles the template once per document (house colours from charts/style.yaml, so documents match
the decks) and exposes a handful of calls that know nothing about QBRs: the document builder in
`deckgen.render.documents` decides *what* to write, this module only *how*.

Every string is cleaned here (XML 1.0 cannot hold C0 controls; lxml raises on them), so a hostile
value that slipped past the loader cannot crash a batch. Placeholder markers are written verbatim
as one run each, highlighted yellow and in bold amber, so a CSM sees them and `deckgen check`
(`deckgen.check_docx`) finds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Pt, RGBColor

from deckgen.book.text import clean_text
from deckgen.charting.style import ChartStyle

Align = Literal["left", "right", "center"]
ParaKind = Literal["body", "lead", "note"]

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
}
# Page sizes in inches (width, height). Letter where the locale's territory uses it, else A4.
PAGE_SIZES = {"letter": (8.5, 11.0), "a4": (8.27, 11.69)}
_LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "GT", "CR"}
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def page_for_locale(locale: str) -> Literal["letter", "a4"]:
    """Letter for North America and a few Latin-American/Asian territories, A4 elsewhere."""
    parts = re.split(r"[_-]", locale or "")
    territory = next((p.upper() for p in parts[1:] if len(p) == 2), "")
    return "letter" if territory in _LETTER_TERRITORIES else "a4"


def xml_text(value: object) -> str:
    """Text python-docx can store: NFC, no C0 controls, surrogates or non-characters."""
    text = clean_text("" if value is None else str(value))
    return _XML_UNSAFE.sub("", text)


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(_hex(colour))


def tint(colour: str, t: float, toward: str = "#FFFFFF") -> str:
    """`colour` blended toward `toward` by `t` (0 = colour, 1 = toward): light fills."""
    a = [int(_hex(colour)[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(_hex(toward)[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Piece:
    """A run of text; `flagged` marks a `[[CSM: …]]` / `[[DATA MISSING: …]]` marker."""

    text: str
    bold: bool = False
    flagged: bool = False


@dataclass(frozen=True)
class CellSpec:
    """One table cell: its runs, an optional status ("green"/"yellow"/"red"/"grey") tint."""

    pieces: tuple[Piece, ...]
    status: str | None = None
    align: Align = "left"
    bold: bool = False


@dataclass(frozen=True)
class Theme:
    """Fonts, sizes, colours and page geometry of one document, derived from the chart style."""

    font: str
    size: float  # body size, points
    text: str
    subtle: str
    primary: str
    accent: str
    rule: str  # table rules
    placeholder_text: str
    status: dict[str, str]
    page: Literal["letter", "a4"] = "letter"
    margin_in: float = 0.9
    compact: bool = False

    @classmethod
    def from_style(
        cls,
        style: ChartStyle,
        *,
        page: Literal["letter", "a4"] = "letter",
        compact: bool = False,
        font: str = "Arial",
    ) -> Theme:
        """Arial by default: installed with Word everywhere, and LibreOffice draws it with the
        metric-compatible Liberation Sans, so previews paginate like the CSM's Word does."""
        return cls(
            font=font,
            size=10 if compact else 10.5,
            text=style.palette.text,
            subtle=style.palette.subtle_text,
            primary=style.palette.primary,
            accent=style.palette.accent,
            rule=tint(style.palette.reference, 0.55),
            placeholder_text=style.placeholder.text,
            status={
                "green": style.status.green,
                "yellow": style.status.yellow,
                "red": style.status.red,
                "grey": style.status.grey,
            },
            page=page,
            margin_in=0.75 if compact else 0.9,
            compact=compact,
        )

    @property
    def content_width_in(self) -> float:
        return PAGE_SIZES[self.page][0] - 2 * self.margin_in


def _set_fonts(rpr_parent: Any, name: str) -> None:
    """Point ascii/hAnsi/complex-script fonts at `name` and drop theme-font references.

    Word prefers `w:asciiTheme` over `w:ascii`; the default template's styles use theme fonts, so
    setting `font.name` alone would be ignored. East Asian text keeps the application's default
    (a Latin face has no CJK glyphs; Word and LibreOffice pick a CJK face themselves).
    """
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), name)


def _shade(cell: Any, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(old)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), _hex(fill))
    tc_pr.append(shd)


def _fill_borders(cell: Any, colour: str) -> None:
    """Borders in the fill colour: renderers otherwise leave hairline gaps and notches between
    shaded header cells."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), _hex(colour))
        borders.append(el)
    tc_pr.append(borders)


def _cell_margins(table: Any, top: int, side: int) -> None:
    """Cell padding in twentieths of a point (applies to every cell of the table)."""
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for edge, value in (("top", top), ("left", side), ("bottom", top), ("right", side)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(value))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.append(mar)


def _borders(table: Any, colour: str) -> None:
    """Horizontal rules only: light lines between rows read cleaner than a full grid."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        if edge in ("left", "right", "insideV"):
            el.set(qn("w:val"), "nil")
        else:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), _hex(colour))
        borders.append(el)
    tbl_pr.append(borders)


def _row_flags(row: Any, *, header: bool) -> None:
    """Rows never split over a page; the header row repeats on every page a table spans."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _keep_with_next(paragraph: Any) -> None:
    paragraph.paragraph_format.keep_with_next = True


class DocxWriter:
    """Builds one .docx top to bottom: `title`, `heading`, `paragraph`, `table`, then `save`."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.doc = Document()
        self._setup_page()
        self._setup_styles()

    # ------------------------------------------------------------------ setup

    def _setup_page(self) -> None:
        t = self.theme
        width, height = PAGE_SIZES[t.page]
        for section in self.doc.sections:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width = Inches(width)
            section.page_height = Inches(height)
            section.left_margin = section.right_margin = Inches(t.margin_in)
            section.top_margin = Inches(t.margin_in * (0.8 if t.compact else 0.9))
            section.bottom_margin = Inches(t.margin_in * (0.8 if t.compact else 0.9))
            section.header_distance = Inches(0.35)
            section.footer_distance = Inches(0.35)

    def _setup_styles(self) -> None:
        t = self.theme
        styles = self.doc.styles
        normal = styles["Normal"]
        _set_fonts(normal.element, t.font)
        normal.font.size = Pt(t.size)
        normal.font.color.rgb = _rgb(t.text)
        pf = normal.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(3 if t.compact else 5)
        pf.line_spacing = 1.08 if t.compact else 1.12

        sizes = {"Title": t.size + 9.5, "Heading 1": t.size + 3.5, "Heading 2": t.size + 1}
        for name, size in sizes.items():
            st = styles[name]
            _set_fonts(st.element, t.font)
            st.font.size = Pt(size)
            st.font.bold = True
            st.font.italic = False
            st.font.color.rgb = _rgb(t.primary)
            spf = st.paragraph_format
            if name == "Title":
                spf.space_before, spf.space_after = Pt(0), Pt(2)
                # The default Title has a bottom border and expanded spacing: drop both.
                ppr = st.element.get_or_add_pPr()
                for bdr in ppr.findall(qn("w:pBdr")):
                    ppr.remove(bdr)
                rpr = st.element.get_or_add_rPr()
                for sp in rpr.findall(qn("w:spacing")):
                    rpr.remove(sp)
            elif name == "Heading 1":
                spf.space_before = Pt(8 if t.compact else 14)
                spf.space_after = Pt(3 if t.compact else 4)
            else:
                spf.space_before = Pt(6 if t.compact else 9)
                spf.space_after = Pt(2)
                st.font.color.rgb = _rgb(t.text)
            spf.keep_with_next = True
        bullet = styles["List Bullet"]
        _set_fonts(bullet.element, t.font)
        bullet.paragraph_format.space_after = Pt(1.5 if t.compact else 3)
        # Looked up once: python-docx resolves a style *name* by scanning every style each time.
        self._styles = {n: styles[n] for n in ("Title", "Heading 1", "Heading 2", "List Bullet")}
        for name in ("Header", "Footer"):
            st = styles[name]
            # The template's centre/right tab stops assume a 6.5" text width: drop them.
            for tabs in st.element.get_or_add_pPr().findall(qn("w:tabs")):
                tabs.getparent().remove(tabs)
            _set_fonts(st.element, t.font)
            st.font.size = Pt(max(t.size - 2, 7))
            st.font.color.rgb = _rgb(t.subtle)

    # ------------------------------------------------------------------ runs

    def _runs(
        self,
        paragraph: Any,
        pieces: Sequence[Piece],
        *,
        bold: bool = False,
        colour: str | None = None,
        size: float | None = None,
    ) -> None:
        for piece in pieces:
            text = xml_text(piece.text)
            if not text:
                continue
            run = paragraph.add_run(text)
            if piece.flagged:
                run.bold = True
                run.font.color.rgb = _rgb(self.theme.placeholder_text)
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            else:
                if piece.bold or bold:
                    run.bold = True
                if colour:
                    run.font.color.rgb = _rgb(colour)
            if size:
                run.font.size = Pt(size)

    # ------------------------------------------------------------------ blocks

    def title(self, text: str, subtitle: str | None = None) -> None:
        """The document title (Word's Title style) and a muted one-line subtitle under it."""
        self.doc.add_paragraph(xml_text(text), style=self._styles["Title"])
        if subtitle:
            p = self.doc.add_paragraph()
            self._runs(p, [Piece(subtitle)], colour=self.theme.subtle, size=self.theme.size)
            p.paragraph_format.space_after = Pt(8 if self.theme.compact else 12)
            self._rule(p)

    def _rule(self, paragraph: Any) -> None:
        """A thin accent line under the subtitle, separating the masthead from the content."""
        ppr = paragraph._p.get_or_add_pPr()
        bdr = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        bottom.set(qn("w:val"), "single")
        bottom.set(qn("w:sz"), "8")
        bottom.set(qn("w:space"), "4")
        bottom.set(qn("w:color"), _hex(self.theme.accent))
        bdr.append(bottom)
        ppr.append(bdr)

    def heading(self, text: str, level: int = 1) -> None:
        name = "Heading 1" if level <= 1 else "Heading 2"
        self.doc.add_paragraph(xml_text(text), style=self._styles[name])

    def paragraph(
        self,
        pieces: Sequence[Piece],
        *,
        kind: ParaKind = "body",
        bullet: bool = False,
        keep_with_next: bool = False,
    ) -> None:
        """A body paragraph or bullet; `note` is small and muted, `lead` slightly larger."""
        t = self.theme
        p = self.doc.add_paragraph(style=self._styles["List Bullet"] if bullet else None)
        colour = t.subtle if kind == "note" else None
        size = {"note": t.size - 1.5, "lead": t.size + 0.5}.get(kind)
        self._runs(p, pieces, colour=colour, size=size)
        if kind == "note":
            p.paragraph_format.space_before = Pt(4)
        if keep_with_next:
            _keep_with_next(p)

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[CellSpec]],
        *,
        widths: Sequence[float] = (),
        header: bool = True,
        caption: str | None = None,
        label_column: bool = False,
    ) -> None:
        """A full-width table: shaded header row, horizontal rules, status-tinted cells.

        `widths` are fractions of the text width (normalised); both the grid and each cell get a
        width because Word reads the cells and LibreOffice the grid. `label_column` shades the
        first column instead of a header row (key-value tables).
        """
        t = self.theme
        ncols = len(columns) if columns else max((len(r) for r in rows), default=1)
        nrows = len(rows) + (1 if header else 0)
        table = self.doc.add_table(rows=nrows, cols=ncols)
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = False
        _borders(table, t.rule)
        _cell_margins(table, 30 if t.compact else 45, 90)
        fractions = list(widths) if len(widths) == ncols else [1.0] * ncols
        total = sum(fractions) or 1.0
        emus = [Emu(int(Inches(t.content_width_in) * f / total)) for f in fractions]
        for i, col in enumerate(table.columns):
            col.width = emus[i]
        small = t.size - (1.0 if t.compact else 0.5)

        def fill(
            cell: Any, spec: CellSpec, width: Emu, *, head: bool = False, label: bool = False
        ) -> None:
            cell.width = width
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            p.paragraph_format.space_before = Pt(0)
            p.paragraph_format.line_spacing = 1.0
            p.alignment = _ALIGN[spec.align]
            if head:
                _shade(cell, t.primary)
                _fill_borders(cell, t.primary)
                self._runs(p, spec.pieces, bold=True, colour="#FFFFFF", size=small)
                return
            if spec.status in t.status:
                _shade(cell, tint(t.status[spec.status], 0.78))
            elif label:
                _shade(cell, tint(t.primary, 0.92))
            self._runs(p, spec.pieces, bold=spec.bold or label, size=small)

        r0 = 0
        if header:
            hdr = table.rows[0]
            _row_flags(hdr, header=True)
            first = rows[0] if rows else ()
            for i, name in enumerate(columns):
                align: Align = first[i].align if i < len(first) else "left"
                fill(hdr.cells[i], CellSpec((Piece(name),), align=align), emus[i], head=True)
            r0 = 1
        for r, spec_row in enumerate(rows):
            row = table.rows[r0 + r]
            _row_flags(row, header=False)
            for i in range(ncols):
                spec = spec_row[i] if i < len(spec_row) else CellSpec(())
                fill(row.cells[i], spec, emus[i], label=label_column and i == 0)
        # Keep short tables on one page (and never leave a header row alone at the bottom):
        # Word's idiom is "keep with next" on every row but the last.
        together = nrows if nrows <= 14 else 2
        for row in list(table.rows)[: together - 1]:
            for cell in row.cells:
                for para in cell.paragraphs:
                    _keep_with_next(para)
        # Space after a table: Word has none, so the next heading would touch the last row.
        after = self.doc.add_paragraph()
        after.paragraph_format.line_spacing = 1.0
        if caption:
            self._runs(after, [Piece(caption)], colour=t.subtle, size=t.size - 1.5)
            after.paragraph_format.space_before = Pt(2)
            after.paragraph_format.space_after = Pt(4)
        else:
            after.paragraph_format.space_after = Pt(0)
            _small_paragraph(after, 5)

    def footer(self, text: str, *, page_numbers: bool = True) -> None:
        """Footer text on every page, with "page N of M" fields when the document can span pages."""
        for section in self.doc.sections:
            p = section.footer.paragraphs[0]
            p.text = ""
            self._runs(p, [Piece(text)])
            if page_numbers:
                p.add_run("\t")
                _field(p, "PAGE")
                p.add_run(" / ")
                _field(p, "NUMPAGES")
                stops = p.paragraph_format.tab_stops
                stops.add_tab_stop(
                    Inches(self.theme.content_width_in), alignment=WD_TAB_ALIGNMENT.RIGHT
                )

    def properties(
        self,
        *,
        title: str,
        author: str,
        subject: str,
        keywords: Sequence[str],
        category: str,
        created: datetime,
        language: str = "en-US",
    ) -> None:
        """Core properties: never the library's defaults ("python-docx", 2013, its comment)."""
        cp = self.doc.core_properties
        cp.title = xml_text(title)[:255]
        cp.author = xml_text(author)[:255]
        cp.last_modified_by = xml_text(author)[:255]
        cp.subject = xml_text(subject)[:255]
        cp.keywords = xml_text(", ".join(keywords))[:255]
        cp.category = xml_text(category)[:255]
        cp.comments = ""
        cp.revision = 1
        cp.created = created
        cp.modified = created
        cp.language = language
        self._scrub_package()

    def _scrub_package(self) -> None:
        """Drop what the library's template says about itself: a "Microsoft Macintosh Word"
        app.xml with stale counts, and a thumbnail of an empty page that file browsers show."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        from deckgen import __version__

        pkg = self.doc.part.package
        for r_id, rel in list(pkg.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                pkg.rels.pop(r_id)
            elif rel.reltype == RT.EXTENDED_PROPERTIES and not rel.is_external:
                rel.target_part._blob = (  # a generic Part: its bytes are the XML
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'extended-properties"><Application>deckgen</Application>'
                    f"<AppVersion>{_app_version(__version__)}</AppVersion></Properties>"
                ).encode()

    def save(self, path: Path) -> None:
        self.doc.save(str(path))


def _app_version(version: str) -> str:
    """Office wants "XX.YYYY" in AppVersion; "0.1.0" becomes "00.0100"."""
    nums = [int(x) for x in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    return f"{nums[0]:02d}.{nums[1]:02d}{nums[2]:02d}"


def _small_paragraph(p: Any, size_pt: float) -> None:
    """Make an empty spacer paragraph short by sizing its paragraph mark."""
    ppr = p._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size_pt * 2)))
    rpr.append(sz)


def _field(paragraph: Any, instr: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word and LibreOffice update on open/print."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instr} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)
