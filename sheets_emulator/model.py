"""In-memory spreadsheets: rows of plain values, with copy-on-write forks for atomic writes.

A sheet keeps its cells as `rows`, a list of lists of values (trailing empties trimmed), and a
parallel `meta` list holding, per row, None or {column: CellData-without-value} (format, note,
validation). Meta dicts are shared between cells and never mutated in place, so a date format
set on 400,000 cells costs one dict.
"""

from __future__ import annotations

import copy
from typing import Any

from sheets_emulator.errors import ApiError

CELL_LIMIT = 10_000_000
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26

Row = list[Any]
RowMeta = dict[int, dict[str, Any]]


class Sheet:
    """One tab. `props` is its SheetProperties JSON; `extra` holds the other Sheet fields."""

    __slots__ = ("_fresh", "_keep", "extra", "meta", "props", "rows")

    def __init__(self, props: dict[str, Any]) -> None:
        self.props = props
        self.rows: list[Row] = []
        self.meta: list[RowMeta | None] = []
        self.extra: dict[str, Any] = {}
        self._fresh: set[int] = set()
        self._keep: list[Any] = []

    @property
    def sheet_id(self) -> int:
        return int(self.props["sheetId"])

    @property
    def title(self) -> str:
        return str(self.props["title"])

    @property
    def grid(self) -> dict[str, Any]:
        grid: dict[str, Any] = self.props.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def column_count(self) -> int:
        return int(self.grid.get("columnCount", 0))

    def fork(self) -> Sheet:
        """A copy sharing every row list; writers copy a row before changing it (writable_row)."""
        clone = Sheet(copy.deepcopy(self.props))
        clone.rows = list(self.rows)
        clone.meta = list(self.meta)
        clone.extra = copy.deepcopy(self.extra)
        return clone

    def ensure_rows(self, count: int) -> None:
        missing = count - len(self.rows)
        if missing > 0:
            self.rows.extend([] for _ in range(missing))
            self.meta.extend([None] * missing)
            self._own_all(self.rows[-missing:])

    def writable_row(self, index: int) -> Row:
        """The row at `index`, copied first if an earlier state still shares it."""
        self.ensure_rows(index + 1)
        row = self.rows[index]
        if id(row) not in self._fresh:
            row = list(row)
            self.rows[index] = row
            self._keep.append(row)
            self._fresh.add(id(row))
        return row

    def writable_meta(self, index: int) -> RowMeta:
        self.ensure_rows(index + 1)
        meta = self.meta[index]
        if meta is None or id(meta) not in self._fresh:
            meta = dict(meta or {})
            self.meta[index] = meta
            self._own_all([meta])
        return meta

    def own_new_rows(self, rows: list[Row], metas: list[RowMeta | None]) -> None:
        self._own_all(rows)
        self._own_all([m for m in metas if m is not None])

    def _own_all(self, objects: list[Any]) -> None:
        # Ids are only unique while the object lives, so fresh objects are kept alive here.
        self._keep.extend(objects)
        self._fresh.update(id(obj) for obj in objects)

    def cell_meta(self, row: int, col: int) -> dict[str, Any] | None:
        if row >= len(self.meta):
            return None
        meta = self.meta[row]
        return meta.get(col) if meta else None

    def trim(self, touched: range) -> None:
        """Drop trailing empty cells of the touched rows and trailing empty rows, so reads can slice as is."""
        for index in touched:
            if index < len(self.rows) and self.rows[index] and self.rows[index][-1] is None:
                row = self.writable_row(index)
                while row and row[-1] is None:
                    row.pop()
        while self.rows and not self.rows[-1] and not self.meta[-1]:
            self.rows.pop()
            self.meta.pop()

    def last_column_with_data(self) -> int:
        return max((len(row) for row in self.rows), default=0)


class Spreadsheet:
    """A spreadsheet file: properties, ordered tabs, named ranges, and who may open it."""

    def __init__(self, spreadsheet_id: str, props: dict[str, Any], *, owner: str, created: str) -> None:
        self.id = spreadsheet_id
        self.props = props
        self.sheets: list[Sheet] = []
        self.named_ranges: list[dict[str, Any]] = []
        self.shared_with: set[str] = {owner} if owner else set()
        self.owner = owner
        self.created = created
        self.modified = created
        self.version = 1
        """Drive's file version: goes up with every change, as a client can tell edits happened from it alone."""
        self.developer_metadata: list[dict[str, Any]] = []
        """The spreadsheet's own developer metadata; a sheet's is in its `extra`."""

    @property
    def title(self) -> str:
        return str(self.props["title"])

    def fork(self) -> Spreadsheet:
        clone = Spreadsheet(self.id, copy.deepcopy(self.props), owner=self.owner, created=self.created)
        clone.sheets = [sheet.fork() for sheet in self.sheets]
        clone.named_ranges = copy.deepcopy(self.named_ranges)
        clone.shared_with = set(self.shared_with)
        clone.modified = self.modified
        clone.version = self.version
        clone.developer_metadata = copy.deepcopy(self.developer_metadata)
        return clone

    def first_sheet(self) -> Sheet:
        visible = [s for s in self.sheets if not s.props.get("hidden")]
        return (visible or self.sheets)[0]

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None) or next(
            (s for s in self.sheets if s.title.lower() == title.lower()), None
        )

    def sheet_by_id(self, sheet_id: int, where: str = "") -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError.invalid(f"Invalid {where}: No grid with id: {sheet_id}".replace("Invalid : ", ""))

    def renumber(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.props["index"] = index

    def cell_count(self) -> int:
        return sum(s.row_count * s.column_count for s in self.sheets)

    def check_cell_limit(self) -> None:
        if self.cell_count() > CELL_LIMIT:
            msg = f"This action would increase the number of cells in the workbook above the limit of {CELL_LIMIT} cells."
            raise ApiError.invalid(msg)
