#!/usr/bin/env python3
"""Build the two PowerPoint templates committed under layouts/.

    python scripts/build_templates.py   # writes layouts/default.pptx and layouts/alt-template.pptx

Why a script and not a hand-made file: the templates are derived from style values
(charts/style.yaml) and must stay reproducible and reviewable in a diff of this file, and a
template saved by PowerPoint carries its author, a thumbnail and editing history we do not want.

- `default.pptx`: deckgen's own clean 16:9 template. Standard layout names ("Title Slide",
  "Title and Content", "Two Content", "Title Only", "Section Header"), theme colours from the
  style palette, Arial/Liberation-metric fonts, a thin accent bar, a footer rule and slide numbers.
- `alt-template.pptx`: a stand-in for a customer's corporate template, built to exercise
  everything a real one throws at the renderer: different layout names ("Cover", "Body",
  "Split", "Heading Only", "Divider"), a teal brand, fonts that are not installed on the render
  machine (Georgia/Verdana), a title band with a logo on the master, and two sample slides (one
  with notes and a picture, both listed in a PowerPoint section) that the renderer must remove.

Both are built from python-pptx's bundled default by editing the master, layout and theme XML,
so every part, relationship and content type stays the one python-pptx and PowerPoint expect.
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu, Inches

REPO = Path(__file__).resolve().parent.parent
NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p14": "http://schemas.microsoft.com/office/powerpoint/2010/main",
}
NSDECL = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items() if k != "p14")
SLIDE_W, SLIDE_H = 12192000, 6858000  # 13.333 x 7.5 in, PowerPoint's "Widescreen"
# Layouts of python-pptx's default template that deckgen never uses; fewer layouts make a
# template easier for CS Ops to review and for the renderer's error messages to list.
DROP_LAYOUTS = {
    "Comparison",
    "Content with Caption",
    "Picture with Caption",
    "Title and Vertical Text",
    "Vertical Title and Text",
}


def emu(inches: float) -> int:
    return round(inches * 914400)


def hexc(colour: str) -> str:
    return colour.lstrip("#").upper()


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    def xfrm(self) -> str:
        return (
            f'<a:xfrm><a:off x="{emu(self.x)}" y="{emu(self.y)}"/>'
            f'<a:ext cx="{emu(self.w)}" cy="{emu(self.h)}"/></a:xfrm>'
        )


@dataclass
class TemplateSpec:
    """Everything that differs between the two templates, so one builder makes both."""

    out: str
    theme_name: str
    colours: dict[str, str]  # theme slots dk1, lt1, dk2, lt2, accent1..6, hlink, folHlink
    major_font: str
    minor_font: str
    names: dict[str, str]  # layout key (title, content, ...) -> layout name
    margin: float
    title_box: Box
    body_box: Box
    gap: float
    title_size: int
    title_colour: str  # scheme colour name for content-slide titles
    title_anchor: str
    footer_y: float
    master_extras: list[str] = field(default_factory=list)
    logo: bytes | None = None
    core_title: str = ""


# --------------------------------------------------------------------------- XML snippets


def _ph(
    sid: int,
    name: str,
    ph: str,
    box: Box,
    *,
    anchor: str | None = None,
    lst: str = "",
    text: str = "",
    body_extra: str = "",
) -> str:
    """A placeholder `p:sp`; `ph` is the inner `<p:ph .../>` attributes."""
    anchor_attr = f' anchor="{anchor}"' if anchor else ""
    para = text or '<a:p><a:endParaRPr lang="en-US"/></a:p>'
    return (
        f'<p:sp {NSDECL}><p:nvSpPr><p:cNvPr id="{sid}" name="{name}"/>'
        f'<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr><p:ph {ph}/></p:nvPr></p:nvSpPr>'
        f'<p:spPr>{box.xfrm()}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        # No left/right inset: text lines up with the accent bar, the footer rule and the
        # blocks deckgen draws in the body region.
        f'<p:txBody><a:bodyPr vert="horz" lIns="0" tIns="45720" rIns="0" bIns="45720" '
        f'rtlCol="0"{anchor_attr}{body_extra}><a:noAutofit/></a:bodyPr>'
        f"<a:lstStyle>{lst}</a:lstStyle>{para}</p:txBody></p:sp>"
    )


def _rect(sid: int, name: str, box: Box, fill: str, *, prst: str = "rect") -> str:
    """A decorative filled shape (accent bar, band, rule); `fill` is a scheme colour name."""
    return (
        f'<p:sp {NSDECL}><p:nvSpPr><p:cNvPr id="{sid}" name="{name}"/><p:cNvSpPr/>'
        f'<p:nvPr userDrawn="1"/>'
        f'</p:nvSpPr><p:spPr>{box.xfrm()}<a:prstGeom prst="{prst}"><a:avLst/></a:prstGeom>'
        f'<a:solidFill><a:schemeClr val="{fill}"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr>'
        f'<p:txBody><a:bodyPr rtlCol="0" anchor="ctr"/><a:lstStyle/><a:p>'
        f'<a:endParaRPr lang="en-US"/>'
        f"</a:p></p:txBody></p:sp>"
    )


def _text(
    sid: int, name: str, box: Box, text: str, size: int, colour: str, *, algn: str = "l"
) -> str:
    """A static text box on a master (e.g. a confidentiality line), not a placeholder."""
    return (
        f'<p:sp {NSDECL}><p:nvSpPr><p:cNvPr id="{sid}" name="{name}"/><p:cNvSpPr txBox="1"/>'
        f'<p:nvPr userDrawn="1"/></p:nvSpPr><p:spPr>{box.xfrm()}<a:prstGeom prst="rect"><a:avLst/>'
        f"</a:prstGeom><a:noFill/></p:spPr><p:txBody>"
        f'<a:bodyPr wrap="none" lIns="0" tIns="0" rIns="0" '
        f'bIns="0" rtlCol="0" anchor="ctr"><a:noAutofit/></a:bodyPr><a:lstStyle/><a:p>'
        f'<a:pPr algn="{algn}"/>'
        f'<a:r><a:rPr lang="en-US" sz="{size * 100}" dirty="0"><a:solidFill>'
        f'<a:schemeClr val="{colour}"/>'
        f"</a:solidFill></a:rPr><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp>"
    )


def _pic(sid: int, name: str, rid: str, box: Box, descr: str) -> str:
    return (
        f'<p:pic {NSDECL}><p:nvPicPr><p:cNvPr id="{sid}" name="{name}" descr="{descr}"/>'
        f'<p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr userDrawn="1"/>'
        f"</p:nvPicPr>"
        f'<p:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
        f'<p:spPr>{box.xfrm()}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>'
    )


def _lvl(
    n: int,
    size: int,
    colour: str,
    *,
    bold: bool = False,
    algn: str = "l",
    extra: str = "",
    font: str = "",
) -> str:
    b = ' b="1"' if bold else ""
    latin = f'<a:latin typeface="{font}"/>' if font else ""
    return (
        f'<a:lvl{n}pPr marL="0" indent="0" algn="{algn}">{extra}<a:buNone/>'
        f'<a:defRPr sz="{size * 100}"{b}><a:solidFill><a:schemeClr val="{colour}"/></a:solidFill>'
        f"{latin}</a:defRPr></a:lvl{n}pPr>"
    )


def _field_slidenum() -> str:
    return (
        '<a:p><a:fld id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}" type="slidenum">'
        '<a:rPr lang="en-US"/><a:t>‹#›</a:t></a:fld><a:endParaRPr lang="en-US"/></a:p>'
    )


def _el(xml: str) -> Any:
    return etree.fromstring(xml)


# --------------------------------------------------------------------------- builders


def _set_theme(prs: Any, spec: TemplateSpec) -> None:
    """Colours and fonts live in the theme so PowerPoint's pickers and charts use the brand."""
    theme_part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme_part.blob)
    root.set("name", spec.theme_name)
    scheme = root.find(".//a:clrScheme", NS)
    scheme.set("name", spec.theme_name)
    for slot in scheme:
        slot_name = etree.QName(slot).localname
        for child in list(slot):
            slot.remove(child)
        etree.SubElement(slot, f"{{{NS['a']}}}srgbClr", val=hexc(spec.colours[slot_name]))
    fonts = root.find(".//a:fontScheme", NS)
    fonts.set("name", spec.theme_name)
    fonts.find("a:majorFont/a:latin", NS).set("typeface", spec.major_font)
    fonts.find("a:minorFont/a:latin", NS).set("typeface", spec.minor_font)
    # Flat design: no shadows or 3-D bevels in the theme's effect styles (shapes that use the
    # theme's "moderate"/"intense" effects would otherwise get a drop shadow).
    for effect_style in root.iterfind(".//a:effectStyleLst/a:effectStyle", NS):
        for child in list(effect_style):
            effect_style.remove(child)
        etree.SubElement(effect_style, f"{{{NS['a']}}}effectLst")
    theme_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _replace_shapes(sp_tree: Any, shapes: list[str]) -> None:
    for child in list(sp_tree)[2:]:  # keep nvGrpSpPr and grpSpPr
        sp_tree.remove(child)
    for xml in shapes:
        sp_tree.append(_el(xml))


