"""The Excel workbook embedded in a native chart, written without xlsxwriter once warmed up.

Every native chart carries a workbook holding its data, so a CSM can edit the numbers in
PowerPoint. python-pptx writes it with xlsxwriter (`CategoryChartData.xlsx_blob`), which costs
~1 ms a chart: a workbook object, formats, XML writers and a zip file for a sheet of a dozen
cells. `chart_workbook`
returns the same bytes in a fraction of that:

- The first chart of each *shape* (the cell formats used, in the order xlsxwriter numbers them,
  and whether there are any strings) goes through python-pptx's own writer. Its zip is kept as a
  template: the static members (content types, relationships, workbook, styles, theme, document
  properties) as xlsxwriter compressed them, and the zip records around the two members that
  depend on the data.
- Later charts of that shape get `xl/worksheets/sheet1.xml` and `xl/sharedStrings.xml` by string
  building, written as xlsxwriter writes them (same cells, references, style indices, number
  formatting, shared string order and escaping), deflated as `zipfile` deflates them, and
  spliced into the template.

The result is byte-identical to python-pptx's `xlsx_blob`, the zip container included, so decks
are the same bytes as before and stay reproducible (xlsxwriter stamps every member of an
in-memory workbook 1980-01-01, and `native` fixes the creation date in docProps/core.xml). That
is checked, not assumed: a template is kept only after rebuilding the first chart's workbook
from it gave exactly xlsxwriter's bytes; the per-chart cell writing is checked against
xlsxwriter by tests/unit/charting/test_workbook.py.
Anything not covered (multi-level or date categories, values other than finite int/float,
strings xlsxwriter turns into formulas or links or truncates, a shape whose check failed, or a
python-pptx workbook without a fixed creation date) falls back to python-pptx's writer.
"""

from __future__ import annotations

import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pptx.chart.data import CategoryChartData

__all__ = ["chart_workbook"]

SHEET_PART = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"

# Column and row limits of a worksheet, and the string length up to which xlsxwriter never
# truncates (it truncates at 32767 UTF-16 units; half that in characters is always below).
_MAX_COLS = 16384
_MAX_ROWS = 1048576
_MAX_STRING = 32767 // 2

# xlsxwriter's shared string escaping (xmlwriter.py, utility.py): literal _xHHHH_ sequences
# get their underscore escaped, C0 controls other than tab and newline become _xHHHH_, as do
# U+FFFE/U+FFFF; leading or trailing whitespace gets xml:space="preserve"; & < > are escaped.
_ESCAPE_1 = re.compile("(_x[0-9a-fA-F]{4}_)")
_ESCAPE_2 = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")
# Anything any of the above could change: such strings take the slow path.
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
# Strings xlsxwriter's `write()` stores as hyperlinks (worksheet._write_token_as_string).
_URL = re.compile(r"(ftp|http)s?://|mailto:|(in|ex)ternal:|file://")

_LOCAL = struct.Struct("<4s5H3I2H")  # local file header, before the name
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # central directory record, before the name
_END = struct.Struct("<4s4H2IH")  # end of central directory record
_SIZES = struct.Struct("<3I")  # crc-32, compressed size, uncompressed size


class _Unsupported(Exception):
    """Data `chart_workbook` does not write itself: python-pptx's writer does."""


@dataclass(frozen=True)
class _Member:
    """One zip member of a template: its records, and its data when static."""

    name: str
    local_head: bytes  # local header up to the crc (signature, versions, flags, method, time)
    local_tail: bytes  # name and extra field lengths, name, extra field
    central_head: bytes  # central record up to the crc
    central_mid: bytes  # name/extra/comment lengths, disk, attributes (before the offset)
    central_tail: bytes  # name, extra field, comment
    static: tuple[bytes, bytes] | None  # (crc + sizes, compressed data); None for data parts


