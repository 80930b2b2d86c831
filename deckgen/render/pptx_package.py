"""The .pptx package layer: decks that share their template's parts, and the zip writer.

Every deck made from one template carries the same slide master, layouts, themes, notes master,
media and settings parts; only the presentation part (its slide list), the core properties and
what the deck adds (slides, notes pages, charts, pictures) differ. Re-reading the template for
each deck (~7 ms) and re-serialising and re-compressing its parts at save time (~3 ms) is work a
batch repeats thousands of times for the same bytes. Here the template package is loaded once
per process (`SharedTemplate`); each deck is a new python-pptx package whose presentation and
core-properties parts are copies and whose other parts are the template's own objects, and
`write_package` writes those shared parts from bytes compressed once.

Shared parts must never be changed by a deck: the renderer only reads layouts and masters, and
relates new parts *to* them (a relationship lives in its source part). A test renders several
decks and checks the shared parts' bytes are unchanged.

This module and `pptx_template` are the only places that reach into python-pptx's package
internals (`_rels`, `_Relationship`); both are pinned by the tests against python-pptx 1.0.
"""

from __future__ import annotations

import copy
import io
import struct
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pptx import Presentation
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.package import _Relationship
from pptx.opc.packuri import PACKAGE_URI
from pptx.opc.spec import default_content_types
from pptx.package import Package

__all__ = [
    "ZIP_LEVEL",
    "ZIP_TIMESTAMP",
    "SharedTemplate",
    "content_types_xml",
    "rels_xml",
    "write_package",
]

ZIP_TIMESTAMP = (2000, 1, 1, 0, 0, 0)
"""Every zip member gets this date: the same deck content always gives the same bytes, which is
how a batch re-run proves an output is unchanged (the sha256 in the manifest)."""

ZIP_LEVEL = 3
"""zlib level for XML parts: as small as level 6 within ~1.5%, about a third faster."""

_COMPRESSED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".xlsx")
"""Members compressed already (pictures, embedded workbooks) are deflated at level 1: the PNGs
still shrink by ~20% (matplotlib's are written at zlib level 3), level 6 only costs more time."""


# --------------------------------------------------------------------------- shared template


class SharedTemplate:
    """A template package loaded once; `new_presentation` makes decks that share its parts.

    Built from the emptied template's bytes (see `pptx_template.prepared_template`), so the
    shared parts are exactly what a fresh `Presentation(blob)` would hold.
    """

    def __init__(self, blob: bytes) -> None:
        prs = Presentation(io.BytesIO(blob))
        prs.core_properties  # noqa: B018 - created now if the template has none (per deck copy)
        self._package: Any = prs.part.package
        self._presentation_part: Any = prs.part
        self._core_part: Any = self._package.core_properties
        self.shared: frozenset[int] = frozenset(
            id(p)
            for p in self._package.iter_parts()
            if p is not self._presentation_part and p is not self._core_part
        )
        self.members: dict[str, _Member] = {}  # shared parts, compressed once (see write_package)
        self.lock = threading.Lock()

    def new_presentation(self) -> Any:
        """A python-pptx `Presentation` of the template with no slides, ready to be filled."""
        source_pkg = self._package
        package = Package(io.BytesIO())  # never loaded from: its parts are assembled below
        pres = _copy_part(self._presentation_part, package)
        core = _copy_part(self._core_part, package)
        _copy_rels(self._presentation_part.rels, pres.rels, {})
        _copy_rels(
            source_pkg._rels,
            package._rels,
            {id(self._presentation_part): pres, id(self._core_part): core},
        )
        return pres.presentation

    def shared_parts(self) -> list[Any]:
        """The parts every deck shares (for the tests' check that decks leave them unchanged)."""
        return [p for p in self._package.iter_parts() if id(p) in self.shared]


def _copy_part(part: Any, package: Any) -> Any:
    """A new part of the same class over a deep copy of `part`'s XML, belonging to `package`."""
    return type(part)(part.partname, part.content_type, package, copy.deepcopy(part._element))


def _copy_rels(source: Any, target: Any, replace: dict[int, Any]) -> None:
    """Copy relationships with their rIds; targets in `replace` (by id) are swapped."""
    for rid, rel in source.items():
        if rel.is_external:
            new_target: Any = rel.target_ref
        else:
            new_target = replace.get(id(rel.target_part), rel.target_part)
        target._rels[rid] = _Relationship(
            target._base_uri, rid, rel.reltype, rel._target_mode, new_target
        )


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Member:
    """One zip member, deflated: what the local header and the central directory need."""

    name: bytes
    crc: int
    size: int
    data: bytes


def _deflate(name: str, blob: bytes) -> _Member:
    level = 1 if name.lower().endswith(_COMPRESSED_SUFFIXES) else ZIP_LEVEL
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = packer.compress(blob) + packer.flush()
    return _Member(name.encode("utf-8"), zlib.crc32(blob), len(blob), data)


