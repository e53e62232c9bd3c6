"""The Excel snapshot for the ops review: Summary, Incidents, Actions, Overdue, Findings.

openpyxl (write-only) lays the workbook out: styles, the Summary with its chart, and each data
sheet's header row, widths, frozen pane, filter and highlighting. The data rows, millions of
cells at the Sheets limit, are then streamed into that package by `xlsx_stream`, several times
faster than openpyxl writes them, with memory flat however large the register is. Register
text always goes in as a text cell: a value starting with '=', '+', '-' or '@' is stored as a
string (and marked quote-prefixed, so editing the cell in Excel does not turn it into a
formula either).
"""

from __future__ import annotations

import io
import itertools
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pmsheets.core import policy as rules
from pmsheets.core.overdue import (
    DEFAULT_ESCALATE_AFTER_DAYS,
    EscalationReport,
    Overdue,
    escalation_report,
    group_by_owner,
)
from pmsheets.core.schema import column_letter
from pmsheets.core.trend import FIGURES, OnTime, Trend, WeekFigures, trend_of
from pmsheets.errors import PmsheetsError
from pmsheets.files import write_atomically, write_failed
from pmsheets.gc_pause import paused_gc
from pmsheets.model import Action, Finding, Incident, Level, Register
from pmsheets.outputs.xlsx_stream import FORMULA_STARTS, Kind, SheetLink, StreamedSheet, Styles, fill_package

MAX_DATA_ROWS = 1_048_575
"""Excel's 1,048,576 rows a sheet, less the header."""
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_BOLD = Font(bold=True)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
HEADER_HEIGHT = 30
"""Points: room for a header of two lines, wrapped at its column's width."""
_TITLE = Font(bold=True, size=14)
_LINK = Font(color="0563C1", underline="single")
_RED = PatternFill(fill_type="solid", bgColor="FFC7CE")
_ORANGE = PatternFill(fill_type="solid", bgColor="FFE0B2")


class SnapshotError(PmsheetsError):
    """The snapshot file could not be written (folder missing, no permission, disk full)."""


@dataclass(frozen=True, slots=True)
class SheetColumn:
    header: str
    width: float
    kind: Kind = Kind.TEXT


@dataclass(frozen=True, slots=True)
class _Table:
    title: str
    columns: Sequence[SheetColumn]
    count: int
    rows: Iterable[Row]
    highlight: Highlight


def default_path(reports_dir: Path, as_of: datetime, timezone: tzinfo) -> Path:
    return reports_dir / f"snapshot-{as_of.astimezone(timezone):%Y-%m-%d}.xlsx"


def write_snapshot(
    target: Path | IO[bytes],
    *,
    overdue: Overdue,
    findings: Sequence[Finding],
    escalate_after_days: int = DEFAULT_ESCALATE_AFTER_DAYS,
    escalation: EscalationReport | None = None,
    trend: Trend | None = None,
) -> None:
    """Write the workbook to a path (atomically: temp file, then rename) or to a binary stream.

    `escalation`, when the caller has it already, saves computing it again (seconds at scale).
    `trend` holds the Report log's earlier weeks; without it the trend shows only this week."""

    escalated = escalation or escalation_report(overdue, escalate_after_days=escalate_after_days)
    weekly = trend or trend_of({}, week=overdue.week, current=WeekFigures(overdue.headline, OnTime.of(escalated.compliance)))

    def write(into: Path | IO[bytes]) -> None:
        tables = _tables(overdue, escalated, findings)
        skeleton, styles = _skeleton(overdue, escalated, findings, tables, weekly)
        timezone = overdue.context.policy.timezone
        sheets = {t.title: StreamedSheet([c.kind for c in t.columns], t.rows, timezone) for t in tables}
        with paused_gc():  # a row makes a tuple per cell's XML and no cycle: nothing for the collector to find
            fill_package(skeleton, into, sheets, styles)

    if isinstance(target, Path):
        save_file(target, write, hint="Check reports.dir or --out.")
    else:
        write(target)


