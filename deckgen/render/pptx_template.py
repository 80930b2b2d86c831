"""Template plumbing for the PowerPoint renderer: the raw XML and package-part work, in one place.

python-pptx covers filling shapes; what a *template-driven* renderer also needs (finding layouts in
a template it has never seen, deleting sample slides without leaving a deck PowerPoint "repairs",
reading a customer's brand colours and fonts from the theme, inherited placeholder geometry and
font sizes, slide numbers, cell borders, bullets and highlights) lives here behind plain functions,
so `pptx.py` reads as layout and design decisions only.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.oxml import element_class_lookup
from pptx.oxml.ns import nsdecls
from pptx.oxml.ns import qn as _pptx_qn
from pptx.oxml.text import CT_RegularTextRun
from pptx.oxml.xmlchemy import OxmlElement
from pptx.parts.slide import NotesSlidePart, SlidePart
from pptx.shapes.placeholder import (
    ChartPlaceholder,
    PicturePlaceholder,
    SlidePlaceholder,
    TablePlaceholder,
)
from pptx.shapes.shapetree import SlideShapeFactory

from deckgen.errors import ConfigError
from deckgen.render.pptx_package import SharedTemplate, write_package
from deckgen.resources import data_path

qn = functools.cache(_pptx_qn)
"""python-pptx's `qn` ("a:t" -> Clark name) memoised: it builds an object per call, and the
XML helpers here call it thousands of times a deck for a few dozen tags."""

NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p14": "http://schemas.microsoft.com/office/powerpoint/2010/main",
}
_SECTION_EXT_URI = "{521415D9-36F7-43E2-AB2F-B90AF26B5E84}"

ROLES = ("title", "section", "content", "two_content", "title_only")
# Names a layout gets in PowerPoint's own default templates (and in layouts/default.pptx).
DEFAULT_LAYOUT_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("Title Slide",),
    "section": ("Section Header",),
    "content": ("Title and Content",),
    "two_content": ("Two Content",),
    "title_only": ("Title Only",),
}
# The `type` attribute PowerPoint writes on a layout it created from a standard kind.
_LAYOUT_TYPES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "section": ("secHead",),
    "content": ("obj", "tx"),
    "two_content": ("twoObj", "twoTx"),
    "title_only": ("titleOnly",),
}
# When a template lacks a role, the closest one that still reads well, or nothing.
FALLBACKS: dict[str, tuple[str, ...]] = {
    "section": ("title", "title_only"),
    "title_only": ("content",),
    "two_content": ("content",),
    "title": ("section", "title_only"),
    "content": (),
}
_ROLE_NEEDS = {
    "title": "a title (ctrTitle) with a subtitle",
    "section": "a section header (title + optional text)",
    "content": "a title and one body/content placeholder",
    "two_content": "a title and two body/content placeholders side by side",
    "title_only": "a title and no body placeholder",
}
_FOOTERISH = {
    PP_PLACEHOLDER.DATE,
    PP_PLACEHOLDER.FOOTER,
    PP_PLACEHOLDER.SLIDE_NUMBER,
    PP_PLACEHOLDER.HEADER,
}
_CONTENT_TYPES = {
    PP_PLACEHOLDER.BODY,
    PP_PLACEHOLDER.OBJECT,
    PP_PLACEHOLDER.TABLE,
    PP_PLACEHOLDER.CHART,
    PP_PLACEHOLDER.ORG_CHART,
    PP_PLACEHOLDER.MEDIA_CLIP,
}
_TITLE_TYPES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
_SECTION_WORDS = re.compile(r"section|divider|chapter|segue|header", re.IGNORECASE)


class TemplateError(ConfigError):
    """The template cannot be used as asked (unreadable, or a needed layout is missing).

    A ConfigError: the user picked the template or named its layouts, so it is theirs to fix,
    and it is raised before any slide is written.
    """


# --------------------------------------------------------------------------- opening


def default_template_path() -> Path:
    return data_path("layouts", "default.pptx")


def open_template(path: Path | str | None = None) -> Any:
    """Open `path` (or deckgen's default template) as a python-pptx Presentation.

    Wraps the zoo of exceptions a wrong file raises (zip, KeyError for missing parts, lxml) into
    one `TemplateError` naming the file, so a CS Ops typo does not end in a traceback.
    """
    target = Path(path) if path is not None else default_template_path()
    if not target.is_file():
        raise TemplateError(f"PowerPoint template not found: {target}")
    try:
        return Presentation(_as_presentation(target))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(
            f"cannot open PowerPoint template {target}: {exc} (is it a .pptx/.potx saved by "
            "PowerPoint, Keynote or LibreOffice?)"
        ) from exc
    except Exception as exc:  # python-pptx raises assorted errors on malformed packages
        raise TemplateError(f"cannot open PowerPoint template {target}: {exc}") from exc


_TEMPLATE_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
_PRESENTATION_MAIN = (
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
)


def _as_presentation(path: Path) -> str | io.BytesIO:
    """A .potx differs from a .pptx only in its main part's content type, which python-pptx
    refuses; rewrite that one string in memory so corporate .potx templates work as-is."""
    if path.suffix.lower() not in (".potx", ".potm"):
        return str(path)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(_TEMPLATE_MAIN, _PRESENTATION_MAIN)
            dst.writestr(item, data)
    out.seek(0)
    return out


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class LayoutInfo:
    """What the matcher knows of a layout: name, declared type, placeholder kinds."""

    name: str
    type: str
    placeholders: tuple[str, ...]
    content_count: int
    has_title: bool
    has_ctr_title: bool
    has_subtitle: bool
    side_by_side: bool = False

    def describe(self) -> str:
        kinds = ", ".join(self.placeholders) or "no placeholders"
        return f"'{self.name}' ({kinds})"


@dataclass
class LayoutMatch:
    """Layouts chosen per role, how each was found, and any role that fell back to another."""

    layouts: dict[str, Any] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        return {role: str(layout.name) for role, layout in self.layouts.items()}


def _ph_type_name(ph_type: Any) -> str:
    return {
        PP_PLACEHOLDER.TITLE: "title",
        PP_PLACEHOLDER.CENTER_TITLE: "ctrTitle",
        PP_PLACEHOLDER.SUBTITLE: "subTitle",
        PP_PLACEHOLDER.BODY: "body",
        PP_PLACEHOLDER.OBJECT: "content",
        PP_PLACEHOLDER.PICTURE: "picture",
        PP_PLACEHOLDER.TABLE: "table",
        PP_PLACEHOLDER.CHART: "chart",
        PP_PLACEHOLDER.DATE: "date",
        PP_PLACEHOLDER.FOOTER: "footer",
        PP_PLACEHOLDER.SLIDE_NUMBER: "slide number",
    }.get(ph_type, str(ph_type).split(" ")[0].lower())


def layout_info(layout: Any) -> LayoutInfo:
    types = [ph.placeholder_format.type for ph in layout.placeholders]
    return LayoutInfo(
        name=str(layout.name),
        type=str(layout._element.get("type", "")),
        placeholders=tuple(_ph_type_name(t) for t in types if t not in _FOOTERISH),
        content_count=sum(1 for t in types if t in _CONTENT_TYPES),
        has_title=any(t in _TITLE_TYPES for t in types),
        has_ctr_title=PP_PLACEHOLDER.CENTER_TITLE in types,
        has_subtitle=PP_PLACEHOLDER.SUBTITLE in types,
        side_by_side=_side_by_side(layout),
    )


def _side_by_side(layout: Any) -> bool:
    """Two content placeholders of similar size next to each other (not "content + caption")."""
    boxes = [
        (int(ph.left or 0), int(ph.top or 0), int(ph.width or 0), int(ph.height or 0))
        for ph in layout.placeholders
        if ph.placeholder_format.type in _CONTENT_TYPES
    ]
    if len(boxes) != 2:
        return False
    (x1, y1, w1, h1), (x2, y2, w2, h2) = sorted(boxes)
    similar = 0.6 <= (w1 / w2 if w2 else 0) <= 1.67 and 0.6 <= (h1 / h2 if h2 else 0) <= 1.67
    return similar and x1 + w1 <= x2 + w2 * 0.1 and abs(y1 - y2) < max(h1, h2) * 0.25


def describe_layouts(prs: Any) -> list[str]:
    """One line per layout (name and placeholder kinds), for error messages and `--help`."""
    return [layout_info(layout).describe() for layout in all_layouts(prs)]


def all_layouts(prs: Any) -> list[Any]:
    """Layouts of every master, in order (a corporate template may have several masters)."""
    return [layout for master in prs.slide_masters for layout in master.slide_layouts]


def _fits_structure(role: str, info: LayoutInfo) -> bool:
    if role == "title":
        return info.has_ctr_title or (info.has_title and info.has_subtitle)
    if not info.has_title or info.has_ctr_title:
        return False
    if role == "content":
        return info.content_count == 1
    if role == "two_content":
        return info.content_count == 2 and info.side_by_side
    if role == "title_only":
        return info.content_count == 0 and not info.has_subtitle
    if role == "section":
        return info.content_count <= 1
    return False


def _content_area(layout: Any) -> int:
    return sum(
        int(ph.width or 0) * int(ph.height or 0)
        for ph in layout.placeholders
        if ph.placeholder_format.type in _CONTENT_TYPES
    )


def _by_structure(role: str, layouts: list[Any]) -> Any | None:
    infos = [(layout, layout_info(layout)) for layout in layouts]
    candidates = [lay for lay, info in infos if _fits_structure(role, info)]
    if role == "section":
        # "title + body" also describes a plain content layout: only a name that says
        # section/divider makes it one.
        candidates = [lay for lay in candidates if _SECTION_WORDS.search(str(lay.name))]
    if role == "content" and candidates:
        # Prefer the layout with the biggest body: "Title + small caption" layouts exist.
        return max(candidates, key=_content_area)
    return candidates[0] if candidates else None


def find_layouts(
    prs: Any,
    roles: Iterable[str] = ROLES,
    names: Mapping[str, str] | None = None,
    *,
    template_label: str = "template",
) -> LayoutMatch:
    """Pick a layout for each role in `roles`.

    Order of evidence, strongest first: a name given by the user (config or deck spec; a name
    that does not exist is an error, since silently ignoring a typo would restyle the deck);
    the standard PowerPoint name; the layout's declared `type` (PowerPoint keeps it when a
    corporate designer renames "Title and Content" to "Body"); and last the placeholders it
    holds. A role still unmatched falls back to a close one (`FALLBACKS`, reported), else a
    `TemplateError` lists every layout found so the user can name the right one.
    """
    layouts = all_layouts(prs)
    by_name: dict[str, Any] = {}
    for layout in layouts:
        by_name.setdefault(str(layout.name).strip().casefold(), layout)
    wanted = list(dict.fromkeys(roles))
    user = dict(names or {})
    unknown_roles = sorted(set(user) - set(ROLES))
    if unknown_roles:
        raise TemplateError(
            f"unknown layout role(s) {', '.join(unknown_roles)}; roles are {', '.join(ROLES)}"
        )
    match = LayoutMatch()

    def direct(role: str) -> tuple[Any, str] | None:
        if role in user:
            found = by_name.get(user[role].strip().casefold())
            if found is None:
                raise TemplateError(
                    f"{template_label}: no layout named '{user[role]}' (asked for the '{role}' "
                    f"role). Layouts found: {'; '.join(describe_layouts(prs))}"
                )
            return found, "name (configured)"
        for default in DEFAULT_LAYOUT_NAMES[role]:
            found = by_name.get(default.casefold())
            if found is not None and _fits_structure(role, layout_info(found)):
                return found, "name"
        typed = [
            lay
            for lay in layouts
            if lay._element.get("type") in _LAYOUT_TYPES[role]
            and _fits_structure(role, layout_info(lay))
        ]
        if typed:
            return typed[0], "layout type"
        structural = _by_structure(role, layouts)
        if structural is not None:
            return structural, "placeholders"
        return None

    found_direct = {
        role: direct(role) for role in set(wanted) | {r for w in wanted for r in FALLBACKS[w]}
    }
    for role in wanted:
        hit = found_direct.get(role)
        if hit is not None:
            match.layouts[role], match.how[role] = hit
            continue
        for alt in FALLBACKS[role]:
            alt_hit = found_direct.get(alt)
            if alt_hit is not None:
                match.layouts[role] = alt_hit[0]
                match.how[role] = f"fallback to {alt}"
                match.fallbacks[role] = alt
                break
        else:
            raise TemplateError(
                f"{template_label}: no layout for the '{role}' role ({_ROLE_NEEDS[role]}). "
                f"Layouts found: {'; '.join(describe_layouts(prs))}. Name one in the config "
                f"(pptx layouts: {{{role}: <layout name>}})."
            )
    return match


# --------------------------------------------------------------------------- slides


def remove_all_slides(prs: Any) -> int:
    """Delete every slide the template ships with; returns how many.

    Removing only the `sldId` leaves an orphan relationship and part that PowerPoint "repairs";
    so the relationship is dropped too (python-pptx then never writes the part, its notes or its
    media), and PowerPoint 2010 sections and custom shows that name a removed slide are cleaned.
    """
    pres = prs.part._element
    sld_id_lst = pres.find(qn("p:sldIdLst"))
    if sld_id_lst is None:
        return 0
    removed_ids: set[str] = set()
    count = 0
    for sld_id in list(sld_id_lst):
        rid = sld_id.get(qn("r:id"))
        removed_ids.add(str(sld_id.get("id")))
        sld_id_lst.remove(sld_id)
        if rid and rid in prs.part.rels:
            prs.part.drop_rel(rid)
        count += 1
    cust = pres.find(qn("p:custShowLst"))
    if cust is not None:
        pres.remove(cust)  # custom shows list slides by rId; all of them are gone
    for sect in pres.iter(f"{{{NS['p14']}}}sectionLst"):
        ext = sect.getparent()
        if ext is not None and ext.getparent() is not None:
            ext.getparent().remove(ext)
    for ext_lst in pres.findall(qn("p:extLst")):
        if len(ext_lst) == 0:
            pres.remove(ext_lst)
    return count


def delete_shape(shape: Any) -> None:
    el = shape._element
    el.getparent().remove(el)


def remove_empty_placeholders(slide: Any) -> int:
    """Drop placeholders left without text, so PowerPoint does not show "Click to add text".

    Pictures, tables and charts are kept; a text placeholder counts as empty when its text is
    only whitespace.
    """
    removed = 0
    for _, _, el in placeholder_elements(slide):
        tx_body = el.find(_TX_BODY) if el.tag == _SP else None
        if tx_body is None:
            continue  # python-pptx: only p:sp placeholders have a text frame
        if any((t.text or "").strip() for t in tx_body.iter(_A_T)):
            continue
        if next(tx_body.iter(_A_FLD), None) is not None:
            continue
        el.getparent().remove(el)
        removed += 1
    return removed


def layout_placeholder(layout: Any, ph_type: Any) -> Any | None:
    for ph in layout.placeholders:
        if ph.placeholder_format.type == ph_type:
            return ph
    return None


_SP = qn("p:sp")
_TX_BODY = qn("p:txBody")
_A_T = qn("a:t")
_A_FLD = qn("a:fld")
# Where each kind of shape element keeps its `p:ph` (p:nvSpPr/p:nvPr/p:ph and the like).
_PH_PATHS = {
    qn(f"p:{tag}"): f"{qn(f'p:{nv}')}/{qn('p:nvPr')}/{qn('p:ph')}"
    for tag, nv in (
        ("sp", "nvSpPr"),
        ("pic", "nvPicPr"),
        ("graphicFrame", "nvGraphicFramePr"),
        ("grpSp", "nvGrpSpPr"),
        ("cxnSp", "nvCxnSpPr"),
    )
}


_PH_KINDS: dict[str, Any] = {}  # XML type -> PP_PLACEHOLDER member


def placeholder_elements(slide: Any) -> list[tuple[Any, int, Any]]:
    """(type, idx, element) of the slide's placeholders, in python-pptx's order (by idx).

    Read straight from the XML: python-pptx's `slide.placeholders` builds a proxy per shape and
    runs an XPath query per check (about 10,000 queries for an enterprise deck).
    """
    found = []
    for el in slide.shapes._spTree.iterchildren():
        path = _PH_PATHS.get(el.tag)
        ph = el.find(path) if path is not None else None
        if ph is None:
            continue
        xml_type = ph.get("type", "obj")
        kind = _PH_KINDS.get(xml_type)
        if kind is None:
            kind = _PH_KINDS[xml_type] = PP_PLACEHOLDER.from_xml(xml_type)
        found.append((kind, int(ph.get("idx", "0")), el))
    found.sort(key=lambda item: item[1])
    return found


def find_placeholder(slide: Any, types: Iterable[Any]) -> Any | None:
    """The first placeholder (python-pptx object) of one of `types`, as `slide.placeholders`
    would yield it, or None."""
    wanted = set(types)
    for kind, _, el in placeholder_elements(slide):
        if kind in wanted:
            return _placeholder_shape(kind, el, slide.placeholders)
    return None


def placeholders_of(slide: Any, types: Iterable[Any]) -> list[Any]:
    """Every placeholder (python-pptx object) of one of `types`, in python-pptx's order."""
    wanted = set(types)
    return [
        _placeholder_shape(kind, el, slide.placeholders)
        for kind, _, el in placeholder_elements(slide)
        if kind in wanted
    ]


