"""Typed rows streamed straight into the worksheet parts of a package openpyxl has laid out.

openpyxl spends about 5 µs on each cell even in write-only mode, which is ~55 s for a register
at the Sheets limit. So openpyxl still writes everything that is small and fiddly (styles,
Summary, chart, header rows, column widths, panes, filters, conditional formatting) and this
module only fills the data rows in: each data sheet's XML is the skeleton's, with the rows,
and their hyperlinks, spliced in as they are produced. Cells come out as openpyxl writes them:
inline strings, serial dates under a date style, quote-prefixed text where it could be taken
for a formula.
"""

from __future__ import annotations

import enum
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from pmsheets.core.schema import column_letter
from pmsheets.model import quote_tab
from pmsheets.outputs.links import web_link
from pmsheets.register.xlsx_parts import REL_NS, PackageError, sheet_parts

HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Excel keeps at most this many hyperlinks per worksheet; past it the text stays, unlinked.
MAX_HYPERLINKS = 65_530
FORMULA_STARTS = ("=", "+", "-", "@")
# Deflate level 1 compresses sheet XML to within ~15 % of level 6 in a third of the time.
COMPRESS_LEVEL = 1
_ROWS_PER_CHUNK = 2_000
_KNOWN_TEXTS_PER_COLUMN = 4_096
_TEXT_ENTITIES = {"\r": "&#13;"}
_ATTRIBUTE = {'"': "&quot;"}
_EXCEL_EPOCH = date(1899, 12, 30)
# Every element that may follow <hyperlinks> in a worksheet, in schema order.
_AFTER_HYPERLINKS = re.compile(
    r"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|cellWatches|ignoredErrors"
    r"|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b"
    r"|</worksheet>"
)


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    LINK = "link"
    SHEET_LINK = "sheet link"
    """A SheetLink: a link to a row of another sheet in the same workbook."""


class SheetLink(NamedTuple):
    """A row of a sheet in the workbook being written; shown as "Actions row 15", linked to its first cell."""

    sheet: str
    row: int

    def __str__(self) -> str:
        return f"{self.sheet} row {self.row}"


@dataclass(frozen=True, slots=True)
class Styles:
    """Cell format ids (indexes into styles.xml's cellXfs) that openpyxl registered for the workbook."""

    date: int
    datetime: int
    quoted: int
    link: int

    @classmethod
    def registered(cls, sheet: WriteOnlyWorksheet, *, date_format: str, datetime_format: str, link_font: Font) -> Styles:
        """Registers the four formats with `sheet`'s workbook (before it is saved) and returns their ids."""

        def style_id(**attributes: Any) -> int:
            cell = WriteOnlyCell(sheet)
            for name, value in attributes.items():
                setattr(cell, name, value)
            return cell.style_id

        return cls(
            date=style_id(number_format=date_format),
            datetime=style_id(number_format=datetime_format),
            quoted=style_id(quotePrefix=True),
            link=style_id(font=link_font),
        )


@dataclass(slots=True)
class StreamedSheet:
    """The data rows of one sheet, below the header row the skeleton already holds."""

    kinds: Sequence[Kind]
    rows: Iterable[Sequence[Any]]
    timezone: tzinfo
    max_hyperlinks: int = MAX_HYPERLINKS
    links: list[tuple[str, str]] = field(default_factory=list)
    """(cell, URL) of each link out of the workbook."""
    locations: list[str] = field(default_factory=list)
    """The <hyperlink> element of each link to a place inside the workbook (written as it is: no relationship)."""

    @property
    def link_count(self) -> int:
        return len(self.links) + len(self.locations)