def save_file(path: Path, write: Callable[[Path], object], *, hint: str = "Check reports.dir.", make_folder: bool = False) -> None:
    """`write` fills a temporary file that then replaces `path`; a failure is a SnapshotError naming the file."""
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, write)
    except OSError as error:
        raise SnapshotError(write_failed(path, error, hint)) from None


def _tables(overdue: Overdue, escalation: EscalationReport, findings: Sequence[Finding]) -> list[_Table]:
    register = overdue.context.register
    return [
        *_sheets(
            "Incidents", INCIDENT_COLUMNS, len(register.incidents), lambda: incident_rows(overdue), _highlight("Post-mortem late", "Yes")
        ),
        *_sheets("Actions", ACTION_COLUMNS, len(register.actions), lambda: action_rows(overdue), _highlight("Days overdue", 0, op=">")),
        *_sheets("Overdue", OVERDUE_COLUMNS, len(escalation.items), lambda: overdue_rows(escalation), _level_highlight),
        *_sheets(
            "Findings", FINDING_COLUMNS, len(findings), lambda: finding_rows(findings, Places(register)), _highlight("Level", "error")
        ),
    ]


def _sheets(
    title: str, columns: Sequence[SheetColumn], count: int, rows: Callable[[], Iterable[Row]], highlight: Highlight
) -> list[_Table]:
    """One sheet, or, past Excel's 1,048,576 rows a sheet, "Findings", "Findings (2)", … each with the header."""
    starts = range(0, count, MAX_DATA_ROWS) if count else range(1)
    return [
        _Table(
            title if part == 1 else f"{title} ({part})",
            columns,
            min(MAX_DATA_ROWS, count - start),
            itertools.islice(rows(), start, start + MAX_DATA_ROWS),
            highlight,
        )
        for part, start in enumerate(starts, start=1)
    ]


def _skeleton(
    overdue: Overdue, escalation: EscalationReport, findings: Sequence[Finding], tables: Sequence[_Table], trend: Trend
) -> tuple[bytes, Styles]:
    """The whole workbook but the data rows, and the style ids those rows are to use."""
    workbook = Workbook(write_only=True)
    _summary(workbook.create_sheet("Summary"), overdue, escalation, findings, trend)
    for table in tables:
        _header_only(workbook.create_sheet(table.title), table)
    styles = Styles.registered(workbook.worksheets[0], date_format=DATE_FORMAT, datetime_format=DATETIME_FORMAT, link_font=_LINK)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue(), styles


# --- the data sheets ---------------------------------------------------------------------------

INCIDENT_COLUMNS = (
    SheetColumn("ID", 10),
    SheetColumn("Title", 36),
    SheetColumn("Severity", 10),
    SheetColumn("Detected at", 17, Kind.DATETIME),
    SheetColumn("Resolved at", 17, Kind.DATETIME),
    SheetColumn("Customer impact", 12),
    SheetColumn("Impact minutes", 10, Kind.NUMBER),
    SheetColumn("Incident owner", 18),
    SheetColumn("Primary responder", 18),
    SheetColumn("Post-mortem required", 14),
    SheetColumn("Post-mortem status", 14),
    SheetColumn("Post-mortem late", 14),
    SheetColumn("Draft date", 12, Kind.DATE),
    SheetColumn("Review date", 12, Kind.DATE),
    SheetColumn("Closed date", 12, Kind.DATE),
    SheetColumn("Open actions", 10, Kind.NUMBER),
    SheetColumn("Post-mortem doc", 30, Kind.LINK),
)
ACTION_COLUMNS = (
    SheetColumn("ID", 10),
    SheetColumn("Incident ID", 11),
    SheetColumn("Action", 40),
    SheetColumn("Type", 11),
    SheetColumn("Owner", 18),
    SheetColumn("Due date", 12, Kind.DATE),
    SheetColumn("Status", 12),
    SheetColumn("Completed on", 12, Kind.DATE),
    SheetColumn("Days overdue", 10, Kind.NUMBER),
    SheetColumn("Tracking link", 30, Kind.LINK),
)
OVERDUE_COLUMNS = (
    SheetColumn("Escalation", 12),
    SheetColumn("Kind", 12),
    SheetColumn("ID", 10),
    SheetColumn("Incident ID", 11),
    SheetColumn("Incident", 30),
    SheetColumn("Severity", 10),
    SheetColumn("Owner", 18),
    SheetColumn("Manager email", 26),
    SheetColumn("What", 40),
    SheetColumn("Due", 12, Kind.DATE),
    SheetColumn("Days overdue", 10, Kind.NUMBER),
    SheetColumn("Age", 12),
    SheetColumn("Link", 30, Kind.LINK),
)
FINDING_COLUMNS = (
    SheetColumn("Level", 9),
    SheetColumn("Rule", 26),
    SheetColumn("Incident", 11),
    SheetColumn("Action", 11),
    SheetColumn("Register cell", 16),
    SheetColumn("In this snapshot", 18, Kind.SHEET_LINK),
    SheetColumn("Message", 90),
)
"""`Register cell` is where the finding is in the register, whose columns differ from this
workbook's; `In this snapshot` links to the row of its incident or action here."""