_SP_PLACEHOLDER_CLASSES = {
    PP_PLACEHOLDER.BITMAP: PicturePlaceholder,
    PP_PLACEHOLDER.CHART: ChartPlaceholder,
    PP_PLACEHOLDER.PICTURE: PicturePlaceholder,
    PP_PLACEHOLDER.TABLE: TablePlaceholder,
}


def _placeholder_shape(kind: Any, el: Any, parent: Any) -> Any:
    """The object `SlideShapeFactory` makes for placeholder `el` of type `kind` (already read
    from the XML: python-pptx would query it again, by XPath)."""
    if el.tag == _SP:
        return _SP_PLACEHOLDER_CLASSES.get(kind, SlidePlaceholder)(el, parent)
    return SlideShapeFactory(el, parent)


def placeholder_idx(shape: Any) -> int:
    """`shape.placeholder_format.idx` read straight from the XML (0 when absent, as there)."""
    el = shape._element
    path = _PH_PATHS.get(el.tag)
    ph = el.find(path) if path is not None else None
    return int(ph.get("idx", "0")) if ph is not None else 0


def add_footer_placeholders(
    slide: Any,
    number: int,
    footer_text: str | None,
    protos: dict[tuple[str, Any], Any] | None = None,
) -> bool:
    """Put the layout's slide-number (and footer) placeholders on `slide`.

    PowerPoint draws master/layout footers only where a slide carries its own copy of the
    placeholder (that is what "Insert > Slide number" does); python-pptx's `add_slide` leaves
    them out. The copy holds only the `ph` reference and a field, so the position and style
    still come from the template. Returns whether a slide number was added.

    `protos` (layout partname, type) -> emptied copy of the layout placeholder, or None: a
    cache so a deck looks each layout's footer placeholders up once (see `PreparedTemplate`).
    """
    layout = slide.slide_layout
    layout_key = str(layout.part.partname)
    added = False
    for ph_type, text in (
        (PP_PLACEHOLDER.SLIDE_NUMBER, None),
        (PP_PLACEHOLDER.FOOTER, footer_text),
    ):
        key = (layout_key, ph_type)
        if protos is not None and key in protos:
            proto = protos[key]
        else:
            proto = _footer_proto(layout, ph_type)
            if protos is not None:
                protos[key] = proto
        if proto is None or (ph_type == PP_PLACEHOLDER.FOOTER and not text):
            continue
        sp = copy.deepcopy(proto)
        c_nv_pr = sp.find(".//" + qn("p:cNvPr"))
        c_nv_pr.set("id", str(next_shape_id(slide)))
        tx_body = sp.find(qn("p:txBody"))
        if ph_type == PP_PLACEHOLDER.SLIDE_NUMBER:
            para = etree.SubElement(tx_body, qn("a:p"))
            fld = etree.SubElement(
                para, qn("a:fld"), id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}", type="slidenum"
            )
            etree.SubElement(fld, qn("a:rPr"), lang="en-US")
            etree.SubElement(fld, qn("a:t")).text = str(number)  # cached; viewers recompute
            added = True
        else:
            para = etree.SubElement(tx_body, qn("a:p"))
            run = etree.SubElement(para, qn("a:r"))
            etree.SubElement(run, qn("a:rPr"), lang="en-US", dirty="0")
            etree.SubElement(run, qn("a:t")).text = text
        slide.shapes._spTree.append(sp)
    return added