def fill_package(skeleton: bytes, target: Path | IO[bytes], sheets: Mapping[str, StreamedSheet], styles: Styles) -> None:
    """Copy the skeleton package into `target`, streaming each named sheet's rows into its part."""
    with (
        zipfile.ZipFile(io.BytesIO(skeleton)) as source,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as out,
    ):
        parts = sheet_parts(source)
        streamed = {_part_of(parts, title): sheet for title, sheet in sheets.items()}
        for info in source.infolist():
            sheet = streamed.get(info.filename)
            if sheet is None:
                out.writestr(info, source.read(info.filename))
            else:
                _stream_sheet(source.read(info.filename).decode("utf-8"), out, info.filename, sheet, styles)
        for part, sheet in streamed.items():
            if sheet.links:
                out.writestr(_rels_part(part), _hyperlink_rels(sheet.links))


def _part_of(parts: Mapping[str, str], title: str) -> str:
    try:
        return parts[title]
    except KeyError:
        msg = f"the workbook has no sheet named {title!r}"
        raise PackageError(msg) from None


def _rels_part(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def _stream_sheet(xml: str, out: zipfile.ZipFile, part: str, sheet: StreamedSheet, styles: Styles) -> None:
    if "<hyperlinks" in xml or "</sheetData>" not in xml:
        msg = f"{part} is not a header-only sheet to fill"
        raise PackageError(msg)
    head, tail = xml.split("</sheetData>", 1)
    with out.open(part, "w") as stream:
        stream.write(head.encode("utf-8"))
        for chunk in _row_chunks(sheet, styles):
            stream.write(chunk.encode("utf-8"))
        for piece in _with_hyperlinks("</sheetData>" + tail, sheet.links, sheet.locations):
            stream.write(piece.encode("utf-8"))


def _with_hyperlinks(tail: str, links: Sequence[tuple[str, str]], locations: Sequence[str] = ()) -> Iterator[str]:
    """The sheet's tail with its <hyperlinks> in place, in pieces: 65,530 links make megabytes of XML."""
    if not links and not locations:
        yield tail
        return
    follower = _AFTER_HYPERLINKS.search(tail)
    at = follower.start() if follower else len(tail)
    yield tail[:at] + f'<hyperlinks xmlns:r="{REL_NS}">'
    for start in range(0, len(links), _ROWS_PER_CHUNK):
        numbered = enumerate(links[start : start + _ROWS_PER_CHUNK], start=start + 1)
        yield "".join(f'<hyperlink ref="{ref}" r:id="rIdL{number}"/>' for number, (ref, _) in numbered)
    for start in range(0, len(locations), _ROWS_PER_CHUNK):
        yield "".join(locations[start : start + _ROWS_PER_CHUNK])
    yield "</hyperlinks>" + tail[at:]


def _hyperlink_rels(links: Sequence[tuple[str, str]]) -> bytes:
    relationships = "".join(
        f'<Relationship Id="rIdL{number}" Type="{HYPERLINK_TYPE}" Target="{escape(url, {chr(34): "&quot;"})}" TargetMode="External"/>'
        for number, (_, url) in enumerate(links, start=1)
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE_RELS_NS}">{relationships}</Relationships>'.encode()


def _row_chunks(sheet: StreamedSheet, styles: Styles) -> Iterator[str]:
    encoder = _CellEncoder(sheet, styles)
    by_class, other, text = encoder.by_class, encoder.other, encoder.text
    letters = [column_letter(index) for index in range(len(sheet.kinds))]
    # Statuses, owners, rule ids, levels repeat down a column: their XML is kept per column.
    # Link cells are never kept, as each adds a hyperlink of its own.
    columns: list[tuple[str, Kind, dict[str, str] | None]] = [
        (letter, kind, None if kind in (Kind.LINK, Kind.SHEET_LINK) else {}) for letter, kind in zip(letters, sheet.kinds, strict=True)
    ]
    parts: list[str] = []
    number = 1
    for values in sheet.rows:
        number += 1
        row = str(number)
        parts.append(f'<row r="{row}">')
        # A cell's r="B7" may be left out when it follows the cell before it (ECMA-376 18.3.1.4):
        # most cells do, and leaving it out saves building a reference for every cell.
        placed = True
        for (letter, kind, known), value in zip(columns, values, strict=True):
            if value is None:
                placed = False
                continue
            if known is not None and value.__class__ is str:
                tail = known.get(value)
                if tail is None:
                    tail = text(value, kind, "")
                    if len(known) < _KNOWN_TEXTS_PER_COLUMN:
                        known[value] = tail
            else:
                tail = by_class.get(value.__class__, other)(value, kind, letter + row)
            if not tail:
                placed = False
            elif placed:
                parts.append("<c" + tail)
            else:
                parts.append(f'<c r="{letter}{row}"{tail}')
                placed = True
        parts.append("</row>")
        if number % _ROWS_PER_CHUNK == 0:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts)