Row = Sequence[Any]


def incident_rows(overdue: Overdue) -> Iterator[Row]:
    late = {item.id for item in overdue.postmortems}
    ctx = overdue.context
    for incident in ctx.register.incidents:
        yield (
            incident.id,
            incident.title,
            _text(incident.severity),
            incident.detected_at,
            incident.resolved_at,
            _text(incident.customer_impact),
            incident.impact_minutes,
            incident.owner,
            incident.primary_responder,
            "Yes" if rules.requirement_reason(incident, ctx.policy) else "No",
            str(incident.postmortem_status),
            "Yes" if incident.id in late else "",
            incident.draft_date,
            incident.review_date,
            incident.closed_date,
            _open_actions(incident, ctx),
            incident.postmortem_doc,
        )


def _open_actions(incident: Incident, ctx: rules.Context) -> int:
    return sum(1 for action in ctx.actions_of(incident) if not action.status.finished)


def action_rows(overdue: Overdue) -> Iterator[Row]:
    days = {item.id: item.days_overdue for item in overdue.actions}
    for action in overdue.context.register.actions:
        yield (
            action.id,
            action.incident_id,
            action.text,
            _text(action.type),
            action.owner,
            action.due_date,
            str(action.status),
            action.completed_on,
            days.get(action.id or f"row {action.ref.row}"),
            action.tracking_link,
        )


def overdue_rows(escalation: EscalationReport) -> Iterator[Row]:
    for entry in escalation.items:
        item = entry.item
        yield (
            str(entry.level),
            str(item.kind),
            item.id,
            item.incident_id,
            item.incident_title,
            _text(item.severity),
            item.owner,
            entry.manager_email,
            item.what,
            item.due,
            item.days_overdue,
            item.bucket.label,
            item.link,
        )


def finding_rows(findings: Iterable[Finding], places: Places) -> Iterator[Row]:
    for finding in findings:
        place = places.of(finding)
        yield (str(finding.level), finding.rule, finding.incident, finding.action, finding.cell, place, finding.message)


def sheet_place(title: str, index: int) -> SheetLink:
    """Where the `index`-th record (from 0) of a data sheet lands, past the header and across "Title (2)" parts."""
    part, offset = divmod(index, MAX_DATA_ROWS)
    return SheetLink(title if part == 0 else f"{title} ({part + 1})", offset + 2)


_COLUMN_CHARS = "$ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""What an A1 reference's row number follows: its column letters, perhaps with $ (Actions!$G$15)."""


