"""The local .xlsx workbook register (the embedded default; no account needed)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pmsheets.core.schema import (
    FINDINGS_CELL_COLUMN,
    FINDINGS_HEADERS,
    FINDINGS_MESSAGE_COLUMN,
    FINDINGS_TITLE,
    PM_TABS,
    Column,
    Kind,
    Tab,
    column_letter,
    is_pm_tab,
    normalize,
)
from pmsheets.errors import RegisterError, WriteRefused
from pmsheets.files import write_atomically, write_failed
from pmsheets.model import quote_tab
from pmsheets.register import FindingsRows, RawRegister, TabFilter, every_tab, findings_digest
from pmsheets.register.findings_look import FINDINGS_WIDTHS, highlight_ranges, link_target
from pmsheets.register.locate import blank_cell_writes
from pmsheets.register.xlsx_look import with_highlight, with_styles
from pmsheets.register.xlsx_parts import PackageError, SheetLook, auto_filter_inside, read_text, replace_sheet, sheet_parts, sheet_xml
from pmsheets.register.xlsx_read import Unreadable, read_tables

# Parts of an .xlsx that openpyxl drops when it saves: writing would silently destroy them.
_UNSUPPORTED_PARTS = {
    "xl/charts/": "charts",
    "xl/media/": "images",
    # vmlDrawing parts hold cell comments, which openpyxl keeps; drawingN.xml holds shapes.
    "xl/drawings/drawing": "drawings or shapes",
    "xl/pivotTables/": "pivot tables",
    "xl/pivotCache/": "pivot tables",
    "xl/vbaProject.bin": "macros",
    "xl/slicers/": "slicers",
    "xl/timelines/": "timelines",
}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
VALIDATION_ROWS = 2000


class XlsxRegister:
    """Reads every tab with openpyxl; writes only the Findings tab, atomically."""

    # Every write replaces the whole file: two at once would lose one of them.
    writes_concurrently = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        self._require_file()
        try:
            return RawRegister(tables=read_tables(self.path, wanted))
        except Unreadable as error:
            if error.tab:
                msg = f"{self.path} is not a readable .xlsx workbook: its '{error.tab}' tab cannot be read ({error})."
            else:
                msg = f"{self.path} is not a readable .xlsx workbook ({error}). Check the path in register.path."
            raise RegisterError(msg) from None

    def findings_unchanged(self, rows: FindingsRows, *, highlight: bool = True) -> int | None:
        """The digest of the last write is a comment at the top of the Findings sheet's XML (see
        findings_note); Excel or LibreOffice drop it when they save the workbook, and the tab is written again."""
        head = self._findings_head()
        return len(rows) if head is not None and findings_note(rows, highlight=highlight).encode() in head else None

    def version(self) -> str | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None  # the read says what is wrong
        return f"{stat.st_mtime_ns}:{stat.st_size}"

    def write_findings(
        self, rows: FindingsRows, *, stamp: str = "", highlight: bool = True, on_sent: Callable[[], None] = lambda: None
    ) -> int:
        title = self._tool_tab_title(FINDINGS_TITLE)
        header = list(FINDINGS_HEADERS)
        if stamp:
            header[FINDINGS_MESSAGE_COLUMN] = f"{header[FINDINGS_MESSAGE_COLUMN]} ({stamp})"
        table = [header, *[list(row) for row in rows]]
        note = findings_note(rows, highlight=highlight)
        self._replace_tool_tab(title, lambda source: _findings_parts(source, title, table, highlight=highlight, note=note))
        on_sent()
        return len(rows)

    def _findings_head(self) -> bytes | None:
        """The first bytes of the Findings sheet's XML, or None when there is no such tab (or no readable file)."""
        try:
            with zipfile.ZipFile(self.path) as package:
                part = next((part for title, part in sheet_parts(package).items() if normalize(title) == normalize(FINDINGS_TITLE)), None)
                if part is None:
                    return None
                with package.open(part) as sheet:
                    return sheet.read(_HEAD_BYTES)
        except (OSError, KeyError, zipfile.BadZipFile, PackageError):
            return None

    def append_rows(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Append to a tool-owned tab (created with `headers` when missing)."""
        existing_title, existing = self._tool_tab(title)
        table = [list(headers), *existing, *[list(row) for row in rows]]
        self._replace_tool_tab(existing_title, lambda _source: (sheet_xml(table, [18] * len(headers)), {}))

    def _replace_tool_tab(self, title: str, build: Callable[[zipfile.ZipFile], tuple[bytes, dict[str, bytes]]]) -> None:
        """Edits the package in place of a load-and-save, so nothing openpyxl cannot model is lost.

        `build` gives the tab's new XML and any other part that changes with it (styles, a PM tab's highlight rule)."""
        self._refuse_while_open()
        try:
            with zipfile.ZipFile(self.path) as source:
                content, others = build(source)
                _write_atomically(self.path, lambda temp: _copy_package(source, temp, title, content, others))
        except (zipfile.BadZipFile, PackageError) as error:
            msg = f"{self.path} is not a readable .xlsx workbook ({_reason(error)}); the {title} tab was not written."
            raise RegisterError(msg) from None

    def _tool_tab(self, title: str) -> tuple[str, list[list[str]]]:
        """A tool-owned tab's exact title (matched like every tab) and its rows below the header, as text."""
        workbook = self._open(read_only=True)
        try:
            found = next((name for name in workbook.sheetnames if normalize(name) == normalize(title)), None)
            if found is None:
                return title, []
            sheet = workbook[found]
            sheet.reset_dimensions()
            rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
            return found, [row for row in rows if any(row)]
        finally:
            workbook.close()

    def _tool_tab_title(self, title: str) -> str:
        """An existing tool-owned tab's exact name (matched like every tab), else `title`."""
        workbook = self._open(read_only=True)
        try:
            return next((name for name in workbook.sheetnames if normalize(name) == normalize(title)), title)
        finally:
            workbook.close()

    def fill_blank_cells(
        self,
        tab: str,
        id_header: str,
        updates: Mapping[str, Mapping[str, str]],
        *,
        replaceable: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        self._refuse_unsafe_write()
        workbook = self._open(read_only=False)
        if tab not in workbook.sheetnames:
            return []
        sheet = workbook[tab]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        writes = blank_cell_writes(tab, rows, id_header, updates, replaceable)
        for cell_ref, value in writes:
            cell = sheet[cell_ref.rsplit("!", 1)[1]]
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
        if writes:
            save_atomically(workbook, self.path)
        return [cell_ref for cell_ref, _ in writes]

    def _require_file(self) -> None:
        if not self.path.exists():
            msg = f"register {self.path} does not exist. Create one with: pmsheets init --xlsx {self.path} --demo"
            raise RegisterError(msg)
        if self.path.is_dir():
            msg = f"register {self.path} is a folder, not a workbook. Point register.path at the .xlsx file."
            raise RegisterError(msg)

    def _open(self, *, read_only: bool) -> Workbook:
        self._require_file()
        try:
            # data_only: the checks need what the PM sees, not the formula behind it.
            return openpyxl.load_workbook(self.path, read_only=read_only, data_only=read_only)
        except Exception as error:  # noqa: BLE001  openpyxl raises anything on a damaged file; the PM gets one line naming it
            msg = f"{self.path} is not a readable .xlsx workbook ({_reason(error)}). Check the path in register.path."
            raise RegisterError(msg) from None

    def ensure_writable(self) -> None:
        self._refuse_while_open()

    def _refuse_while_open(self) -> None:
        """Excel or LibreOffice would overwrite our write when the PM saves."""
        for lock in (self.path.with_name("~$" + self.path.name), self.path.with_name(f".~lock.{self.path.name}#")):
            if lock.exists():
                msg = f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}); nothing was written. Close it and run again."
                raise WriteRefused(msg)

    def _refuse_unsafe_write(self) -> None:
        self._refuse_while_open()
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as error:
            msg = f"{self.path} is not a readable .xlsx workbook ({_reason(error)})."
            raise RegisterError(msg) from None
        lost = sorted({what for part, what in _UNSUPPORTED_PARTS.items() for name in names if name.startswith(part)})
        if lost:
            msg = (
                f"{self.path} contains {', '.join(lost)}, which the tool cannot keep when it saves; "
                "nothing was written. Move them to another workbook, or fill the cells by hand."
            )
            raise WriteRefused(msg)