def _footer_proto(layout: Any, ph_type: Any) -> Any | None:
    """The layout's `ph_type` placeholder emptied to a bare reference (geometry, look and text
    inherited from the layout), ready to be copied onto a slide; None when there is none."""
    source = layout_placeholder(layout, ph_type)
    if source is None:
        return None
    sp = copy.deepcopy(source._element)
    sp_pr = sp.find(qn("p:spPr"))
    for child in list(sp_pr):
        sp_pr.remove(child)  # inherit geometry and look from the layout
    tx_body = sp.find(qn("p:txBody"))
    for p in tx_body.findall(qn("a:p")):
        tx_body.remove(p)
    lst = tx_body.find(qn("a:lstStyle"))
    if lst is not None:
        for child in list(lst):
            lst.remove(child)
    return sp


def next_shape_id(slide: Any) -> int:
    """A shape id unused on `slide`, from the same counter python-pptx's own adds use.

    Slides made by `add_slide` run python-pptx's "turbo add" counter (one scan per slide instead
    of one per shape); ids must then come from that counter, or they would collide.
    """
    shapes = slide.shapes
    if shapes.turbo_add_enabled:
        return int(shapes._next_shape_id)
    ids = [int(v) for v in shapes._spTree.xpath("//@id") if str(v).isdigit()]
    return max(ids, default=1) + 1