class _CellEncoder:
    """One cell's XML after `<c r="A1"`, as openpyxl would write the value under the snapshot's styles
    ("" for a cell left out). `ref` is needed only by a link, which records where it is.

    `by_class` maps a value's exact class to its encoder (the row loop looks it up itself, to
    save a call per cell); `other` takes subclasses and anything else, as text."""

    def __init__(self, sheet: StreamedSheet, styles: Styles) -> None:
        self._sheet = sheet
        self._timezone = sheet.timezone
        self._date_style = f' s="{styles.date}"'
        self._datetime_style = f' s="{styles.datetime}"'
        self._quoted_style = f' s="{styles.quoted}"'
        self._link_style = f' s="{styles.link}"'
        self._dates: dict[date, str] = {}
        self._link_sheets: dict[str, str] = {}
        """Sheet title -> as a link's location names it: SheetLinks name few sheets, each many times."""
        self.by_class: dict[type, Callable[[Any, Kind, str], str]] = {
            str: self.text,
            int: self._number,
            float: self._number,
            date: self._date,
            datetime: self._datetime,
            SheetLink: self._sheet_link,
        }

    def other(self, value: Any, kind: Kind, ref: str) -> str:
        if isinstance(value, SheetLink):
            return self._sheet_link(value, kind, ref)
        if isinstance(value, datetime):
            return self._datetime(value, kind, ref)
        if isinstance(value, date):
            return self._date(value, kind, ref)
        return self.text(str(value), kind, ref)

    @staticmethod
    def _number(value: float, kind: Kind, ref: str) -> str:
        return f' t="n"><v>{value!r}</v></c>'

    def _date(self, value: date, kind: Kind, ref: str) -> str:
        tail = self._dates.get(value)
        if tail is None:
            tail = self._dates[value] = f'{self._date_style} t="n"><v>{int(to_excel(value))}</v></c>'
        return tail

    def _datetime(self, value: datetime, kind: Kind, ref: str) -> str:
        local = value.astimezone(self._timezone).replace(tzinfo=None) if value.tzinfo else value
        style = self._date_style if kind is Kind.DATE else self._datetime_style
        return f'{style} t="n"><v>{to_excel(local)!r}</v></c>'

    def text(self, text: str, kind: Kind, ref: str) -> str:
        if not text.isprintable():
            text = ILLEGAL_CHARACTERS_RE.sub("", text)
        if not text:
            return ""
        style = ""
        if text.startswith(FORMULA_STARTS):
            style = self._quoted_style
        elif kind is Kind.LINK:
            style = self._link(text, ref)
        if "&" in text or "<" in text or ">" in text or "\r" in text:
            text = escape(text, _TEXT_ENTITIES)
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _link(self, text: str, ref: str) -> str:
        url = web_link(text)
        if url is None or self._sheet.link_count >= self._sheet.max_hyperlinks:
            return ""
        self._sheet.links.append((ref, url))
        return self._link_style

    def _sheet_link(self, value: SheetLink, kind: Kind, ref: str) -> str:
        location = self._link_sheets.get(value.sheet)
        if location is None:
            location = self._link_sheets[value.sheet] = escape(quote_tab(value.sheet), _ATTRIBUTE)
        tail = f' t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
        if self._sheet.link_count >= self._sheet.max_hyperlinks:
            return tail
        self._sheet.locations.append(f'<hyperlink ref="{ref}" location="{location}!A{value.row}"/>')
        return self._link_style + tail