def _set_bg(csld: Any, scheme_colour: str | None) -> None:
    bg = csld.find("p:bg", NS)
    if bg is not None:
        csld.remove(bg)
    if scheme_colour:
        csld.insert(
            0,
            _el(
                f'<p:bg {NSDECL}><p:bgPr><a:solidFill><a:schemeClr val="{scheme_colour}"/>'
                f"</a:solidFill>"
                f"<a:effectLst/></p:bgPr></p:bg>"
            ),
        )


def _footer_boxes(spec: TemplateSpec) -> tuple[Box, Box, Box]:
    w = 13.333 - 2 * spec.margin
    h = 0.32
    y = spec.footer_y
    return (
        Box(spec.margin + w * 0.62, y, 2.2, h),  # date (unused by deckgen, kept for PowerPoint)
        Box(spec.margin, y, w * 0.42, h),  # footer text
        Box(13.333 - spec.margin - 1.2, y, 1.2, h),  # slide number
    )


def _master_xml(prs: Any, spec: TemplateSpec, logo_rid: str | None) -> None:
    master = prs.slide_master
    root = master._element
    csld = root.find("p:cSld", NS)
    _set_bg(csld, "bg1")
    dt, ftr, num = _footer_boxes(spec)
    small = (
        '<a:lvl1pPr algn="{algn}"><a:defRPr sz="1000"><a:solidFill><a:schemeClr val="tx1">'
        '<a:lumMod val="65000"/><a:lumOff val="35000"/></a:schemeClr></a:solidFill></a:defRPr>'
        "</a:lvl1pPr>"
    )
    shapes = list(spec.master_extras)
    sid = 2 + len(shapes)
    shapes += [
        _ph(
            sid,
            "Title Placeholder 1",
            'type="title"',
            spec.title_box,
            anchor=spec.title_anchor,
            text='<a:p><a:r><a:rPr lang="en-US"/><a:t>Click to edit Master title style</a:t>'
            "</a:r></a:p>",
        ),
        _ph(
            sid + 1,
            "Text Placeholder 2",
            'type="body" idx="1"',
            spec.body_box,
            text='<a:p><a:pPr lvl="0"/><a:r><a:rPr lang="en-US"/>'
            "<a:t>Click to edit Master text styles"
            '</a:t></a:r></a:p><a:p><a:pPr lvl="1"/><a:r><a:rPr lang="en-US"/><a:t>Second level'
            "</a:t></a:r></a:p>",
        ),
        _ph(
            sid + 2,
            "Date Placeholder 3",
            'type="dt" sz="half" idx="2"',
            dt,
            anchor="ctr",
            lst=small.format(algn="l"),
        ),
        _ph(
            sid + 3,
            "Footer Placeholder 4",
            'type="ftr" sz="quarter" idx="3"',
            ftr,
            anchor="ctr",
            lst=small.format(algn="l"),
        ),
        _ph(
            sid + 4,
            "Slide Number Placeholder 5",
            'type="sldNum" sz="quarter" idx="4"',
            num,
            anchor="ctr",
            lst=small.format(algn="r"),
            text=_field_slidenum(),
        ),
    ]
    if logo_rid:
        lw = 0.42 * _aspect(spec.logo)
        shapes.append(
            _pic(
                sid + 5,
                "Logo",
                logo_rid,
                Box(13.333 - spec.margin - lw, 0.29, lw, 0.42),
                "Northwind logo",
            )
        )
    _replace_shapes(csld.find("p:spTree", NS), shapes)
    # Text styles: titles left-aligned in the brand colour, body with round bullets and
    # modest sizes (a QBR slide holds tables and charts, not 32-point prose).
    tx = root.find("p:txStyles", NS)
    for child in list(tx):
        tx.remove(child)
    bullet = '<a:buFont typeface="Arial"/><a:buChar char="•"/>'
    body_lvls = "".join(
        f'<a:lvl{i}pPr marL="{228600 * i}" indent="-228600" algn="l" rtl="0" eaLnBrk="1" '
        f'latinLnBrk="0" hangingPunct="1"><a:lnSpc><a:spcPct val="100000"/></a:lnSpc>'
        f'<a:spcBef><a:spcPts val="{600 if i == 1 else 300}"/></a:spcBef>{bullet}'
        f'<a:defRPr sz="{max(12, 20 - 2 * (i - 1)) * 100}" kern="1200"><a:solidFill>'
        f'<a:schemeClr val="tx1"/></a:solidFill><a:latin typeface="+mn-lt"/>'
        f'<a:ea typeface="+mn-ea"/>'
        f'<a:cs typeface="+mn-cs"/></a:defRPr></a:lvl{i}pPr>'
        for i in range(1, 10)
    )
    other_lvls = "".join(
        f'<a:lvl{i}pPr marL="{457200 * (i - 1)}" algn="l" rtl="0"><a:defRPr sz="1800" kern="1200">'
        f'<a:solidFill><a:schemeClr val="tx1"/></a:solidFill><a:latin typeface="+mn-lt"/>'
        f'<a:ea typeface="+mn-ea"/><a:cs typeface="+mn-cs"/></a:defRPr></a:lvl{i}pPr>'
        for i in range(1, 10)
    )
    tx.append(
        _el(
            f"<p:titleStyle {NSDECL}>"
            f'<a:lvl1pPr algn="l" rtl="0" eaLnBrk="1" latinLnBrk="0" hangingPunct="1">'
            f'<a:lnSpc><a:spcPct val="95000"/></a:lnSpc><a:spcBef><a:spcPct val="0"/></a:spcBef>'
            f"<a:buNone/>"
            f'<a:defRPr sz="{spec.title_size * 100}" b="1" kern="1200"><a:solidFill>'
            f'<a:schemeClr val="{spec.title_colour}"/></a:solidFill><a:latin typeface="+mj-lt"/>'
            f'<a:ea typeface="+mj-ea"/><a:cs typeface="+mj-cs"/></a:defRPr></a:lvl1pPr>'
            f"</p:titleStyle>"
        )
    )
    tx.append(_el(f"<p:bodyStyle {NSDECL}>{body_lvls}</p:bodyStyle>"))
    tx.append(_el(f"<p:otherStyle {NSDECL}>{other_lvls}</p:otherStyle>"))