# --------------------------------------------------------------------------- prepared templates


@dataclass
class PreparedTemplate:
    """A template opened, emptied and analysed once per process; every deck starts from a copy.

    Why: opening a template, finding its layouts and reading its theme cost ~12 ms a deck, and
    python-pptx rebuilds each new slide's placeholders and each notes page from the layout and
    notes master (~2 ms a slide). Here the emptied template (sample slides removed, notes master
    present) is kept as bytes and reopened per deck (~2 ms), and the first slide made from each
    layout and the first notes page are kept as XML prototypes that later slides deep-copy.
    Prototypes hold only placeholders copied from the template, never deck content.

    Not shared across processes (each worker builds its own); within a process the caches are
    filled under a lock and only read afterwards.
    """

    blob: bytes
    removed: int
    theme: Theme
    slide_protos: dict[str, Any] = field(default_factory=dict)
    notes_proto: list[Any] = field(default_factory=list)  # [] until the first notes page
    footer_protos: dict[tuple[str, Any], Any] = field(default_factory=dict)
    geometry: dict[tuple[str, int], Any] = field(default_factory=dict)  # renderer's cache
    matches: dict[tuple[Any, ...], tuple[dict[str, str], dict[str, str], dict[str, str]]] = field(
        default_factory=dict
    )
    max_shape_ids: dict[str, int] = field(default_factory=dict)  # per slide prototype
    _shared: SharedTemplate | None = field(default=None, repr=False)

    @property
    def shared(self) -> SharedTemplate:
        """The emptied template loaded once; decks share its master, layouts and themes."""
        if self._shared is None:
            with _LOCK:
                if self._shared is None:
                    self._shared = SharedTemplate(self.blob)
        return self._shared

    def open(
        self,
        roles: Iterable[str],
        names: Mapping[str, str] | None,
        *,
        template_label: str,
    ) -> tuple[Any, LayoutMatch]:
        """A fresh Presentation of the emptied template and its layouts for `roles`."""
        prs = self.shared.new_presentation()
        install_partname_counter(prs)
        wanted = tuple(sorted(set(roles)))
        key = (wanted, tuple(sorted((names or {}).items())))
        cached = self.matches.get(key)
        if cached is None:
            match = find_layouts(prs, wanted, names, template_label=template_label)
            parts = {role: str(lay.part.partname) for role, lay in match.layouts.items()}
            with _LOCK:
                self.matches[key] = (parts, dict(match.how), dict(match.fallbacks))
            return prs, match
        parts, how, fallbacks = cached
        by_part = {str(lay.part.partname): lay for lay in all_layouts(prs)}
        layouts = {role: by_part[name] for role, name in parts.items()}
        return prs, LayoutMatch(layouts, dict(how), dict(fallbacks))


_LOCK = threading.Lock()
_PREPARED: dict[tuple[Any, ...], PreparedTemplate] = {}
_PREPARED_MAX = 8  # templates kept per process (a batch uses one or two)


def prepared_template(path: Path | str | None = None) -> PreparedTemplate:
    """The `PreparedTemplate` for `path` (None: deckgen's default), built on first use.

    Keyed by the file's resolved path, size and modification time, so an edited template is
    picked up without restarting a long-running process. Raises `TemplateError` like
    `open_template`; failures are not cached.
    """
    target = Path(path) if path is not None else default_template_path()
    try:
        st = target.stat()
    except OSError:
        st = None
    key = (str(target.resolve()), st.st_size, st.st_mtime_ns) if st is not None else None
    if key is not None:
        hit = _PREPARED.get(key)
        if hit is not None:
            return hit
    prs = open_template(target)  # raises TemplateError for a missing or broken file
    removed = remove_all_slides(prs)
    theme = read_theme(prs)
    prs.part.notes_master_part  # noqa: B018 - created now (every deck has notes), not per deck
    prs.core_properties  # noqa: B018 - likewise: each deck fills in a copy
    set_app_properties(prs)  # the same for every deck: done once, in the shared part
    out = io.BytesIO()
    prs.save(out)
    prepared = PreparedTemplate(blob=out.getvalue(), removed=removed, theme=theme)
    if key is not None:
        with _LOCK:
            while len(_PREPARED) >= _PREPARED_MAX:
                _PREPARED.pop(next(iter(_PREPARED)))
            _PREPARED[key] = prepared
    return prepared


