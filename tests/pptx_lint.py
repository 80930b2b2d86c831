"""Structural lint for .pptx files: the problems that make PowerPoint offer to "repair" a deck.

LibreOffice and python-pptx open decks PowerPoint rejects, so tests that only reopen a deck miss
these. Importable by any test:

    from tests.pptx_lint import lint_pptx, assert_clean_pptx
    assert_clean_pptx(path)          # raises AssertionError listing every problem

Checks: every part is well-formed XML (XML parts) and has a content type; every internal
relationship target exists; every `r:id`/`r:embed`/`r:link` used in a part is declared in that
part's relationships; no part is unreachable from the package root; every slide id in
presentation.xml has a slide relationship; shape ids are unique within each slide, layout and
master; slide ids are unique and in range.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from lxml import etree

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
SLIDE_REL = R_NS + "/slide"
_R_ATTRS = tuple(
    f"{{{R_NS}}}{name}" for name in ("id", "embed", "link", "pict", "dm", "lo", "qs", "cs")
)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _source_of(rels_path: str) -> str:
    folder, name = posixpath.split(rels_path)
    return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")])


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def lint_pptx(path_or_stream: str | Path | IO[bytes]) -> list[str]:
    """Every structural problem found, as readable sentences; [] for a clean package."""
    problems: list[str] = []
    with zipfile.ZipFile(path_or_stream) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        present = set(names)
        if len(names) != len(present):
            problems.append("duplicate zip entries")
        if "[Content_Types].xml" not in present:
            return ["[Content_Types].xml is missing"]
        ct = etree.fromstring(zf.read("[Content_Types].xml"))
        defaults = {
            d.get("Extension", "").lower(): d.get("ContentType")
            for d in ct.iter(f"{{{CT_NS}}}Default")
        }
        overrides = {
            o.get("PartName", "").lstrip("/"): o.get("ContentType")
            for o in ct.iter(f"{{{CT_NS}}}Override")
        }
        for name in sorted(overrides):
            if name not in present:
                problems.append(f"content type override for missing part /{name}")
        xml_cache: dict[str, etree._Element] = {}
        for name in names:
            if name == "[Content_Types].xml":
                continue
            base = posixpath.basename(name)
            ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""  # ".rels" -> "rels"
            ctype = overrides.get(name) or defaults.get(ext)
            if not ctype:
                problems.append(f"/{name} has no content type")
            if name.endswith((".xml", ".rels")) or (ctype or "").endswith("+xml"):
                try:
                    xml_cache[name] = etree.fromstring(zf.read(name))
                except etree.XMLSyntaxError as exc:
                    problems.append(f"/{name} is not well-formed XML: {exc}")

        rels: dict[str, dict[str, tuple[str, str, bool]]] = {}
        for name in names:
            if not name.endswith(".rels") or name not in xml_cache:
                continue
            source = "" if name == "_rels/.rels" else _source_of(name)
            if source and source not in present:
                problems.append(f"/{name} belongs to a part that does not exist (/{source})")
            table: dict[str, tuple[str, str, bool]] = {}
            for rel in xml_cache[name].iter(f"{{{REL_NS}}}Relationship"):
                rid, rtype = rel.get("Id", ""), rel.get("Type", "")
                external = rel.get("TargetMode") == "External"
                target = rel.get("Target", "")
                if rid in table:
                    problems.append(f"/{name}: duplicate relationship id {rid}")
                resolved = target if external else _resolve(source or "/", target)
                if not external and not source:
                    resolved = target.lstrip("/")
                table[rid] = (rtype, resolved, external)
                if not external and resolved not in present:
                    problems.append(f"/{name}: {rid} points to missing part /{resolved}")
            rels[source] = table

        # Reachability from the package root.
        seen: set[str] = set()
        stack = [t for _, t, ext in rels.get("", {}).values() if not ext]
        while stack:
            part = stack.pop()
            if part in seen:
                continue
            seen.add(part)
            stack.extend(t for _, t, ext in rels.get(part, {}).values() if not ext)
        for name in names:
            if name == "[Content_Types].xml" or name.endswith(".rels"):
                continue
            if name not in seen:
                problems.append(f"/{name} is not referenced by any relationship (orphan part)")

        # r:id attributes must be declared in the part's own relationships.
        for name, root in xml_cache.items():
            if name.endswith(".rels"):
                continue
            declared = rels.get(name, {})
            for el in root.iter():
                for attr in _R_ATTRS:
                    rid = el.get(attr)
                    if rid and rid not in declared:
                        problems.append(
                            f"/{name}: {etree.QName(attr).localname}={rid} has no relationship"
                        )

        pres = "ppt/presentation.xml"
        if pres in xml_cache:
            root = xml_cache[pres]
            ids: list[int] = []
            for sld in root.iter(f"{{{P_NS}}}sldId"):
                rid = sld.get(f"{{{R_NS}}}id", "")
                ids.append(int(sld.get("id", "0")))
                rel = rels.get(pres, {}).get(rid)
                if rel is None:
                    problems.append(f"sldId {sld.get('id')} ({rid}) has no relationship")
                elif rel[0] != SLIDE_REL:
                    problems.append(f"sldId {sld.get('id')} ({rid}) is not a slide relationship")
            if len(ids) != len(set(ids)):
                problems.append("duplicate slide ids in presentation.xml")
            if any(not 256 <= i < 2147483648 for i in ids):
                problems.append("slide id out of range 256..2147483647")
            slide_rels = [t for rt, t, _ in rels.get(pres, {}).values() if rt == SLIDE_REL]
            if len(slide_rels) != len(ids):
                problems.append(f"{len(slide_rels)} slide relationships for {len(ids)} slide ids")

        for name, root in xml_cache.items():
            if not name.startswith(
                ("ppt/slides/", "ppt/slideLayouts/", "ppt/slideMasters/", "ppt/notesSlides/")
            ) or name.endswith(".rels"):
                continue
            shape_ids = [el.get("id") for el in root.iter() if etree.QName(el).localname == "cNvPr"]
            dupes = sorted({i for i in shape_ids if shape_ids.count(i) > 1})
            if dupes:
                problems.append(f"/{name}: duplicate shape ids {', '.join(map(str, dupes))}")
    return problems


def assert_clean_pptx(
    path_or_stream: str | Path | IO[bytes], *, ignore: Iterable[str] = ()
) -> None:
    """Fail with every problem listed (substrings in `ignore` are tolerated)."""
    found = [p for p in lint_pptx(path_or_stream) if not any(i in p for i in ignore)]
    assert not found, "pptx lint:\n  " + "\n  ".join(found)