class Places:
    """The row in this workbook's Incidents or Actions sheet of the record a finding is about.

    Kept small at scale: per register tab the records' rows in order (searched by bisection),
    and the ID lookups built only if a finding needs one."""

    def __init__(self, register: Register) -> None:
        self._sheets: tuple[tuple[str, Sequence[Incident | Action]], ...] = (
            ("Incidents", register.incidents),
            ("Actions", register.actions),
        )
        self._rows: dict[str, tuple[str, array[int]]] = {}
        for title, records in self._sheets:
            if records:  # a tab's records are in sheet order, so their rows ascend
                self._rows[records[0].ref.tab] = (title, array("l", (record.ref.row for record in records)))
        self._by_id: dict[str, dict[str, int]] | None = None

    def of(self, finding: Finding) -> SheetLink | None:
        """By the finding's register cell when it is on a record's row, else by its action's or incident's ID."""
        if finding.cell:
            tab, _, ref = finding.cell.rpartition("!")
            row = ref.lstrip(_COLUMN_CHARS)
            if tab and row.isdigit():
                place = self._at(tab[1:-1].replace("''", "'") if tab.startswith("'") else tab, int(row))
                if place is not None:
                    return place
        by_id = self._ids()
        for title, record_id in (("Actions", finding.action), ("Incidents", finding.incident)):
            if record_id is not None and record_id in by_id[title]:
                return sheet_place(title, by_id[title][record_id])
        return None

    def _at(self, tab: str, row: int) -> SheetLink | None:
        title, rows = self._rows.get(tab, ("", array("l")))
        index = bisect_left(rows, row)
        return sheet_place(title, index) if index < len(rows) and rows[index] == row else None

    def _ids(self) -> dict[str, dict[str, int]]:
        if self._by_id is None:
            self._by_id = {title: {} for title, _ in self._sheets}
            for title, records in self._sheets:
                for index, record in enumerate(records):
                    if record.id is not None:
                        self._by_id[title].setdefault(record.id, index)
        return self._by_id


def _text(value: object) -> str | None:
    return None if value is None else str(value)


Highlight = Callable[[WriteOnlyWorksheet, Sequence[SheetColumn], int], None]


def _highlight(header: str, value: object, *, op: str = "=") -> Highlight:
    """Colour every row whose `header` cell compares true with `value` (conditional formatting)."""

    def apply(sheet: WriteOnlyWorksheet, columns: Sequence[SheetColumn], last_row: int) -> None:
        letter = column_letter([c.header for c in columns].index(header))
        literal = f'"{value}"' if isinstance(value, str) else str(value)
        _add_rule(sheet, columns, last_row, f"${letter}2{op}{literal}", _RED)

    return apply


def _level_highlight(sheet: WriteOnlyWorksheet, columns: Sequence[SheetColumn], last_row: int) -> None:
    _add_rule(sheet, columns, last_row, '$A2="ops review"', _RED)
    _add_rule(sheet, columns, last_row, '$A2="manager"', _ORANGE)


def _add_rule(sheet: WriteOnlyWorksheet, columns: Sequence[SheetColumn], last_row: int, formula: str, fill: PatternFill) -> None:
    if last_row >= 2:
        cells = f"A2:{column_letter(len(columns) - 1)}{last_row}"
        _laid_out(sheet).conditional_formatting.add(cells, FormulaRule(formula=[formula], fill=fill, stopIfTrue=True))