def clear_template_cache() -> None:
    """Forget every prepared template (tests; a process that edits templates in place)."""
    with _LOCK:
        _PREPARED.clear()


class _PartnameCounter:
    """`Package.next_partname` with the package scanned once per partname prefix.

    python-pptx walks every relationship of the package for each new notes page, chart and
    embedded workbook (quadratic in the deck's size: ~12 ms an enterprise deck). This keeps the
    names taken per prefix and applies python-pptx's own rule (highest free n <= count + 1), so
    parts get the same names as before.
    """

    def __init__(self, package: Any) -> None:
        self._package = package
        self._taken: dict[str, set[str]] = {}

    def __call__(self, tmpl: str) -> PackURI:
        prefix = tmpl[: (tmpl % 42).find("42")]
        taken = self._taken.get(prefix)
        if taken is None:
            taken = {
                str(part.partname)
                for part in self._package.iter_parts()
                if part.partname.startswith(prefix)
            }
            self._taken[prefix] = taken
        for n in range(len(taken) + 1, 0, -1):
            candidate = tmpl % n
            if candidate not in taken:
                taken.add(candidate)
                return PackURI(candidate)
        raise RuntimeError(f"no free part name for {tmpl}")  # pragma: no cover


def install_partname_counter(prs: Any) -> None:
    """Give this presentation's package the counting `next_partname` (instance attribute:
    nothing outside this one package is affected)."""
    package = prs.part.package
    package.next_partname = _PartnameCounter(package)


def add_slide(prs: Any, layout: Any, prepared: PreparedTemplate | None = None) -> Any:
    """Append a slide using `layout`, like `prs.slides.add_slide`, and return it.

    With `prepared`, the slide's XML is a copy of the first slide made from this layout (its
    cloned placeholders), instead of python-pptx cloning them from the layout again. Either way
    the slide's shape ids come from python-pptx's turbo-add counter (see `next_shape_id`).
    """
    key = str(layout.part.partname)
    proto = prepared.slide_protos.get(key) if prepared is not None else None
    if proto is None:
        slide = prs.slides.add_slide(layout)
        if prepared is not None:
            with _LOCK:
                prepared.slide_protos.setdefault(key, copy.deepcopy(slide._element))
    else:
        pres_part = prs.part
        slide_part = SlidePart(
            pres_part._next_slide_partname, CT.PML_SLIDE, pres_part.package, copy.deepcopy(proto)
        )
        slide_part.relate_to(layout.part, RT.SLIDE_LAYOUT)
        rid = pres_part.relate_to(slide_part, RT.SLIDE)
        _add_slide_id(prs.slides._sldIdLst, rid)
        slide = slide_part.slide
        max_id = prepared.max_shape_ids.get(key) if prepared is not None else None
        if max_id is not None:
            # The copy's ids are the prototype's: no need to search the XML for the highest.
            slide.shapes._cached_max_shape_id = max_id
            return slide
    slide.shapes.turbo_add_enabled = True
    if prepared is not None and proto is not None:
        with _LOCK:
            prepared.max_shape_ids[key] = slide.shapes._cached_max_shape_id
    return slide


_SLD_ID = qn("p:sldId")
_R_ID = qn("r:id")


def _add_slide_id(sld_id_lst: Any, rid: str) -> None:
    """`sldIdLst.add_sldId(rid)` without python-pptx's XPath query per slide: the next id is one
    above the highest in use (at least 256), as python-pptx chooses it."""
    used = [int(el.get("id")) for el in sld_id_lst.iterchildren(_SLD_ID)]
    next_id = max([255, *used]) + 1
    if next_id > 2147483647:  # pragma: no cover - python-pptx's gap search for huge ids
        sld_id_lst.add_sldId(rid)
        return
    etree.SubElement(sld_id_lst, _SLD_ID, {"id": str(next_id), _R_ID: rid})


def set_notes(slide: Any, text: str, prepared: PreparedTemplate | None = None) -> None:
    """Write `text` as the slide's speaker notes (a new notes page), as python-pptx's
    `slide.notes_slide.notes_text_frame.text = text` would.

    python-pptx clones the notes master's placeholders for every notes page (~1.3 ms a slide);
    with `prepared` the page is a copy of the first one made for this template instead, related
    to the notes master and the slide exactly as python-pptx relates it.
    """
    protos = prepared.notes_proto if prepared is not None else None
    if not protos:
        notes = slide.notes_slide
        if protos is not None and _notes_body(notes._element) is not None:
            with _LOCK:
                if not protos:
                    protos.append(copy.deepcopy(notes._element))
        notes.notes_text_frame.text = text
        return
    slide_part = slide.part
    package = slide_part.package
    master_part = package.presentation_part.notes_master_part
    element = copy.deepcopy(protos[0])
    part = NotesSlidePart(
        package.next_partname("/ppt/notesSlides/notesSlide%d.xml"),
        CT.PML_NOTES_SLIDE,
        package,
        element,
    )
    part.relate_to(master_part, RT.NOTES_MASTER)
    part.relate_to(slide_part, RT.SLIDE)
    slide_part.relate_to(part, RT.NOTES_SLIDE)
    _set_body_text(_notes_body(element), text)


_A_P = qn("a:p")
_A_R = qn("a:r")
_A_BR = qn("a:br")


def _set_body_text(tx_body: Any, text: str) -> None:
    """What python-pptx's `TextFrame.text = text` writes, built with lxml directly.

    One paragraph per line, a line break per vertical tab, runs without properties, control
    characters escaped as python-pptx escapes them ("_x0007_"); python-pptx goes through its
    element classes' descriptors for each, ~0.1 ms a notes page. The tests compare the two.
    """
    for p in tx_body.findall(_A_P):
        tx_body.remove(p)
    escape_ctrl = CT_RegularTextRun._escape_ctrl_chars
    for line in text.split("\n"):
        para = etree.SubElement(tx_body, _A_P)
        for i, piece in enumerate(line.split("\v")):
            if i:
                etree.SubElement(para, _A_BR)
            if piece:
                run = etree.SubElement(para, _A_R)
                etree.SubElement(run, _A_T).text = escape_ctrl(piece)