_HEAD_BYTES = 400


def findings_note(rows: FindingsRows, *, highlight: bool = True) -> str:
    return f"pmsheets findings {findings_digest(rows, highlight=highlight)}"


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _replace_findings(workbook: Workbook, rows: FindingsRows) -> None:
    if FINDINGS_TITLE in workbook.sheetnames:
        sheet = workbook[FINDINGS_TITLE]
        if sheet.max_row:
            sheet.delete_rows(1, sheet.max_row)
    else:
        sheet = workbook.create_sheet(FINDINGS_TITLE)
        for index, width in enumerate(FINDINGS_WIDTHS):
            sheet.column_dimensions[column_letter(index)].width = width
    write_text_row(sheet, 1, FINDINGS_HEADERS, bold=True)
    for row_number, row in enumerate(rows, start=2):
        write_text_row(sheet, row_number, row)
    sheet.freeze_panes = "A2"


def write_text_row(sheet: Worksheet, row_number: int, values: Sequence[str], *, bold: bool = False) -> None:
    """Text stays text: a message starting with '=' must never become a formula."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row_number, column=column)
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)


def save_atomically(workbook: Workbook, path: Path) -> None:
    _write_atomically(path, workbook.save)


def _copy_package(source: zipfile.ZipFile, temp: Path, title: str, content: bytes, others: dict[str, bytes]) -> None:
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as target:
        replace_sheet(source, target, title, content, others)


def _findings_parts(
    source: zipfile.ZipFile, title: str, table: list[list[str]], *, highlight: bool, note: str
) -> tuple[bytes, dict[str, bytes]]:
    """The Findings sheet's XML (level colours, links to the cells, bold header, filter) and the parts it changes:
    styles.xml when the tool's styles are new to it, and each PM tab whose highlight rule does not cover exactly
    its flagged cells (see findings_look)."""
    parts = sheet_parts(source)
    others: dict[str, bytes] = {}
    if "xl/styles.xml" not in source.namelist():
        return sheet_xml(table, FINDINGS_WIDTHS, note=note), others  # nothing to refer to: plain text, as before
    styles_xml = read_text(source, "xl/styles.xml")
    new_styles, styles = with_styles(styles_xml)
    if new_styles != styles_xml:
        others["xl/styles.xml"] = new_styles.encode("utf-8")
    links = _links(table, set(parts))
    linked = {ref for ref, _ in links}
    cell_letter = column_letter(FINDINGS_CELL_COLUMN)

    def style(row: int, column: int, value: str) -> int | None:
        if row == 1:
            return styles.header
        if column == 0:
            return styles.levels.get(value)
        if column == FINDINGS_CELL_COLUMN and f"{cell_letter}{row}" in linked:
            return styles.link
        return None

    current = read_text(source, parts[title]) if title in parts else ""
    last_column = column_letter(len(FINDINGS_HEADERS) - 1)
    look = SheetLook(style, links, f"A1:{last_column}{len(table)}", auto_filter_inside(current))
    pm_parts = {tab: part for tab, part in parts.items() if is_pm_tab(tab)}
    flagged = highlight_ranges((row[FINDINGS_CELL_COLUMN] for row in table[1:]), pm_parts) if highlight else {}
    for tab, part in pm_parts.items():
        sqref = " ".join(cells.a1() for cells in flagged.get(tab, ()))
        changed = with_highlight(read_text(source, part), sqref, styles.highlight)
        if changed is not None:
            others[part] = changed.encode("utf-8")
    return sheet_xml(table, FINDINGS_WIDTHS, look, note=note), others


def _links(table: list[list[str]], titles: set[str]) -> list[tuple[str, str]]:
    """(Findings cell, target) for each cell reference that names a tab of the workbook."""
    letter = column_letter(FINDINGS_CELL_COLUMN)
    links = []
    for row_number, row in enumerate(table[1:], start=2):
        target = link_target(row[FINDINGS_CELL_COLUMN]) if len(row) > FINDINGS_CELL_COLUMN else None
        if target is not None and target.tab in titles:
            links.append((f"{letter}{row_number}", f"{quote_tab(target.tab)}!{target.cell}"))
    return links


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    try:
        write_atomically(path, write)
    except OSError as error:
        raise RegisterError(write_failed(path, error, "Check the free space and the permissions of its folder.")) from None


# --- creating a register -------------------------------------------------------------------------


def create_register(path: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
    """A new register workbook with every tab; `rows` maps a tab key to records keyed by header."""
    if path.exists():
        msg = f"{path} already exists; the tool never overwrites a register. Choose another path or delete it first."
        raise RegisterError(msg)
    if not path.parent.exists():
        msg = f"folder {path.parent} does not exist. Create it first or choose another path."
        raise RegisterError(msg)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.worksheets[0])  # the blank sheet every new workbook starts with
    for tab in PM_TABS:
        _build_tab(workbook.create_sheet(tab.title), tab, (rows or {}).get(tab.key, ()))
    _replace_findings(workbook, [])
    save_atomically(workbook, path)


def _build_tab(sheet: Worksheet, tab: Tab, records: Sequence[Mapping[str, Any]]) -> None:
    write_text_row(sheet, 1, [column.header for column in tab.columns], bold=True)
    sheet.freeze_panes = "A2"
    for row_number, record in enumerate(records, start=2):
        for index, column in enumerate(tab.columns, start=1):
            value = record.get(column.header)
            if value is not None:
                sheet.cell(row=row_number, column=index, value=value)
    last_row = max(VALIDATION_ROWS, len(records) + 1)
    for index, column in enumerate(tab.columns):
        letter = column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        _format_column(sheet, letter, column, len(records))
        choices = _choices(column)
        if choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Choose one of: {', '.join(choices)}",
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)


def _format_column(sheet: Worksheet, letter: str, column: Column, record_count: int) -> None:
    number_format = {Kind.DATE: DATE_FORMAT, Kind.DATETIME: DATETIME_FORMAT}.get(column.kind)
    if number_format is None:
        return
    sheet.column_dimensions[letter].number_format = number_format
    for row_number in range(2, record_count + 2):
        cell = sheet[f"{letter}{row_number}"]
        if isinstance(cell.value, date | datetime):
            cell.number_format = number_format


def _choices(column: Column) -> list[str]:
    if column.kind is Kind.YESNO:
        return ["Yes", "No"]
    if column.kind is Kind.ENUM and column.choices is not None:
        return [member.value for member in column.choices]
    return []