def _header_only(sheet: WriteOnlyWorksheet, table: _Table) -> None:
    """A header row (bold, frozen, filtered) with the filter and highlighting sized for the rows to come."""
    columns = table.columns
    for index, column in enumerate(columns):
        _laid_out(sheet).column_dimensions[column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    _laid_out(sheet).row_dimensions[1].height = HEADER_HEIGHT
    print_setup(sheet, title_row=True)
    sheet.append([_header_cell(sheet, c.header) for c in columns])
    last_row = 1 + table.count
    _laid_out(sheet).auto_filter.ref = f"A1:{column_letter(len(columns) - 1)}{last_row}"
    table.highlight(sheet, columns, last_row)


def _laid_out(sheet: WriteOnlyWorksheet) -> Worksheet:
    """The layout a write-only sheet takes from Worksheet at run time (column widths, filter, conditional
    formats, charts: Worksheet._setup and add_chart), which types-openpyxl leaves off WriteOnlyWorksheet."""
    return cast("Worksheet", sheet)


def _header_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = _styled(sheet, text, _BOLD)
    cell.alignment = _WRAPPED
    return cell


def print_setup(sheet: WriteOnlyWorksheet, *, title_row: bool) -> None:
    """Landscape, one page wide (as many pages down as it takes), the header row on every page.

    Before the sheet's first row: a write-only sheet writes its properties with that row."""
    laid_out = _laid_out(sheet)
    laid_out.page_setup.orientation = "landscape"
    laid_out.page_setup.fitToWidth = 1
    laid_out.page_setup.fitToHeight = 0
    laid_out.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if title_row:
        laid_out.print_title_rows = "1:1"


def _summary_cell(sheet: WriteOnlyWorksheet, value: Any, timezone: tzinfo) -> Cell | None:
    """A Summary cell, typed as the data sheets' cells are (its few values are not worth streaming)."""
    if value is None or value == "":
        return None
    if isinstance(value, Cell):
        return value
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.astimezone(timezone).replace(tzinfo=None) if value.tzinfo else value)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # openpyxl writes dates; types-openpyxl lists only datetime
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        cell = _text_cell(sheet, str(value))
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # openpyxl would otherwise store a value starting with '=' as a formula
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


# --- the summary sheet ---------------------------------------------------------------------------


SUMMARY_WIDTHS = (52, 18, 14, 14, 14, 14, 14)
"""Column B holds the as-of time (yyyy-mm-dd hh:mm); B to G the trend's figures under wrapped headers."""


def _summary(sheet: WriteOnlyWorksheet, overdue: Overdue, escalation: EscalationReport, findings: Sequence[Finding], trend: Trend) -> None:
    timezone = overdue.context.policy.timezone
    laid_out = _laid_out(sheet)
    for index, width in enumerate(SUMMARY_WIDTHS):
        laid_out.column_dimensions[column_letter(index)].width = width
    rows: list[Row] = [
        (_styled(sheet, "Post-mortem register snapshot", _TITLE),),
        ("As of", overdue.as_of),
        ("Week", overdue.week),
        (),
        _heading(sheet, "Headline", "Count"),
        *_headline_rows(overdue, findings),
        (),
        _heading(sheet, f"Compliance {escalation.compliance.since} to {escalation.compliance.until}", "On time", "Met", "Of"),
        *_compliance_rows(sheet, escalation),
        (),
        _heading(sheet, "Overdue items by age", "Items"),
    ]
    age_first_row = len(rows) + 1
    rows.extend((bucket.label, bucket.count) for bucket in escalation.buckets)
    rows.extend([(), _trend_heading(sheet, trend)])
    trend_header_row = len(rows)
    rows.extend(_trend_rows(sheet, trend))
    rows.extend([(), _heading(sheet, "Overdue actions by owner", "Actions")])
    rows.extend((group.owner, len(group.items)) for group in group_by_owner(overdue.actions))
    laid_out.row_dimensions[trend_header_row].height = HEADER_HEIGHT * 1.5  # three lines: "Post-mortems / reviewed on / time"
    print_setup(sheet, title_row=False)
    for row in rows:
        sheet.append([_summary_cell(sheet, value, timezone) for value in row])
    # Both charts beside the figures at the top, so they print whole on the first page.
    laid_out.add_chart(_age_chart(sheet, age_first_row, len(escalation.buckets)), "I2")
    laid_out.add_chart(_trend_chart(sheet, trend_header_row, len(trend.weeks)), "I18")


def _trend_heading(sheet: WriteOnlyWorksheet, trend: Trend) -> Row:
    title = _styled(sheet, f"Trend (Report log), last {len(trend.weeks)} weeks", _BOLD)
    return (title, *(_header_cell(sheet, figure.label) for figure in FIGURES))