def _notes_body(notes_element: Any) -> Any | None:
    """The `p:txBody` of a notes page's body placeholder (what `notes_text_frame` wraps)."""
    tree = notes_element.find(f"{qn('p:cSld')}/{qn('p:spTree')}")
    if tree is None:
        return None
    bodies = []
    for sp in tree.iterchildren(_SP):
        ph = sp.find(_PH_PATHS[_SP])
        if ph is not None and ph.get("type", "obj") == "body":
            bodies.append((int(ph.get("idx", "0")), sp))
    if not bodies:
        return None
    return min(bodies, key=lambda item: item[0])[1].find(_TX_BODY)


# --------------------------------------------------------------------------- inherited values


def _chain(shape: Any) -> list[Any]:
    """The XML elements a placeholder inherits from: itself, layout, master placeholder."""
    chain = [shape._element]
    try:
        layout_ph = shape._base_placeholder
    except (AttributeError, KeyError):
        layout_ph = None
    if layout_ph is not None:
        chain.append(layout_ph._element)
        try:
            master_ph = layout_ph._base_placeholder
        except (AttributeError, KeyError):
            master_ph = None
        if master_ph is not None:
            chain.append(master_ph._element)
    return chain


def _master_of(shape: Any) -> Any | None:
    part = shape.part
    for attr in ("slide_layout", "slide_master"):
        obj = getattr(part, attr, None)
        if obj is None:
            continue
        if attr == "slide_layout":
            return obj.slide_master
        return obj
    return None


def placeholder_font_size(shape: Any, level: int = 1) -> float | None:
    """The point size text in this placeholder gets by inheritance (None when not set anywhere).

    Looks in the placeholder's list style, its layout and master placeholders, then the master's
    title or body text style; the renderer measures text at this size before shrinking it.
    """
    tag = f"a:lvl{level}pPr"
    for el in _chain(shape):
        found = el.find(f".//{qn('a:lstStyle')}/{qn(tag)}/{qn('a:defRPr')}")
        if found is not None and found.get("sz"):
            return int(found.get("sz")) / 100
    master = _master_of(shape)
    if master is None:
        return None
    is_title = shape.placeholder_format.type in _TITLE_TYPES
    style = "p:titleStyle" if is_title else "p:bodyStyle"
    found = master._element.find(f"{qn('p:txStyles')}/{qn(style)}/{qn(tag)}/{qn('a:defRPr')}")
    if found is not None and found.get("sz"):
        return int(found.get("sz")) / 100
    return None


def placeholder_is_bold(shape: Any) -> bool:
    for el in _chain(shape):
        found = el.find(f".//{qn('a:lstStyle')}/{qn('a:lvl1pPr')}/{qn('a:defRPr')}")
        if found is not None and found.get("b") is not None:
            return found.get("b") in ("1", "true")
    master = _master_of(shape)
    if master is not None and shape.placeholder_format.type in _TITLE_TYPES:
        found = master._element.find(
            f"{qn('p:txStyles')}/{qn('p:titleStyle')}/{qn('a:lvl1pPr')}/{qn('a:defRPr')}"
        )
        if found is not None:
            return found.get("b") in ("1", "true")
    return False


def placeholder_insets(shape: Any) -> tuple[int, int, int, int]:
    """Left, top, right, bottom text insets (EMU) in effect, defaulting to PowerPoint's."""
    defaults = {"lIns": 91440, "tIns": 45720, "rIns": 91440, "bIns": 45720}
    out: dict[str, int] = {}
    for el in _chain(shape):
        body_pr = el.find(f".//{qn('a:bodyPr')}")
        if body_pr is None:
            continue
        for key in defaults:
            if key not in out and body_pr.get(key) is not None:
                out[key] = int(body_pr.get(key))
    merged = {**defaults, **out}
    return merged["lIns"], merged["tIns"], merged["rIns"], merged["bIns"]


# --------------------------------------------------------------------------- theme


@dataclass(frozen=True)
class Theme:
    """A template's theme: scheme colours ("accent1" -> "#00796B") and the two font families."""

    colours: dict[str, str]
    major_font: str
    minor_font: str


def read_theme(prs: Any) -> Theme:
    """Read colours and fonts from the first master's theme part.

    System colours (`windowText`) resolve to their `lastClr`, which is what PowerPoint shows.
    """
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    colours: dict[str, str] = {}
    scheme = root.find(".//a:clrScheme", NS)
    if scheme is not None:
        for slot in scheme:
            name = etree.QName(slot).localname
            srgb = slot.find("a:srgbClr", NS)
            sys_clr = slot.find("a:sysClr", NS)
            value = None
            if srgb is not None:
                value = srgb.get("val")
            elif sys_clr is not None:
                value = sys_clr.get("lastClr")
            if value and re.fullmatch(r"[0-9A-Fa-f]{6}", value):
                colours[name] = "#" + value.upper()
    major = root.find(".//a:fontScheme/a:majorFont/a:latin", NS)
    minor = root.find(".//a:fontScheme/a:minorFont/a:latin", NS)
    return Theme(
        colours=colours,
        major_font=(major.get("typeface") if major is not None else "") or "Arial",
        minor_font=(minor.get("typeface") if minor is not None else "") or "Arial",
    )


def theme_palette(theme: Theme) -> dict[str, str]:
    """Palette entries for `ChartStyle.with_palette` from a user template's theme.

    accent1/accent2/accent3 are the brand's primary, secondary and highlight colours in
    practically every corporate theme, dk1/lt1 its text and background; greys (reference,
    muted, subtle text) stay from style.yaml because themes rarely define good neutrals.
    """
    mapping = {
        "primary": "accent1",
        "secondary": "accent2",
        "accent": "accent3",
        "text": "dk1",
        "background": "lt1",
    }
    return {key: theme.colours[slot] for key, slot in mapping.items() if slot in theme.colours}


# --------------------------------------------------------------------------- properties