@dataclass(frozen=True)
class _Template:
    """What a chart workbook of one shape holds besides its data (see the module docstring)."""

    members: tuple[_Member, ...]
    sheet_head: str  # sheet1.xml up to `<dimension ref="`
    sheet_mid: str  # from after the dimension's value to `<sheetData>`, inclusive
    sheet_tail: str  # from `</sheetData>` on
    strings_head: str  # sharedStrings.xml up to ` count="`
    end_head: bytes  # end of central directory record up to the directory's size
    end_tail: bytes  # comment length and comment


# Templates by shape (see `_Cells.key`); None marks a shape whose check failed.
_TEMPLATES: dict[tuple[Any, ...], _Template | None] = {}
_MAX_TEMPLATES = 256


def chart_workbook(data: CategoryChartData) -> bytes:
    """The xlsx bytes python-pptx embeds for `data` (`data.xlsx_blob`), fast and byte-identical.

    Raises what python-pptx's writer raises for data it cannot write (NaN, say).
    """
    try:
        cells = _Cells(data)
    except (_Unsupported, OverflowError):  # OverflowError: an int too large for a float
        return bytes(data.xlsx_blob)
    key = cells.key
    if key in _TEMPLATES:
        template = _TEMPLATES[key]
        if template is None:
            return bytes(data.xlsx_blob)
        return _assemble(template, cells)
    blob = bytes(data.xlsx_blob)
    if len(_TEMPLATES) >= _MAX_TEMPLATES:
        _TEMPLATES.clear()
    _TEMPLATES[key] = _learn(blob, cells)
    return blob


def _pptx_workbook_is_reproducible() -> bool:
    """True if python-pptx's xlsxwriter Workbook stamps a fixed date (see `native`).

    With the clock's date, xlsxwriter's own bytes change every second; a template would freeze
    one date and so differ from them. Such workbooks are left to xlsxwriter.
    """
    import pptx.chart.xlsx as chart_xlsx

    return bool(getattr(chart_xlsx.Workbook, "_deckgen_fixed", False))


# --------------------------------------------------------------------------- the data parts


