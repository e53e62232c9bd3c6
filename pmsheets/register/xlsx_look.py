"""The Findings tab's look in a workbook package: its cell styles in xl/styles.xml and the highlight rule on PM tabs.

Edited as text, like the rest of the package (see xlsx_parts): an element the tool needs is
added once and found again by its exact text on later writes, so styles.xml does not grow on
every write; everything else in the part is left as it was.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from xml.sax.saxutils import escape

from pmsheets.register.findings_look import (
    HEADER_COLOUR,
    HIGHLIGHT_COLOUR,
    HIGHLIGHT_FORMULA,
    LEVEL_COLOURS,
    LINK_COLOUR,
    is_highlight_formula,
)
from pmsheets.register.xlsx_parts import PackageError

_FONT = '<font>{}<sz val="11"/>{}<name val="Calibri"/><family val="2"/></font>'
_FILL = '<fill><patternFill patternType="solid"><fgColor rgb="FF{}"/><bgColor indexed="64"/></patternFill></fill>'
_XF = '<xf numFmtId="0" fontId="{}" fillId="{}" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
_DXF = '<dxf><fill><patternFill patternType="solid"><bgColor rgb="FF{}"/></patternFill></fill></dxf>'
# Where styleSheet's children go, in schema order: a missing <dxfs> is added after the last one present before it.
_BEFORE_DXFS = ("cellStyles", "cellXfs", "cellStyleXfs", "borders", "fills", "fonts", "numFmts")
# Worksheet children that come after <conditionalFormatting> in schema order.
_AFTER_CONDITIONAL = (
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)
_CONDITIONAL = re.compile(r"<conditionalFormatting\b[^>]*>.*?</conditionalFormatting>", re.DOTALL)
_FORMULA = re.compile(r"<formula>(.*?)</formula>", re.DOTALL)
_SQREF = re.compile(r'<conditionalFormatting\b[^>]*\bsqref="([^"]*)"')


class Styles(NamedTuple):
    """Cell style (xf) ids for the Findings tab, and the highlight's differential style (dxf) id."""

    header: int
    link: int
    levels: dict[str, int]
    highlight: int


def with_styles(styles_xml: str) -> tuple[str, Styles]:
    """styles.xml holding the tool's styles (added when absent), and their ids."""
    xml, bold = _ensure(styles_xml, "fonts", "font", _FONT.format("<b/>", ""))
    xml, link_font = _ensure(xml, "fonts", "font", _FONT.format("<u/>", f'<color rgb="FF{LINK_COLOUR}"/>'))
    xml, header_fill = _ensure(xml, "fills", "fill", _FILL.format(HEADER_COLOUR))
    xml, header = _ensure(xml, "cellXfs", "xf", _XF.format(bold, header_fill))
    xml, link = _ensure(xml, "cellXfs", "xf", _XF.format(link_font, 0))
    levels = {}
    for level, colour in LEVEL_COLOURS.items():
        xml, fill = _ensure(xml, "fills", "fill", _FILL.format(colour))
        xml, levels[level] = _ensure(xml, "cellXfs", "xf", _XF.format(0, fill))
    xml, highlight = _ensure(xml, "dxfs", "dxf", _DXF.format(HIGHLIGHT_COLOUR))
    return xml, Styles(header, link, levels, highlight)


def _ensure(xml: str, section: str, tag: str, element: str) -> tuple[str, int]:
    """`xml` with `element` among `section`'s children, and its index there."""
    match = re.search(rf"<{section}\b([^>]*?)(/>|>(.*?)</{section}>)", xml, re.DOTALL)
    if match is None:
        if section != "dxfs":
            msg = f"xl/styles.xml has no <{section}>"
            raise PackageError(msg)
        return _insert_after_previous(xml, f'<dxfs count="1">{element}</dxfs>'), 0
    children = re.findall(rf"<{tag}\b[^>]*/>|<{tag}\b[^>]*>.*?</{tag}>", match.group(3) or "", re.DOTALL)
    if element in children:
        return xml, children.index(element)
    attributes = re.sub(r'\s*\bcount="\d*"', "", match.group(1))
    section_xml = f'<{section} count="{len(children) + 1}"{attributes}>{match.group(3) or ""}{element}</{section}>'
    return xml[: match.start()] + section_xml + xml[match.end() :], len(children)


def _insert_after_previous(xml: str, element: str) -> str:
    for previous in _BEFORE_DXFS:
        match = re.search(rf"</{previous}>|<{previous}\b[^>]*/>", xml)
        if match is not None:
            return xml[: match.end()] + element + xml[match.end() :]
    msg = "xl/styles.xml has no <cellXfs>"
    raise PackageError(msg)


def with_highlight(sheet: str, sqref: str, dxf_id: int) -> str | None:
    """The PM tab's XML with the tool's highlight rule over the cells `sqref` lists (none: no rule); None when already so.

    The tool's rules are recognised by their formula (findings_look.is_highlight_formula), so the
    rule of an older version goes too; a rule or format a PM made is never changed. The rule comes
    last in priority: a PM's own rules on the same cells come first."""
    ours = [block for block in _CONDITIONAL.finditer(sheet) if _is_ours(block.group(0))]
    if _covers([block.group(0) for block in ours], sqref):
        return None
    for block in reversed(ours):
        sheet = sheet[: block.start()] + sheet[block.end() :]
    if not sqref:
        return sheet
    priority = max((int(p) for p in re.findall(r'<cfRule\b[^>]*\bpriority="(\d+)"', sheet)), default=0) + 1
    rule = (
        f'<conditionalFormatting sqref="{sqref}">'
        f'<cfRule type="expression" dxfId="{dxf_id}" priority="{priority}"><formula>{escape(HIGHLIGHT_FORMULA)}</formula></cfRule>'
        "</conditionalFormatting>"
    )
    return _insert_before_later(sheet, rule)


def _covers(ours: list[str], sqref: str) -> bool:
    """Whether the tool's rules are already the one rule over exactly `sqref` (no rule when it is empty)."""
    if not sqref:
        return not ours
    if len(ours) != 1 or _formulas(ours[0]) != [HIGHLIGHT_FORMULA]:
        return False
    found = _SQREF.search(ours[0])
    return found is not None and set(found.group(1).split()) == set(sqref.split())


def _formulas(block: str) -> list[str]:
    return [_unescape(text) for text in _FORMULA.findall(block)]


def _is_ours(block: str) -> bool:
    formulas = _formulas(block)
    return bool(formulas) and all(is_highlight_formula(formula) for formula in formulas)


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _insert_before_later(sheet: str, element: str) -> str:
    positions = [match.start() for name in _AFTER_CONDITIONAL if (match := re.search(rf"<{name}\b", sheet)) is not None]
    closing = list(re.finditer(r"</(?:\w+:)?worksheet>", sheet))
    if not positions and not closing:
        msg = "a worksheet part does not close with </worksheet>"
        raise PackageError(msg)
    at = min(positions) if positions else closing[-1].start()
    return sheet[:at] + element + sheet[at:]