def _layout(prs: Any, name: str) -> Any:
    return next(lay for lay in prs.slide_layouts if lay.name == name)


def _footer_phs(spec: TemplateSpec, first_id: int) -> list[str]:
    dt, ftr, num = _footer_boxes(spec)
    return [
        _ph(first_id, "Date Placeholder", 'type="dt" sz="half" idx="10"', dt),
        _ph(first_id + 1, "Footer Placeholder", 'type="ftr" sz="quarter" idx="11"', ftr),
        _ph(
            first_id + 2,
            "Slide Number Placeholder",
            'type="sldNum" sz="quarter" idx="12"',
            num,
            text=_field_slidenum(),
        ),
    ]


def _rewrite_layout(
    prs: Any,
    old_name: str,
    new_name: str,
    shapes: list[str],
    *,
    bg: str | None = None,
    show_master: bool = True,
) -> Any:
    layout = _layout(prs, old_name)
    root = layout._element
    csld = root.find("p:cSld", NS)
    csld.set("name", new_name)
    _set_bg(csld, bg)
    if show_master:
        root.attrib.pop("showMasterSp", None)
    else:
        root.set("showMasterSp", "0")
    _replace_shapes(csld.find("p:spTree", NS), shapes)
    return layout


def _build_layouts(prs: Any, spec: TemplateSpec, cover: dict[str, Any]) -> None:
    n = spec.names
    body = spec.body_box
    col_w = (body.w - spec.gap) / 2
    left = Box(body.x, body.y, col_w, body.h)
    right = Box(body.x + col_w + spec.gap, body.y, col_w, body.h)
    title = spec.title_box
    sub_colour = cover["sub_colour"]

    # Cover / title slide: a full-colour slide without the master's bars.
    cover_shapes = list(cover["shapes"])
    sid = 2 + len(cover_shapes)
    cover_shapes += [
        _ph(
            sid,
            "Title 1",
            'type="ctrTitle"',
            cover["title"],
            anchor="b",
            lst=_lvl(
                1,
                cover["title_size"],
                cover["title_colour"],
                bold=True,
                extra='<a:lnSpc><a:spcPct val="95000"/></a:lnSpc>',
            ),
        ),
        _ph(
            sid + 1,
            "Subtitle 2",
            'type="subTitle" idx="1"',
            cover["subtitle"],
            anchor="t",
            lst=_lvl(1, 20, sub_colour, extra='<a:spcBef><a:spcPts val="600"/></a:spcBef>')
            + _lvl(2, 16, sub_colour),
        ),
    ]
    _rewrite_layout(prs, "Title Slide", n["title"], cover_shapes, bg=cover["bg"], show_master=False)

    _rewrite_layout(
        prs,
        "Title and Content",
        n["content"],
        [
            _ph(2, "Title 1", 'type="title"', title, anchor=spec.title_anchor),
            _ph(3, "Content Placeholder 2", 'idx="1"', body),
            *_footer_phs(spec, 4),
        ],
    )
    _rewrite_layout(
        prs,
        "Two Content",
        n["two_content"],
        [
            _ph(2, "Title 1", 'type="title"', title, anchor=spec.title_anchor),
            _ph(3, "Content Placeholder 2", 'sz="half" idx="1"', left),
            _ph(4, "Content Placeholder 3", 'sz="half" idx="2"', right),
            *_footer_phs(spec, 5),
        ],
    )
    _rewrite_layout(
        prs,
        "Title Only",
        n["title_only"],
        [
            _ph(2, "Title 1", 'type="title"', title, anchor=spec.title_anchor),
            *_footer_phs(spec, 3),
        ],
    )
    sec = cover["section"]
    _rewrite_layout(
        prs,
        "Section Header",
        n["section"],
        [
            *sec["shapes"],
            _ph(
                10,
                "Title 1",
                'type="title"',
                sec["title"],
                anchor="b",
                lst=_lvl(1, sec["title_size"], sec["title_colour"], bold=True),
            ),
            _ph(
                11,
                "Text Placeholder 2",
                'type="body" idx="1"',
                sec["body"],
                anchor="t",
                lst=_lvl(1, 18, sec["body_colour"]),
            ),
            _footer_phs(spec, 12)[2],  # slide number only: a divider carries no footer text
        ],
        bg=sec["bg"],
        show_master=False,
    )
    _rewrite_layout(prs, "Blank", n.get("blank", "Blank"), _footer_phs(spec, 2))

    # Order layouts the way a person picks them in PowerPoint's "New Slide" menu.
    master = prs.slide_master._element
    lst = master.find("p:sldLayoutIdLst", NS)
    by_name = {
        prs.slide_master.part.related_part(e.get(f"{{{NS['r']}}}id")).slide_layout.name: e
        for e in lst
    }
    order = [
        n["title"],
        n["content"],
        n["two_content"],
        n["section"],
        n["title_only"],
        n.get("blank", "Blank"),
    ]
    for e in list(lst):
        lst.remove(e)
    for name in order:
        lst.append(by_name[name])