class _Cells:
    """The worksheet and shared strings python-pptx's `CategoryWorkbookWriter` would have
    xlsxwriter write for `data`, as XML text.

    Layout (CategoryWorkbookWriter): categories in column A from row 2, each series' name in
    row 1 and its values below it, in columns B, C, ... A category cell and all value cells
    carry their column's number format, so blanks (None, an empty label) are written as
    formatted empty cells; an empty series name is no cell at all. Shared strings are numbered
    in the order written: categories, then each series' name. Cell style indices are numbered
    by first use in the sheet, which is row 2: the categories' format, then each series'.
    """

    __slots__ = ("dimension", "key", "sheet_rows", "string_count", "string_items", "strings")

    def __init__(self, data: CategoryChartData) -> None:
        categories = data.categories
        labels = []
        for category in categories:
            if category.sub_categories:
                raise _Unsupported("multi-level categories")
            labels.append(category.label)
        series_list = list(data)
        n_rows = len(labels)
        n_series = len(series_list)
        if not n_rows or not n_series or n_series + 1 > _MAX_COLS or n_rows + 1 > _MAX_ROWS:
            raise _Unsupported("no categories, no series, or too many")

        strings: dict[str, int] = {}
        string_count = 0

        def string_index(text: str) -> int:
            nonlocal string_count
            if len(text) > _MAX_STRING or text[0] == "=" or text.startswith("{="):
                raise _Unsupported("long string or formula")
            if ":" in text and _URL.match(text):
                raise _Unsupported("hyperlink")
            string_count += 1
            index = strings.get(text)
            if index is None:
                index = strings[text] = len(strings)
            return index

        formats: dict[str, int] = {}  # number format -> cell style index (xf)

        def style_index(number_format: str) -> int:
            index = formats.get(number_format)
            if index is None:
                index = formats[number_format] = len(formats) + 1
            return index

        # Column A: the categories.
        cat_s = style_index(categories.number_format)
        cat_cells = []
        for j, label in enumerate(labels, start=2):
            kind = type(label)
            if kind is str:
                if label:
                    cat_cells.append(
                        f'<c r="A{j}" s="{cat_s}" t="s"><v>{string_index(label)}</v></c>'
                    )
                else:
                    cat_cells.append(f'<c r="A{j}" s="{cat_s}"/>')
            elif (kind is float or kind is int) and math.isfinite(label):
                cat_cells.append(f'<c r="A{j}" s="{cat_s}"><v>{label:.16G}</v></c>')
            else:
                raise _Unsupported(f"category label {label!r}")

        # Columns B on: each series' name and values.
        name_cells = []
        columns = []
        for i, series in enumerate(series_list, start=1):
            col = _column_name(i)
            name = series.name
            if type(name) is not str:
                raise _Unsupported(f"series name {name!r}")
            if name:
                name_cells.append(f'<c r="{col}1" t="s"><v>{string_index(name)}</v></c>')
            values = series.values
            if len(values) != n_rows:
                raise _Unsupported("series and categories differ in length")
            s = style_index(series.number_format)
            column = []
            for j, v in enumerate(values, start=2):
                kind = type(v)
                if v is None:
                    column.append(f'<c r="{col}{j}" s="{s}"/>')
                elif (kind is float or kind is int) and math.isfinite(v):
                    column.append(f'<c r="{col}{j}" s="{s}"><v>{v:.16G}</v></c>')
                else:
                    raise _Unsupported(f"value {v!r}")  # NaN: python-pptx's writer raises
            columns.append(column)

        # Every row has cells from A to the last series' column: one span for all blocks.
        row_attrs = f'spans="1:{n_series + 1}"'
        rows = []
        if name_cells:
            rows.append(f'<row r="1" {row_attrs}>{"".join(name_cells)}</row>')
        for j, cat_cell in enumerate(cat_cells):
            cells = "".join([cat_cell, *(column[j] for column in columns)])
            rows.append(f'<row r="{j + 2}" {row_attrs}>{cells}</row>')
        self.sheet_rows = "".join(rows)
        top = 1 if name_cells else 2
        self.dimension = f"A{top}:{_column_name(n_series)}{n_rows + 1}"
        self.strings = strings
        self.string_items = "".join([_shared_string(s) for s in strings])
        self.string_count = string_count
        self.key = (tuple(formats), bool(strings))

    def sheet_xml(self, template: _Template) -> bytes:
        return (
            f"{template.sheet_head}{self.dimension}{template.sheet_mid}"
            f"{self.sheet_rows}{template.sheet_tail}"
        ).encode()

    def strings_xml(self, template: _Template) -> bytes:
        return (
            f'{template.strings_head} count="{self.string_count}" '
            f'uniqueCount="{len(self.strings)}">{self.string_items}</sst>'
        ).encode()


