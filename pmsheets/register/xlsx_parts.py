"""Replace one worksheet inside an .xlsx package and leave every other part byte for byte.

Loading and re-saving a workbook with openpyxl drops what it does not model (charts, images,
pivot tables, cached formula results), so the Findings tab is written by editing the package
directly: the Findings sheet's XML is replaced (or added, with its three registrations), and
every other part is copied unchanged.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from pmsheets.core.schema import column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Characters XML 1.0 cannot carry at all; a spreadsheet cell cannot hold them either.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A raw carriage return is read back as a line feed (XML end-of-line handling); a character reference survives.
_TEXT_ENTITIES = {"\r": "&#13;"}
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*?/>", re.DOTALL)
_ATTR = re.compile(r"([\w:]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


class PackageError(ValueError):
    """The package is not shaped like a spreadsheet; the message says which part."""


class SheetLook(NamedTuple):
    """Styles, links and a filter for sheet_xml; the default is plain text."""

    style: Callable[[int, int, str], int | None] = lambda row, column, value: None
    """The cell style (xf) id of a cell, from its 1-based row, 0-based column and text; None: the default."""
    links: Sequence[tuple[str, str]] = ()
    """(cell, location) internal hyperlinks, e.g. ("F2", "Incidents!N3")."""
    auto_filter: str | None = None
    """The filter's range, e.g. "A1:G40", and (below) what is kept inside it (a PM's criteria)."""
    filter_inside: str = ""


PLAIN = SheetLook()


def sheet_xml(rows: Sequence[Sequence[str]], widths: Sequence[float], look: SheetLook = PLAIN, *, note: str = "") -> bytes:
    """A worksheet of inline text cells (never formulas), header row frozen; `note` goes in an XML comment
    at the top, where no application shows it and a program finds it in the part's first bytes."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        (f"<!-- {note} -->" if note else ""),
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        (
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        ),
        '<sheetFormatPr defaultRowHeight="15"/>',
        "<cols>",
        *(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)),
        "</cols><sheetData>",
    ]
    for row_number, row in enumerate(rows, start=1):
        parts.append(f'<row r="{row_number}">')
        for column, value in enumerate(row):
            text = _XML_ILLEGAL.sub("", value)
            style = look.style(row_number, column, text)
            if text or style is not None:
                ref = f"{column_letter(column)}{row_number}"
                styled = f' s="{style}"' if style is not None else ""
                parts.append(f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{escape(text, _TEXT_ENTITIES)}</t></is></c>')
        parts.append("</row>")
    parts.append("</sheetData>")
    if look.auto_filter is not None:
        parts.append(f'<autoFilter ref="{look.auto_filter}">{look.filter_inside}</autoFilter>')
    if look.links:
        parts.append("<hyperlinks>")
        parts.extend(f"<hyperlink ref={quoteattr(ref)} location={quoteattr(location)}/>" for ref, location in look.links)
        parts.append("</hyperlinks>")
    parts.append("</worksheet>")
    return "".join(parts).encode("utf-8")


def auto_filter_inside(sheet: str) -> str:
    """What a worksheet's autoFilter holds (the criteria a PM set), to keep it when the sheet is rewritten."""
    match = re.search(r"<autoFilter\b[^>]*>(.*?)</autoFilter>", sheet, re.DOTALL)
    return match.group(1) if match else ""


def replace_sheet(
    source: zipfile.ZipFile, target: zipfile.ZipFile, title: str, content: bytes, others: Mapping[str, bytes] | None = None
) -> None:
    """Copy `source` into `target` with the sheet named `title` holding `content` (added if absent),
    and the parts named in `others` replaced by their new content."""
    workbook = read_text(source, "xl/workbook.xml")
    rels = read_text(source, "xl/_rels/workbook.xml.rels")
    part = _sheet_part(workbook, rels, title)
    changed: dict[str, bytes] = dict(others or {})
    if part is None:
        part, registered = _register_new_sheet(source, workbook, rels, title)
        changed.update(registered)
    changed[part] = content
    for info in source.infolist():
        data = changed.pop(info.filename, None)
        target.writestr(info, data if data is not None else source.read(info.filename))
    for name, data in changed.items():
        target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)