def write_package(prs: Any, out: Path | str | IO[bytes], shared: SharedTemplate | None) -> None:
    """Write `prs` as a .pptx: the members python-pptx's `save` writes, in the same order.

    Parts of `shared` (the template's) are written from bytes compressed the first time a deck
    from it was saved; everything else is serialised and compressed now.
    """
    package = prs.part.package
    parts = list(package.iter_parts())
    members = [
        _deflate("[Content_Types].xml", content_types_xml(parts)),
        _deflate(PACKAGE_URI.rels_uri.membername, rels_xml(package._rels)),
    ]
    for part in parts:
        name = part.partname.membername
        if shared is not None and id(part) in shared.shared:
            members += _shared_members(shared, part)
            continue
        members.append(_deflate(name, part.blob))
        if part._rels:
            members.append(_deflate(part.partname.rels_uri.membername, rels_xml(part._rels)))
    data = _zip(members)
    if isinstance(out, (str, Path)):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def _shared_members(shared: SharedTemplate, part: Any) -> list[_Member]:
    name = part.partname.membername
    cached = shared.members.get(name)
    rels_name = part.partname.rels_uri.membername
    if cached is None:
        cached = _deflate(name, part.blob)
        with shared.lock:
            shared.members[name] = cached
            if part._rels:
                shared.members[rels_name] = _deflate(rels_name, rels_xml(part._rels))
    rels = shared.members.get(rels_name)
    return [cached] if rels is None else [cached, rels]


# --------------------------------------------------------------------------- package XML
#
# The relationship and content-type items, written as strings: python-pptx builds an element
# per relationship through its descriptors (~40 .rels items a deck, ~3 ms). The bytes are the
# ones python-pptx writes (lxml's serialisation), which the tests check member by member.

_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


def _attr(value: str) -> str:
    """An attribute value escaped as lxml escapes it."""
    return value.translate(_ATTR_ESCAPES)


def rels_xml(rels: Any) -> bytes:
    """A part's (or the package's) .rels item, relationships in numerical rId order."""

    def order(rid: str) -> tuple[int, str]:
        return (int(rid[3:]) if rid.startswith("rId") and rid[3:].isdigit() else 0, rid)

    out = [_XML_DECLARATION, f'<Relationships xmlns="{_RELS_NS}">']
    for rid in sorted(rels.keys(), key=order):
        rel = rels[rid]
        mode = ' TargetMode="External"' if rel.is_external else ""
        out.append(
            f'<Relationship Id="{_attr(rid)}" Type="{_attr(rel.reltype)}" '
            f'Target="{_attr(rel.target_ref)}"{mode}/>'
        )
    out.append("</Relationships>")
    return "".join(out).encode("utf-8")


def content_types_xml(parts: Iterable[Any]) -> bytes:
    """`[Content_Types].xml` for `parts`, by python-pptx's rules (`_ContentTypesItem`)."""
    defaults = {"rels": CT.OPC_RELATIONSHIPS, "xml": CT.XML}  # extension (lower case) -> type
    overrides: dict[str, str] = {}
    for part in parts:
        partname, content_type = part.partname, part.content_type
        ext = partname.ext
        if (ext.lower(), content_type) in default_content_types:
            defaults[ext.lower()] = content_type
        else:
            overrides[partname] = content_type
    out = [_XML_DECLARATION, f'<Types xmlns="{_TYPES_NS}">']
    for ext, content_type in sorted(defaults.items()):
        out.append(f'<Default Extension="{_attr(ext)}" ContentType="{_attr(content_type)}"/>')
    for partname, content_type in sorted(overrides.items()):
        out.append(f'<Override PartName="{_attr(partname)}" ContentType="{_attr(content_type)}"/>')
    out.append("</Types>")
    return "".join(out).encode("utf-8")


# Zip format (PKWARE APPNOTE 4.3): local header + data per member, then the central directory.
_DOS_TIME = 0  # 00:00:00
_DOS_DATE = ((ZIP_TIMESTAMP[0] - 1980) << 9) | (ZIP_TIMESTAMP[1] << 5) | ZIP_TIMESTAMP[2]
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DEFLATED = 8
_VERSION = 20  # 2.0: deflate


def _zip(members: Iterable[_Member]) -> bytes:
    """A zip archive of deflated members, as zipfile would write it with fixed dates."""
    body = bytearray()
    directory = bytearray()
    count = 0
    for m in members:
        flags = 0 if m.name.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = len(body)
        # Fields the local header and the directory entry share: version needed, flags,
        # method, time, date, CRC, compressed and uncompressed sizes.
        shared = (_VERSION, flags, _DEFLATED, _DOS_TIME, _DOS_DATE, m.crc, len(m.data), m.size)
        body += _LOCAL.pack(0x04034B50, *shared, len(m.name), 0)
        body += m.name
        body += m.data
        # ... plus, in the directory: version made by first; extra, comment, disk, attributes.
        directory += _CENTRAL.pack(
            0x02014B50, _VERSION, *shared, len(m.name), 0, 0, 0, 0, 0, offset
        )
        directory += m.name
        count += 1
    if count > 0xFFFF or len(body) + len(directory) > 0xFFFFFFFF:  # pragma: no cover
        raise ValueError("deck too large for a zip without ZIP64")
    end = _END.pack(0x06054B50, 0, 0, count, count, len(directory), len(body), 0)
    return bytes(body + directory + end)