def _shared_string(text: str) -> str:
    """One `<si>` of sharedStrings.xml, as xlsxwriter's SharedStrings._write_si writes it."""
    if not _SPECIAL.search(text):
        return f"<si><t>{text}</t></si>"
    text = _ESCAPE_1.sub(r"_x005F\1", text)
    text = _ESCAPE_2.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = _LEADING.search(text) or _TRAILING.search(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        raise _Unsupported("xlsxwriter writes this string as rich text")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if preserve else ""
    return f"<si><t{space}>{text}</t></si>"


_COLUMN_NAMES: dict[int, str] = {}


def _column_name(index: int) -> str:
    """Column letters of the 0-based column `index` (0 -> A, 26 -> AA)."""
    name = _COLUMN_NAMES.get(index)
    if name is None:
        name, n = "", index + 1
        while n:
            n, r = divmod(n - 1, 26)
            name = chr(65 + r) + name
        _COLUMN_NAMES[index] = name
    return name


# --------------------------------------------------------------------------- the zip


def _deflate(data: bytes) -> bytes:
    """Raw deflate as `zipfile` does it for ZIP_DEFLATED at the default level."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _assemble(template: _Template, cells: _Cells) -> bytes:
    """`cells` written into `template`'s zip: the static members as stored, the data parts
    deflated, the records' sizes, checksums and offsets filled in."""
    sheet = cells.sheet_xml(template)
    strings = cells.strings_xml(template) if cells.strings else b""
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for member in template.members:
        if member.static is not None:
            sizes, compressed = member.static
        else:
            raw = sheet if member.name == SHEET_PART else strings
            compressed = _deflate(raw)
            sizes = _SIZES.pack(zlib.crc32(raw), len(compressed), len(raw))
        local.append(member.local_head)
        local.append(sizes)
        local.append(member.local_tail)
        local.append(compressed)
        central.append(member.central_head)
        central.append(sizes)
        central.append(member.central_mid)
        central.append(offset.to_bytes(4, "little"))
        central.append(member.central_tail)
        offset += len(member.local_head) + len(sizes) + len(member.local_tail) + len(compressed)
    directory = b"".join(central)
    return b"".join(
        [
            *local,
            directory,
            template.end_head,
            struct.pack("<2I", len(directory), offset),
            template.end_tail,
        ]
    )


def _learn(blob: bytes, cells: _Cells) -> _Template | None:
    """The template of `cells`' shape from python-pptx's workbook `blob` for the same data, or
    None if rebuilding `blob` from it does not give exactly `blob` back."""
    if not _pptx_workbook_is_reproducible():
        return None
    try:
        template = _split(blob, cells)
        if template is None or _assemble(template, cells) != blob:
            return None
    except (_Unsupported, ValueError, KeyError, struct.error, zipfile.BadZipFile):
        return None
    return template


def _split(blob: bytes, cells: _Cells) -> _Template | None:
    """Cut python-pptx's workbook `blob` into a template (not yet checked: see `_learn`).

    Walks the central directory; each member's local header is found at its recorded offset.
    """
    with zipfile.ZipFile(BytesIO(blob)) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    if SHEET_PART not in parts or (STRINGS_PART in parts) != bool(cells.strings):
        return None
    end = blob[-_END.size :]
    signature, _, _, count, _, dir_size, dir_offset, comment_len = _END.unpack(end)
    if signature != b"PK\x05\x06" or comment_len or count != len(parts):
        return None
    members = []
    pos = dir_offset
    for _ in range(count):
        record = _CENTRAL.unpack_from(blob, pos)
        name_len, extra_len, comment_len, header_offset = record[10:13] + record[16:17]
        tail_end = pos + _CENTRAL.size + name_len + extra_len + comment_len
        name = blob[pos + _CENTRAL.size : pos + _CENTRAL.size + name_len].decode()
        local = _LOCAL.unpack_from(blob, header_offset)
        if record[0] != b"PK\x01\x02" or local[0] != b"PK\x03\x04" or name not in parts:
            return None
        data_start = header_offset + _LOCAL.size + local[9] + local[10]
        static = None
        if name not in (SHEET_PART, STRINGS_PART):
            static = (
                blob[header_offset + 14 : header_offset + 26],
                blob[data_start : data_start + local[7]],
            )
        members.append(
            _Member(
                name=name,
                local_head=blob[header_offset : header_offset + 14],
                local_tail=blob[header_offset + 26 : data_start],
                central_head=blob[pos : pos + 16],
                central_mid=blob[pos + 28 : pos + 42],
                central_tail=blob[pos + _CENTRAL.size : tail_end],
                static=static,
            )
        )
        pos = tail_end
    if pos != dir_offset + dir_size:
        return None

    sheet = parts[SHEET_PART].decode()
    match = re.fullmatch(
        r'(.*?<dimension ref=")[^"]*("/>.*?<sheetData>).*(</sheetData>.*)', sheet, re.DOTALL
    )
    if match is None:
        return None
    strings_head = ""
    if STRINGS_PART in parts:
        strings = parts[STRINGS_PART].decode()
        cut = strings.find(' count="')
        if cut < 0:
            return None
        strings_head = strings[:cut]
    return _Template(
        members=tuple(members),
        sheet_head=match[1],
        sheet_mid=match[2],
        sheet_tail=match[3],
        strings_head=strings_head,
        end_head=end[:12],
        end_tail=end[20:],
    )