def _drop_unused_layouts(prs: Any) -> None:
    for layout in list(prs.slide_layouts):
        if layout.name in DROP_LAYOUTS:
            prs.slide_layouts.remove(layout)


def _drop_thumbnail(prs: Any) -> None:
    """python-pptx's default carries a 2013 thumbnail that would show in file browsers."""
    pkg = prs.part.package
    for rid, rel in list(pkg._rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            pkg._rels.pop(rid)


def _app_props(prs: Any) -> None:
    """Replace "Microsoft Macintosh PowerPoint" / "On-screen Show (4:3)" from the default."""
    pkg = prs.part.package
    for rel in pkg._rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            part = rel.target_part
            root = etree.fromstring(part.blob)
            ns = {"ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"}
            root.find("ep:Application", ns).text = "deckgen"
            root.find("ep:PresentationFormat", ns).text = "Widescreen"
            part._blob = etree.tostring(
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )


def _core(prs: Any, title: str) -> None:
    cp = prs.core_properties
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).replace(tzinfo=None)
    cp.title = title
    cp.author = "deckgen"
    cp.last_modified_by = "deckgen"
    cp.comments = ""
    cp.subject = "QBR deck template"
    cp.keywords = "deckgen template"
    cp.revision = 1
    cp.created = now
    cp.modified = now