def _trend_rows(sheet: WriteOnlyWorksheet, trend: Trend) -> list[Row]:
    """One row a week; a week with no report has blank cells, which the chart shows as a gap."""
    rows: list[Row] = []
    for week, figures in trend.rows:
        values = [None if figures is None else figure.value(figures) for figure in FIGURES]
        rows.append((week, *(_percent(sheet, v, 100) if f.percent and v is not None else v for f, v in zip(FIGURES, values, strict=True))))
    return rows


def _styled(sheet: WriteOnlyWorksheet, text: str, font: Font) -> Cell:
    cell = _text_cell(sheet, text)
    cell.font = font
    return cell


def _heading(sheet: WriteOnlyWorksheet, *labels: str) -> Row:
    return tuple(_styled(sheet, label, _BOLD) for label in labels)


def _headline_rows(overdue: Overdue, findings: Sequence[Finding]) -> list[Row]:
    register = overdue.context.register
    return [
        ("Incidents", len(register.incidents)),
        ("Actions", len(register.actions)),
        ("Open actions", sum(1 for a in register.actions if not a.status.finished)),
        ("Overdue actions", len(overdue.actions)),
        ("Post-mortems with an overdue draft or review", len(overdue.postmortems)),
        ("Open actions not tracked (no owner, due date or link)", len(overdue.not_tracked)),
        ("Error findings", sum(1 for f in findings if f.level is Level.ERROR)),
    ]


def _compliance_rows(sheet: WriteOnlyWorksheet, escalation: EscalationReport) -> list[Row]:
    c = escalation.compliance
    rows: list[Row] = []
    for label, share in c.expectations:
        rows.append((label, _percent(sheet, share.met, share.total), share.met, share.total))
    return rows


def _percent(sheet: WriteOnlyWorksheet, met: float, total: float) -> Cell | str:
    if not total:
        return "n/a"
    cell = WriteOnlyCell(sheet, value=met / total)
    cell.number_format = "0%"
    return cell


def _age_chart(sheet: WriteOnlyWorksheet, first_row: int, count: int) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = "Overdue items by age"
    chart.y_axis.title = "Items"
    chart.x_axis.title = "Days overdue"
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=first_row, max_row=first_row + count - 1), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first_row, max_row=first_row + count - 1))
    _show_axes(chart)
    chart.width, chart.height = 16, 7
    return chart


TREND_CHART_TITLE = "Weekly trend from the Report log"
TREND_AXIS_TITLE = "ISO week"


def _trend_chart(sheet: WriteOnlyWorksheet, header_row: int, weeks: int) -> LineChart:
    """Counts on the left axis, on-time percentages on the right; a blank week is a gap in its line."""
    first, last = header_row + 1, header_row + weeks
    counts_end = 1 + sum(1 for figure in FIGURES if not figure.percent)
    counts = LineChart()
    counts.title = TREND_CHART_TITLE
    counts.add_data(Reference(sheet, min_col=2, max_col=counts_end, min_row=header_row, max_row=last), titles_from_data=True)
    counts.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    counts.y_axis.title = "Items"
    counts.x_axis.title = TREND_AXIS_TITLE
    counts.display_blanks = "gap"
    shares = LineChart()
    shares.add_data(
        Reference(sheet, min_col=counts_end + 1, max_col=1 + len(FIGURES), min_row=header_row, max_row=last), titles_from_data=True
    )
    shares.y_axis.axId = 200
    shares.y_axis.title = "On time"
    shares.y_axis.number_format = "0%"
    shares.y_axis.scaling.min, shares.y_axis.scaling.max = 0, 1
    shares.y_axis.crosses = "max"
    shares.display_blanks = "gap"
    _show_axes(counts)
    shares.y_axis.delete = False
    for series in (*counts.series, *shares.series):
        series.marker.symbol = "circle"  # a week between two gaps is a point, not a line
    counts += shares
    if counts.legend is not None:
        counts.legend.position = "b"
    counts.width, counts.height = 16, 10
    return counts


def _show_axes(chart: BarChart | LineChart) -> None:
    # openpyxl leaves `delete` unset, which some versions of Excel read as "axis hidden".
    chart.x_axis.delete = False
    chart.y_axis.delete = False