def set_core_properties(
    prs: Any,
    *,
    title: str,
    author: str,
    subject: str = "",
    keywords: Iterable[str] = (),
    when: datetime | None = None,
) -> None:
    """Overwrite every core property the template or python-pptx left behind.

    python-pptx's default carries "python-pptx" in the description, its author's name as last
    editor and a 2013 date; a corporate template carries its designer's. Dates are UTC.
    """
    stamp = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    stamp = stamp.replace(microsecond=0)
    cp = prs.core_properties
    cp.title = title[:255]
    cp.author = author[:255]
    cp.last_modified_by = author[:255]
    cp.subject = subject[:255]
    cp.keywords = ", ".join(keywords)[:255]
    cp.comments = ""
    cp.category = "Quarterly business review"
    cp.content_status = ""
    cp.identifier = ""
    cp.language = ""
    cp.version = ""
    cp.revision = 1
    cp.created = stamp
    cp.modified = stamp


def set_app_properties(prs: Any, application: str = "deckgen") -> None:
    """Name deckgen as the application and drop stale counts a template's app.xml carries."""
    for rel in prs.part.package._rels.values():
        if rel.reltype != RT.EXTENDED_PROPERTIES or rel.is_external:
            continue
        part = rel.target_part
        ns = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
        try:
            root = etree.fromstring(part.blob)
        except etree.XMLSyntaxError:
            return
        for tag in ("Application", "Company", "Manager", "Template"):
            el = root.find(f"{{{ns}}}{tag}")
            if el is not None:
                el.text = application if tag == "Application" else ""
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --------------------------------------------------------------------------- text XML helpers


def _new_rpr(
    tag: str,
    *,
    size: float | None,
    bold: bool,
    colour: str | None,
    highlight: str | None,
    typeface: str | None,
) -> Any:
    r_pr = OxmlElement(tag)
    r_pr.set("lang", "en-US")
    if size is not None:
        r_pr.set("sz", str(round(size * 100)))
    if bold:
        r_pr.set("b", "1")
    r_pr.set("dirty", "0")
    if colour:
        fill = etree.SubElement(r_pr, qn("a:solidFill"))
        etree.SubElement(fill, qn("a:srgbClr"), val=colour.lstrip("#").upper())
    if highlight:
        hl = etree.SubElement(r_pr, qn("a:highlight"))
        etree.SubElement(hl, qn("a:srgbClr"), val=highlight.lstrip("#").upper())
    if typeface:  # Latin only: CJK and complex scripts keep the theme's own fonts
        etree.SubElement(r_pr, qn("a:latin"), typeface=typeface)
    return r_pr


def add_run(
    paragraph: Any,
    text: str,
    *,
    size: float | None = None,
    bold: bool = False,
    colour: str | None = None,
    highlight: str | None = None,
    typeface: str | None = None,
) -> None:
    """Append `text` to a paragraph as runs (line feeds become `a:br`), styled in one go.

    Built as XML because python-pptx's font API re-finds or re-creates an element for every
    property (about half a millisecond a run; a deck has hundreds). `None` inherits.
    """
    p = paragraph._p
    end = p.find(qn("a:endParaRPr"))

    def look() -> Any:
        return _new_rpr(
            "a:rPr", size=size, bold=bold, colour=colour, highlight=highlight, typeface=typeface
        )

    for i, segment in enumerate(text.split("\n")):
        elements = []
        if i:
            br = OxmlElement("a:br")
            br.append(look())
            elements.append(br)
        if segment:
            run = OxmlElement("a:r")
            run.append(look())
            etree.SubElement(run, qn("a:t")).text = segment
            elements.append(run)
        for el in elements:
            if end is not None:
                end.addprevious(el)
            else:
                p.append(el)


# Built as escaped XML strings and parsed once per shape: a table cell or text run written through
# python-pptx's setters costs dozens of element lookups and insertions; text and attribute
# values are always escaped (`escape`/`quoteattr`), never pasted in raw.
_PARSER = etree.XMLParser(resolve_entities=False)  # keeps whitespace-only runs as written
_PARSER.set_element_class_lookup(element_class_lookup)  # python-pptx's element classes
NSDECLS = nsdecls("a", "p", "r")


def parse_shape_xml(xml: str) -> Any:
    """Parse one shape's XML (declaring `NSDECLS` on its root) into python-pptx elements."""
    return etree.fromstring(xml, _PARSER)


def append_shape(slide: Any, element: Any) -> None:
    """Add a shape element at the top of the z-order, where python-pptx's `add_*` put it."""
    tree = slide.shapes._spTree
    ext = tree.find(qn("p:extLst"))
    if ext is not None:
        ext.addprevious(element)
    else:
        tree.append(element)


def rpr_xml(
    *,
    size: float | None,
    bold: bool,
    colour: str | None,
    highlight: str | None = None,
    typeface: str | None = None,
) -> str:
    """The `a:rPr` `add_run` writes, as an XML string."""
    attrs = ' lang="en-US"'
    if size is not None:
        attrs += f' sz="{round(size * 100)}"'
    if bold:
        attrs += ' b="1"'
    attrs += ' dirty="0"'
    inner = ""
    if colour:
        inner += f'<a:solidFill><a:srgbClr val="{_hex(colour)}"/></a:solidFill>'
    if highlight:
        inner += f'<a:highlight><a:srgbClr val="{_hex(highlight)}"/></a:highlight>'
    if typeface:
        inner += f"<a:latin typeface={quoteattr(typeface)}/>"
    return f"<a:rPr{attrs}>{inner}</a:rPr>" if inner else f"<a:rPr{attrs}/>"


def runs_xml(text: str, r_pr: str) -> str:
    """`text` as runs with the given `a:rPr` (line feeds become `a:br`), like `add_run`."""
    out = []
    for i, segment in enumerate(text.split("\n")):
        if i:
            out.append(f"<a:br>{r_pr}</a:br>")
        if segment:
            out.append(f"<a:r>{r_pr}<a:t>{escape(segment)}</a:t></a:r>")
    return "".join(out)


def hex_colour(colour: str) -> str:
    """ "#1f4e79" -> "1F4E79" for `a:srgbClr`; raises ValueError for anything else."""
    return _hex(colour)


@functools.lru_cache(maxsize=256)  # a deck uses a handful of colours, hundreds of times
def _hex(colour: str) -> str:
    value = colour.lstrip("#").upper()
    if not _RGB.fullmatch(value):
        raise ValueError(f"not an RGB colour: {colour!r}")
    return value


_RGB = re.compile(r"[0-9A-F]{6}")