def _slide_size(prs: Any) -> None:
    prs.slide_width = Emu(SLIDE_W)
    prs.slide_height = Emu(SLIDE_H)
    prs.part._element.find("p:sldSz", NS).attrib.pop("type", None)


def _logo_font(size: int) -> Any:
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"
        return ImageFont.truetype(str(path), size)


def make_logo() -> bytes:
    """A small white mark + word logo on transparent ground (it sits on the teal band)."""
    scale = 4
    font = _logo_font(44 * scale)
    h = 92 * scale
    w = h + 8 * scale + int(font.getlength("Northwind")) + 6 * scale
    w -= w % scale
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = h // 2 - 6 * scale
    cx, cy = h // 2, h // 2
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 255))
    # A compass-like "N" notch in the mark, in brand teal.
    teal = (0, 121, 107, 255)
    d.polygon(
        [
            (cx, cy - r + 8 * scale),
            (cx + 13 * scale, cy + 14 * scale),
            (cx, cy + 6 * scale),
            (cx - 13 * scale, cy + 14 * scale),
        ],
        fill=teal,
    )
    d.text((h + 8 * scale, h // 2), "Northwind", font=font, fill=(255, 255, 255, 255), anchor="lm")
    img = img.resize((w // scale, h // scale), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _default_spec(style: dict[str, Any]) -> tuple[TemplateSpec, dict[str, Any]]:
    pal = style["palette"]
    colours = {
        "dk1": pal["text"],
        "lt1": pal["background"],
        "dk2": pal["primary"],
        "lt2": "#EEF2F7",
        "accent1": pal["primary"],
        "accent2": pal["secondary"],
        "accent3": pal["accent"],
        "accent4": pal["reference"],
        "accent5": pal["muted"],
        "accent6": style["status"]["green"],
        "hlink": pal["secondary"],
        "folHlink": pal["reference"],
    }
    m = 0.6
    spec = TemplateSpec(
        out="default.pptx",
        theme_name="deckgen",
        colours=colours,
        # Arial everywhere PowerPoint runs; LibreOffice substitutes the metric-compatible
        # Liberation Sans, so text measured with Liberation metrics fits in both.
        major_font="Arial",
        minor_font="Arial",
        names={
            "title": "Title Slide",
            "content": "Title and Content",
            "two_content": "Two Content",
            "title_only": "Title Only",
            "section": "Section Header",
        },
        margin=m,
        title_box=Box(m, 0.42, 13.333 - 2 * m, 0.86),
        body_box=Box(m, 1.5, 13.333 - 2 * m, 5.2),
        gap=0.45,
        title_size=28,
        title_colour="tx2",
        title_anchor="b",
        footer_y=6.98,
        master_extras=[
            _rect(2, "Accent Bar", Box(m, 0.3, 0.7, 0.06), "accent3"),
            _rect(3, "Footer Rule", Box(m, 6.9, 13.333 - 2 * m, 0.012), "accent5"),
        ],
        core_title="deckgen default template",
    )
    cover = {
        "bg": "tx2",
        "shapes": [
            _rect(2, "Cover Band", Box(0, 7.3, 13.333, 0.2), "accent2"),
            _rect(3, "Cover Accent", Box(0.8, 4.32, 1.1, 0.07), "accent3"),
        ],
        "title": Box(0.8, 1.6, 11.7, 2.55),
        "title_size": 40,
        "title_colour": "bg1",
        "subtitle": Box(0.8, 4.55, 11.7, 2.2),
        "sub_colour": "accent5",
        "section": {
            "bg": "bg2",
            "shapes": [_rect(2, "Section Accent", Box(0.8, 4.02, 1.1, 0.07), "accent3")],
            "title": Box(0.8, 1.9, 11.7, 2.0),
            "title_size": 36,
            "title_colour": "tx2",
            "body": Box(0.8, 4.25, 11.7, 1.6),
            "body_colour": "tx1",
        },
    }
    return spec, cover


def _alt_spec() -> tuple[TemplateSpec, dict[str, Any]]:
    colours = {
        "dk1": "#263238",
        "lt1": "#FFFFFF",
        "dk2": "#004D40",
        "lt2": "#E0F2F1",
        "accent1": "#00796B",
        "accent2": "#4DB6AC",
        "accent3": "#FF7043",
        "accent4": "#90A4AE",
        "accent5": "#CFD8DC",
        "accent6": "#43A047",
        "hlink": "#00796B",
        "folHlink": "#90A4AE",
    }
    m = 0.5
    band_h = 1.0
    spec = TemplateSpec(
        out="alt-template.pptx",
        theme_name="Northwind Corporate",
        colours=colours,
        major_font="Georgia",
        minor_font="Verdana",
        names={
            "title": "Cover",
            "content": "Body",
            "two_content": "Split",
            "title_only": "Heading Only",
            "section": "Divider",
            "blank": "Empty",
        },
        margin=m,
        title_box=Box(m, 0.1, 13.333 - 2 * m - 1.9, band_h - 0.2),
        body_box=Box(m, 1.35, 13.333 - 2 * m, 5.35),
        gap=0.5,
        title_size=26,
        title_colour="bg1",
        title_anchor="ctr",
        footer_y=7.02,
        master_extras=[
            _rect(2, "Title Band", Box(0, 0, 13.333, band_h), "accent1"),
            _rect(3, "Band Edge", Box(0, band_h, 13.333, 0.05), "accent3"),
            _rect(4, "Footer Rule", Box(m, 6.95, 13.333 - 2 * m, 0.02), "accent1"),
            _text(
                5,
                "Confidential",
                Box(6.0, 7.06, 3.5, 0.25),
                "Northwind · Confidential",
                9,
                "accent4",
            ),
        ],
        core_title="Northwind Corporate Template",
    )
    cover = {
        "bg": "tx2",
        "shapes": [
            _rect(2, "Cover Panel", Box(0, 0, 0.35, 7.5), "accent3"),
            _rect(3, "Cover Rule", Box(1.0, 4.5, 11.3, 0.03), "accent2"),
        ],
        "title": Box(1.0, 1.8, 11.3, 2.55),
        "title_size": 38,
        "title_colour": "bg1",
        "subtitle": Box(1.0, 4.7, 11.3, 2.0),
        "sub_colour": "accent2",
        "section": {
            "bg": "bg2",
            "shapes": [
                _rect(2, "Divider Panel", Box(0, 0, 4.2, 7.5), "accent1"),
                _rect(3, "Divider Edge", Box(4.2, 0, 0.08, 7.5), "accent3"),
            ],
            "title": Box(4.8, 2.2, 7.9, 1.9),
            "title_size": 34,
            "title_colour": "tx2",
            "body": Box(4.8, 4.3, 7.9, 1.6),
            "body_colour": "tx1",
        },
    }
    return spec, cover


def _add_image(part: Any, data: bytes) -> str:
    _image_part, rid = part.get_or_add_image_part(io.BytesIO(data))
    return str(rid)


def _add_cover_logo(prs: Any, name: str, logo: bytes) -> None:
    layout = _layout(prs, name)
    rid = _add_image(layout.part, logo)
    tree = layout._element.find("p:cSld/p:spTree", NS)
    tree.insert(
        2 + 2, _el(_pic(40, "Logo", rid, Box(1.0, 0.7, 0.6 * _aspect(logo), 0.6), "Northwind logo"))
    )


def _aspect(png: bytes | None) -> float:
    if not png:
        return 1.0
    with Image.open(io.BytesIO(png)) as img:
        return img.width / img.height


def _add_sample_slides(prs: Any, spec: TemplateSpec, logo: bytes) -> None:
    """Corporate templates ship sample slides; the renderer must remove them cleanly."""
    cover = prs.slides.add_slide(_layout(prs, spec.names["title"]))
    cover.shapes.title.text = "Presentation title goes here"
    cover.placeholders[1].text = "Subtitle · Presenter · Date"
    cover.notes_slide.notes_text_frame.text = "Sample: replace with your own cover."
    body = prs.slides.add_slide(_layout(prs, spec.names["content"]))
    body.shapes.title.text = "How to use this template"
    body.placeholders[
        1
    ].text = "Use the Body layout for text and charts.\nKeep to the brand colours."
    body.shapes.add_picture(io.BytesIO(logo), Inches(9), Inches(5), height=Inches(0.6))
    # A PowerPoint 2010 section list naming both slides (PowerPoint repairs a deck whose
    # sections reference a slide that is gone, so removal must handle this too).
    ids = [s.slide_id for s in prs.slides]
    entries = "".join(f'<p14:sldId id="{i}"/>' for i in ids)
    ext = _el(
        f'<p:extLst {NSDECL}><p:ext uri="{{521415D9-36F7-43E2-AB2F-B90AF26B5E84}}">'
        f'<p14:sectionLst xmlns:p14="{NS["p14"]}"><p14:section name="Samples" '
        f'id="{{6C2F7D1E-5C0B-4A57-9C43-0C4F3C0E9A11}}"><p14:sldIdLst>{entries}</p14:sldIdLst>'
        f"</p14:section></p14:sectionLst></p:ext></p:extLst>"
    )
    pres = prs.part._element
    old = pres.find("p:extLst", NS)
    if old is not None:
        pres.remove(old)
    pres.append(ext)


def build(spec: TemplateSpec, cover: dict[str, Any], out_dir: Path) -> Path:
    prs = Presentation()
    _slide_size(prs)
    _drop_unused_layouts(prs)
    _set_theme(prs, spec)
    logo_rid = _add_image(prs.slide_master.part, spec.logo) if spec.logo else None
    _master_xml(prs, spec, logo_rid)
    _build_layouts(prs, spec, cover)
    if spec.logo:
        _add_cover_logo(prs, spec.names["title"], spec.logo)
        _add_sample_slides(prs, spec, spec.logo)
    _drop_thumbnail(prs)
    _app_props(prs)
    _core(prs, spec.core_title)
    out = out_dir / spec.out
    buf = io.BytesIO()
    prs.save(buf)
    out.write_bytes(_reproducible_zip(buf.getvalue()))
    return out


def _reproducible_zip(data: bytes) -> bytes:
    """Same parts, fixed timestamps and order: rebuilding an unchanged template gives the same
    bytes, so git only shows a template as changed when it really is."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name))
    return out.getvalue()


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else REPO / "layouts"
    out_dir.mkdir(parents=True, exist_ok=True)
    style = yaml.safe_load((REPO / "charts" / "style.yaml").read_text(encoding="utf-8"))
    spec, cover = _default_spec(style)
    print(build(spec, cover, out_dir))
    alt, alt_cover = _alt_spec()
    alt.logo = make_logo()
    print(build(alt, alt_cover, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
