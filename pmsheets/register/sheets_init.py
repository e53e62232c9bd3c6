"""`pmsheets init --sheet KEY`: lay out an empty Google spreadsheet as a register, in one request.

Tabs, bold frozen headers, dropdowns for every enumerated column, date formats, a live
highlight of overdue open actions, and a warning-only protection on the tool's Findings tab.
A tab that already holds data is never touched: then nothing is written at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pmsheets.core.schema import ACTIONS, FINDINGS_HEADERS, FINDINGS_TITLE, PM_TABS, Column, Kind, column_letter, find_tab
from pmsheets.errors import RegisterError
from pmsheets.model import ActionStatus

GRID_ROWS = 1000
_DATE_PATTERNS = {Kind.DATE: ("DATE", "yyyy-mm-dd"), Kind.DATETIME: ("DATE_TIME", "yyyy-mm-dd hh:mm")}


def init_request(tables: Mapping[str, Sequence[Sequence[Any]]], sheet_ids: Mapping[str, int]) -> dict[str, Any]:
    """The batchUpdate body that sets up every tab, given what the spreadsheet holds now."""
    layouts = [(tab.title, [c.header for c in tab.columns], list(tab.columns)) for tab in PM_TABS]
    layouts.append((FINDINGS_TITLE, list(FINDINGS_HEADERS), []))
    _refuse_tabs_with_data(tables, [title for title, _, _ in layouts])
    taken = set(sheet_ids.values())
    requests: list[dict[str, Any]] = []
    for title, headers, columns in layouts:
        existing = _existing_title(tables, title)
        sheet_id = sheet_ids[existing] if existing is not None else _next_id(taken)
        taken.add(sheet_id)
        requests.extend(_tab_requests(title, existing, sheet_id, headers, columns))
    return {"requests": requests}


def _existing_title(tables: Mapping[str, Any], title: str) -> str | None:
    for tab in PM_TABS:
        if tab.title == title:
            return find_tab(tables, tab)
    return title if title in tables else None


def _refuse_tabs_with_data(tables: Mapping[str, Sequence[Sequence[Any]]], titles: list[str]) -> None:
    busy = []
    for title in titles:
        existing = _existing_title(tables, title)
        if existing is not None and any(any(cell not in (None, "") for cell in row) for row in tables[existing]):
            busy.append(existing)
    if busy:
        names = ", ".join(f"'{name}'" for name in busy)
        msg = (
            f"the spreadsheet's {names} tab(s) already hold data; init never touches a tab with data and wrote nothing. "
            "Use an empty spreadsheet, or delete or rename those tabs first."
        )
        raise RegisterError(msg)


def _next_id(taken: set[int]) -> int:
    candidate = 1_000_001
    while candidate in taken:
        candidate += 1
    return candidate


def _tab_requests(title: str, existing: str | None, sheet_id: int, headers: list[str], columns: list[Column]) -> list[dict[str, Any]]:
    grid = {"rowCount": GRID_ROWS, "columnCount": max(len(headers), 1), "frozenRowCount": 1}
    if existing is None:
        first: dict[str, Any] = {"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}}
    else:
        first = {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "title": title, "gridProperties": {"frozenRowCount": 1}},
                "fields": "title,gridProperties.frozenRowCount",
            }
        }
    requests = [first, _header_request(sheet_id, headers)]
    for index, column in enumerate(columns):
        requests.extend(_column_requests(sheet_id, index, column))
    if title == ACTIONS.title:
        requests.append(_overdue_highlight(sheet_id))
    if title == FINDINGS_TITLE:
        requests.append(
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": sheet_id},
                        "description": "Written by pmsheets on every run; edits here are overwritten.",
                        "warningOnly": True,
                    }
                }
            }
        )
    return requests


def _header_request(sheet_id: int, headers: list[str]) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [
                {
                    "values": [
                        {"userEnteredValue": {"stringValue": header}, "userEnteredFormat": {"textFormat": {"bold": True}}}
                        for header in headers
                    ]
                }
            ],
            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
        }
    }


def _column_range(sheet_id: int, index: int) -> dict[str, int]:
    return {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": GRID_ROWS, "startColumnIndex": index, "endColumnIndex": index + 1}


def _column_requests(sheet_id: int, index: int, column: Column) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []
    choices = ["Yes", "No"] if column.kind is Kind.YESNO else [m.value for m in column.choices] if column.choices else []
    if choices:
        requests.append(
            {
                "setDataValidation": {
                    "range": _column_range(sheet_id, index),
                    "rule": {
                        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": choice} for choice in choices]},
                        "inputMessage": f"{column.header}: {', '.join(choices)}",
                        "showCustomUi": True,
                        # Not strict: the tool's own checks report odd values with a friendlier message.
                        "strict": False,
                    },
                }
            }
        )
    if column.kind in _DATE_PATTERNS:
        kind, pattern = _DATE_PATTERNS[column.kind]
        requests.append(
            {
                "repeatCell": {
                    "range": _column_range(sheet_id, index),
                    "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        )
    return requests


def _overdue_highlight(sheet_id: int) -> dict[str, Any]:
    """Open actions past their due date turn red while PMs look at the sheet."""
    letters = {column.field: column_letter(i) for i, column in enumerate(ACTIONS.columns)}
    due, status = letters["due_date"], letters["status"]
    finished = [s.value for s in ActionStatus if s.finished]
    not_finished = ",".join(f'${status}2<>"{value}"' for value in finished)
    formula = f'=AND(${due}2<>"",${due}2<TODAY(),{not_finished})'
    return {
        "addConditionalFormatRule": {
            "index": 0,
            "rule": {
                "ranges": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": 1,
                        "endRowIndex": GRID_ROWS,
                        "startColumnIndex": 0,
                        "endColumnIndex": len(ACTIONS.columns),
                    }
                ],
                "booleanRule": {
                    "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]},
                    "format": {"backgroundColor": {"red": 0.98, "green": 0.8, "blue": 0.8}},
                },
            },
        }
    }