def read_text(package: zipfile.ZipFile, name: str) -> str:
    try:
        return package.read(name).decode("utf-8")
    except KeyError:
        msg = f"it has no {name} part"
        raise PackageError(msg) from None


def _attributes(tag: str) -> dict[str, str]:
    return {name: value[1:-1] for name, value in _ATTR.findall(tag)}


def _unescape_attr(value: str) -> str:
    return value.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's title -> the name of its part in the package."""
    workbook = read_text(package, "xl/workbook.xml")
    rels = read_text(package, "xl/_rels/workbook.xml.rels")
    parts = {}
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        rel_id = next((v for k, v in attributes.items() if k.endswith(":id")), None)
        parts[_unescape_attr(attributes.get("name", ""))] = _relationship_target(rels, rel_id)
    return parts


def _sheet_part(workbook: str, rels: str, title: str) -> str | None:
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        if _unescape_attr(attributes.get("name", "")) == title:
            rel_id = next((v for k, v in attributes.items() if k.endswith(":id")), None)
            return _relationship_target(rels, rel_id)
    return None


def _relationship_target(rels: str, rel_id: str | None) -> str:
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attributes = _attributes(tag)
        if attributes.get("Id") == rel_id:
            target = _unescape_attr(attributes["Target"])
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    msg = f"the workbook names sheet relationship {rel_id} but xl/_rels/workbook.xml.rels lacks it"
    raise PackageError(msg)


def _register_new_sheet(source: zipfile.ZipFile, workbook: str, rels: str, title: str) -> tuple[str, dict[str, bytes]]:
    names = set(source.namelist())
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in names:
        number += 1
    part = f"xl/worksheets/sheet{number}.xml"
    rel_ids = set(re.findall(r'\bId="([^"]+)"', rels))
    rel_number = len(rel_ids) + 1
    while f"rId{rel_number}" in rel_ids:
        rel_number += 1
    rel_id = f"rId{rel_number}"
    sheet_ids = [int(v) for v in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bsheetId="(\d+)"', workbook)]
    sheet_id = max(sheet_ids, default=0) + 1
    prefix = _relationship_prefix(workbook)
    closing = re.search(r"</(\w+:)?sheets>", workbook)
    element = f"{closing.group(1) or ''}sheet" if closing else "sheet"
    # openpyxl declares the prefix on each <sheet> rather than on the root, so the new one declares it too.
    sheet_tag = f'<{element} name={quoteattr(title)} sheetId="{sheet_id}" xmlns:{prefix}="{REL_NS}" {prefix}:id="{rel_id}"/>'
    new_workbook = _insert_before(workbook, r"</(?:\w+:)?sheets>", sheet_tag, "xl/workbook.xml")
    relationship = f'<Relationship Id="{rel_id}" Type="{WORKSHEET_TYPE}" Target="/{part}"/>'
    new_rels = _insert_before(rels, r"</(?:\w+:)?Relationships>", relationship, "xl/_rels/workbook.xml.rels")
    types = read_text(source, "[Content_Types].xml")
    override = f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT}"/>'
    new_types = _insert_before(types, r"</(?:\w+:)?Types>", override, "[Content_Types].xml")
    return part, {
        "xl/workbook.xml": new_workbook.encode("utf-8"),
        "xl/_rels/workbook.xml.rels": new_rels.encode("utf-8"),
        "[Content_Types].xml": new_types.encode("utf-8"),
    }


def _relationship_prefix(workbook: str) -> str:
    match = re.search(r'xmlns:(\w+)="' + re.escape(REL_NS) + '"', workbook)
    if match is None:
        msg = "xl/workbook.xml does not declare the relationships namespace"
        raise PackageError(msg)
    return match.group(1)


def _insert_before(text: str, closing: str, insertion: str, part: str) -> str:
    matches = list(re.finditer(closing, text))
    if not matches:
        msg = f"{part} lacks the element that closes with {closing!r}"
        raise PackageError(msg)
    last = matches[-1].start()
    return text[:last] + insertion + text[last:]