def cell_pr_xml(
    fill: str,
    *,
    margins: tuple[int, int, int, int],
    bottom_rule: tuple[int, str] | None = None,
) -> str:
    """The `a:tcPr` `style_cell` writes, as an XML string."""
    left, right, top, bottom = margins
    lines = []
    for side in "LRTB":
        if side == "B" and bottom_rule is not None:
            width, colour = bottom_rule
            lines.append(
                f'<a:ln{side} w="{int(width)}"><a:solidFill><a:srgbClr val="{_hex(colour)}"/>'
                f"</a:solidFill></a:ln{side}>"
            )
        else:
            lines.append(f'<a:ln{side} w="0"><a:noFill/></a:ln{side}>')
    return (
        f'<a:tcPr marL="{int(left)}" marR="{int(right)}" marT="{int(top)}" marB="{int(bottom)}"'
        f' anchor="ctr">{"".join(lines)}'
        f'<a:solidFill><a:srgbClr val="{_hex(fill)}"/></a:solidFill></a:tcPr>'
    )


def style_cell(
    cell: Any,
    fill: str,
    *,
    margins: tuple[int, int, int, int],
    bottom_rule: tuple[int, str] | None = None,
) -> None:
    """Fill, margins (L, R, T, B in EMU), middle anchor and rules of a table cell in one pass.

    Only a bottom rule (or none) is drawn: with the "No Style, No Grid" table style this gives
    the clean horizontal-rules look; the same cost-saving reason as `add_run`.
    """
    tc_pr = cell._tc.get_or_add_tcPr()
    for child in list(tc_pr):
        tc_pr.remove(child)
    left, right, top, bottom = margins
    tc_pr.set("marL", str(left))
    tc_pr.set("marR", str(right))
    tc_pr.set("marT", str(top))
    tc_pr.set("marB", str(bottom))
    tc_pr.set("anchor", "ctr")
    for side in "LRTB":
        ln = etree.SubElement(tc_pr, qn(f"a:ln{side}"))
        if side == "B" and bottom_rule is not None:
            width, colour = bottom_rule
            ln.set("w", str(width))
            solid = etree.SubElement(ln, qn("a:solidFill"))
            etree.SubElement(solid, qn("a:srgbClr"), val=colour.lstrip("#").upper())
        else:
            ln.set("w", "0")
            etree.SubElement(ln, qn("a:noFill"))
    solid = etree.SubElement(tc_pr, qn("a:solidFill"))
    etree.SubElement(solid, qn("a:srgbClr"), val=fill.lstrip("#").upper())


def set_bullet(
    paragraph: Any,
    char: str | None,
    *,
    indent_emu: int = 0,
    margin_emu: int = 0,
    colour: str | None = None,
) -> None:
    """A character bullet (or explicitly none) with hanging indent; python-pptx has no API."""
    p_pr = paragraph._p.get_or_add_pPr()
    for tag in (
        "a:buClrTx",
        "a:buClr",
        "a:buSzTx",
        "a:buSzPct",
        "a:buSzPts",
        "a:buFontTx",
        "a:buFont",
        "a:buNone",
        "a:buAutoNum",
        "a:buChar",
        "a:buBlip",
    ):
        for old in p_pr.findall(qn(tag)):
            p_pr.remove(old)
    p_pr.set("marL", str(margin_emu))
    p_pr.set("indent", str(-indent_emu if char else 0))
    # Bullet elements go after lnSpc/spcBef/spcAft and before tabLst/defRPr.
    anchor = None
    for tag in ("a:tabLst", "a:defRPr", "a:extLst"):
        anchor = p_pr.find(qn(tag))
        if anchor is not None:
            break
    new: list[Any] = []
    if char:
        if colour:
            clr = etree.Element(qn("a:buClr"))
            etree.SubElement(clr, qn("a:srgbClr"), val=colour.lstrip("#").upper())
            new.append(clr)
        new.append(etree.Element(qn("a:buFont"), typeface="Arial"))
        new.append(etree.Element(qn("a:buChar"), char=char))
    else:
        new.append(etree.Element(qn("a:buNone")))
    for el in new:
        if anchor is not None:
            anchor.addprevious(el)
        else:
            p_pr.append(el)


def set_spacing(
    paragraph: Any, *, before_pt: float = 0, after_pt: float = 0, line_pct: float | None = None
) -> None:
    """Paragraph spacing in points (python-pptx's setters exist but order lnSpc oddly in 1.0)."""
    p_pr = paragraph._p.get_or_add_pPr()
    for tag in ("a:lnSpc", "a:spcBef", "a:spcAft"):
        for old in p_pr.findall(qn(tag)):
            p_pr.remove(old)
    els = []
    if line_pct is not None:
        ln = etree.Element(qn("a:lnSpc"))
        etree.SubElement(ln, qn("a:spcPct"), val=str(int(line_pct * 1000)))
        els.append(ln)
    for tag, value in (("a:spcBef", before_pt), ("a:spcAft", after_pt)):
        el = etree.Element(qn(tag))
        etree.SubElement(el, qn("a:spcPts"), val=str(int(value * 100)))
        els.append(el)
    for el in reversed(els):
        p_pr.insert(0, el)


NO_GRID_TABLE_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"


def set_table_style(table: Any, style_id: str = NO_GRID_TABLE_STYLE) -> None:
    """Use a plain table style so cell fills and rules drawn by deckgen are the only styling."""
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("a:tableStyleId")):
        tbl_pr.remove(old)
    el = etree.SubElement(tbl_pr, qn("a:tableStyleId"))
    el.text = style_id
    tbl_pr.set("firstRow", "1")
    tbl_pr.set("bandRow", "0")


def set_dash(shape: Any, dash: str = "dash") -> None:
    ln = shape.line._get_or_add_ln()
    for old in ln.findall(qn("a:prstDash")):
        ln.remove(old)
    el = etree.Element(qn("a:prstDash"), val=dash)
    fill = ln.find(qn("a:solidFill"))
    if fill is not None:
        fill.addnext(el)
    else:
        ln.insert(0, el)


def strip_shape_style(shape: Any) -> None:
    """Remove the theme style reference python-pptx puts on autoshapes.

    That `p:style` pulls line, fill, shadow and white text from the theme (a drop shadow on a
    corporate theme with "intense" effects); deckgen sets fill and line itself.
    """
    style = shape._element.find(qn("p:style"))
    if style is not None:
        shape._element.remove(style)


def set_shape_name(shape: Any, name: str) -> None:
    shape._element.find(".//" + qn("p:cNvPr")).set("name", name[:250])


def save(prs: Any, out: Path | str | IO[bytes], prepared: PreparedTemplate | None = None) -> None:
    """Save a deck reproducibly (fixed zip dates; see `pptx_package.write_package`).

    With `prepared`, the template's parts are written from bytes compressed once per process.
    """
    write_package(prs, out, prepared.shared if prepared is not None else None)
