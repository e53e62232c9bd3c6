"""The Findings tab as a PM uses it, on both backends: links to the cells, level colours, a header that
stays bold, frozen and filtered, the Owner column, the check time, and the flagged cells marked on the
PM tabs by one tool-owned rule per tab, whose ranges are those cells, that never changes anything a PM made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import gspread
import openpyxl
import pytest
from google.oauth2.service_account import Credentials
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import PatternFill

from pmsheets.core.schema import FINDINGS_HEADERS
from pmsheets.register import FindingsLook, write_findings_if_changed
from pmsheets.register.findings_look import HIGHLIGHT_FORMULA, LEVEL_COLOURS, CellRange, is_highlight_formula
from pmsheets.register.google_auth import SCOPES
from pmsheets.register.google_session import client_for
from pmsheets.register.sheets import SheetsRegister, findings_update
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import SheetsEmulator
from tests.builders import action_row, incident_row, tables, write_workbook

ERROR = ["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2", "due 2026-11-20, 7 days overdue"]
INFO = ["info", "postmortem-required", "INC-1", "", "Pat", "Incidents!N2", "needs a post-mortem"]
TYPE = ["warning", "action-type-invalid", "INC-1", "ACT-1", "Ann", "Actions!D2", "not a type"]
STATUS = ["warning", "action-status-invalid", "INC-1", "ACT-1", "Ann", "Actions!H2", "not a status"]
LINK = ["warning", "action-link-missing", "INC-1", "ACT-1", "Ann", "Actions!G2", "no issue link"]
STAMP = "as of Fri 2026-11-27 09:00 UTC, pmsheets 9.9"
# The lookup rules versions before the ranges-as-cells rule wrote, each in its backend's spelling.
OLD_WORKBOOK_RULE = 'COUNTIF(Findings!$H:$H,"{tab}!"&ADDRESS(ROW(),COLUMN(),4))>0'
OLD_GOOGLE_RULE = '=COUNTIF(INDIRECT("Findings!$F:$F"),"{tab}!"&ADDRESS(ROW(),COLUMN(),4))>0'


class Tab(Protocol):
    """What a test reads back, the same on both backends."""

    def write(self, rows: list[list[str]], *, highlight: bool = True) -> None: ...
    def values(self, title: str) -> list[list[Any]]: ...
    def link(self, row: int) -> str | None: ...
    def fill(self, title: str, a1: str) -> str | None: ...
    def header_bold(self) -> bool: ...
    def frozen_rows(self) -> int: ...
    def filter_range(self) -> str | None: ...
    def check_and_write(self, rows: list[list[str]], *, highlight: bool = True) -> bool: ...
    def highlight_rules(self, title: str) -> list[str]: ...
    def flagged(self, title: str) -> list[str]: ...
    def delete_highlight(self, title: str) -> None: ...
    def add_older_versions_rule(self, title: str) -> None: ...
    def pm_state(self) -> Any: ...


def register(path: Path) -> Path:
    return write_workbook(
        path,
        tables(
            incidents=[incident_row(id="INC-1", severity="P0", incident_owner="Pat", resolved_at="2026-11-20 10:00")],
            actions=[
                action_row(id="ACT-1", incident_id="INC-1", type="Short-term", owner="Ann", due_date=date(2026, 11, 20), status="Open")
            ],
        ),
    )


class WorkbookTab:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.backend = XlsxRegister(path)

    def write(self, rows: list[list[str]], *, highlight: bool = True) -> None:
        self.backend.write_findings(rows, stamp=STAMP, highlight=highlight)

    def _sheet(self, title: str = "Findings") -> Any:
        return openpyxl.load_workbook(self.path)[title]

    def values(self, title: str) -> list[list[Any]]:
        return [list(row) for row in self._sheet(title).iter_rows(values_only=True)]

    def link(self, row: int) -> str | None:
        hyperlink = self._sheet()[f"F{row}"].hyperlink
        return None if hyperlink is None else hyperlink.location

    def fill(self, title: str, a1: str) -> str | None:
        fill = self._sheet(title)[a1].fill
        return fill.fgColor.rgb[-6:] if fill.fill_type == "solid" else None

    def header_bold(self) -> bool:
        return all(cell.font.b for cell in self._sheet()[1])

    def frozen_rows(self) -> int:
        return 1 if self._sheet().freeze_panes == "A2" else 0

    def filter_range(self) -> str | None:
        return self._sheet().auto_filter.ref

    def check_and_write(self, rows: list[list[str]], *, highlight: bool = True) -> bool:
        return write_findings_if_changed(self.backend, rows, look=FindingsLook(STAMP, highlight))[1]

    def _our_rules(self, title: str) -> list[tuple[str, str]]:
        """(sqref, formula) of each rule the tool wrote on the tab."""
        rules = self._sheet(title).conditional_formatting._cf_rules.items()
        return [(str(rng.sqref), f) for rng, group in rules for rule in group for f in rule.formula if is_highlight_formula(f)]

    def highlight_rules(self, title: str) -> list[str]:
        return [formula for _, formula in self._our_rules(title)]

    def flagged(self, title: str) -> list[str]:
        return sorted(cells for sqref, _ in self._our_rules(title) for cells in sqref.split())

    def delete_highlight(self, title: str) -> None:
        workbook = openpyxl.load_workbook(self.path)
        rules = workbook[title].conditional_formatting._cf_rules
        for rng in [rng for rng, group in rules.items() if all(is_highlight_formula(f) for r in group for f in r.formula)]:
            del rules[rng]
        workbook.save(self.path)

    def add_older_versions_rule(self, title: str) -> None:
        workbook = openpyxl.load_workbook(self.path)
        rule = FormulaRule(formula=[OLD_WORKBOOK_RULE.format(tab=title)], fill=PatternFill("solid", bgColor="F9CB9C"))
        workbook[title].conditional_formatting.add("A2:XFD1048576", rule)
        workbook.save(self.path)

    def pm_state(self) -> Any:
        workbook = openpyxl.load_workbook(self.path)
        state = {}
        for title in ("Incidents", "Actions"):
            sheet = workbook[title]
            state[title] = (
                [
                    (c.coordinate, c.value, c.number_format, repr(c.font), repr(c.fill), repr(c.comment))
                    for row in sheet.iter_rows()
                    for c in row
                ],
                [
                    (str(rng.sqref), [r.formula for r in group])
                    for rng, group in sheet.conditional_formatting._cf_rules.items()
                    if not any(is_highlight_formula(f) for r in group for f in r.formula)
                ],
                [(dv.sqref, dv.formula1) for dv in sheet.data_validations.dataValidation],
            )
        return state


class GoogleTab:
    def __init__(self, emulator: SheetsEmulator, client: gspread.Client, key: str) -> None:
        self.emulator, self.key = emulator, key
        self.backend = SheetsRegister(client, key)

    def write(self, rows: list[list[str]], *, highlight: bool = True) -> None:
        self.backend.read()
        self.backend.write_findings(rows, stamp=STAMP, highlight=highlight)

    def _sheet(self, title: str = "Findings") -> dict[str, Any]:
        answer = self.emulator.store.get(self.key, include_grid_data=True)
        return next(sheet for sheet in answer["sheets"] if sheet["properties"]["title"] == title)

    def _cell(self, title: str, row: int, column: int) -> dict[str, Any]:
        rows = self._sheet(title)["data"][0].get("rowData", [])
        values = rows[row - 1].get("values", []) if row <= len(rows) else []
        return values[column] if column < len(values) else {}

    def values(self, title: str) -> list[list[Any]]:
        return self.emulator.store.rows(self.key, title)

    def link(self, row: int) -> str | None:
        uri = self._cell("Findings", row, 5).get("userEnteredFormat", {}).get("textFormat", {}).get("link", {}).get("uri")
        if uri is None:
            return None
        ids = {sheet["properties"]["sheetId"]: sheet["properties"]["title"] for sheet in self.emulator.store.get(self.key)["sheets"]}
        gid, cell = uri.removeprefix("#gid=").split("&range=")
        return f"{ids[int(gid)]}!{cell}"

    def fill(self, title: str, a1: str) -> str | None:
        column, row = ord(a1[0]) - ord("A"), int(a1[1:])
        colour = self._cell(title, row, column).get("userEnteredFormat", {}).get("backgroundColor")
        if colour is None:
            return None
        return "".join(f"{round(colour.get(part, 0) * 255):02X}" for part in ("red", "green", "blue"))

    def header_bold(self) -> bool:
        return all(self._cell("Findings", 1, c).get("userEnteredFormat", {}).get("textFormat", {}).get("bold") for c in range(7))

    def frozen_rows(self) -> int:
        return int(self._sheet()["properties"]["gridProperties"].get("frozenRowCount", 0))

    def filter_range(self) -> str | None:
        rng = self._sheet().get("basicFilter", {}).get("range")
        if rng is None:
            return None
        return f"A1:{chr(ord('A') + rng['endColumnIndex'] - 1)}{rng['endRowIndex']}"

    def check_and_write(self, rows: list[list[str]], *, highlight: bool = True) -> bool:
        self.backend.read()
        return write_findings_if_changed(self.backend, rows, look=FindingsLook(STAMP, highlight))[1]

    def _our_rules(self, title: str) -> list[tuple[int, dict[str, Any]]]:
        """(index, rule) of each rule the tool wrote on the tab."""
        rules = enumerate(self._sheet(title).get("conditionalFormats", []))
        return [(index, rule) for index, rule in rules if self._ours(rule)]

    def highlight_rules(self, title: str) -> list[str]:
        return [rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"].removeprefix("=") for _, rule in self._our_rules(title)]

    def flagged(self, title: str) -> list[str]:
        ranges = [grid for _, rule in self._our_rules(title) for grid in rule["ranges"]]
        return sorted(
            CellRange(g.get("startRowIndex", 0), g.get("startColumnIndex", 0), g["endRowIndex"] - 1, g["endColumnIndex"] - 1).a1()
            for g in ranges
        )

    def delete_highlight(self, title: str) -> None:
        sheet_id = self._sheet(title)["properties"]["sheetId"]
        deletes = [{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}} for index, _ in reversed(self._our_rules(title))]
        self.emulator.store.batch_update(self.key, {"requests": deletes})

    def add_older_versions_rule(self, title: str) -> None:
        sheet_id = self._sheet(title)["properties"]["sheetId"]
        rule = {
            "ranges": [{"sheetId": sheet_id, "startRowIndex": 1}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": OLD_GOOGLE_RULE.format(tab=title)}]},
                "format": {"backgroundColor": {"red": 1}},
            },
        }
        self.emulator.store.batch_update(self.key, {"requests": [{"addConditionalFormatRule": {"rule": rule, "index": 0}}]})

    def pm_state(self) -> Any:
        state = {}
        for title in ("Incidents", "Actions"):
            sheet = self._sheet(title)
            rules = [rule for rule in sheet.get("conditionalFormats", []) if not self._ours(rule)]
            state[title] = (sheet["data"], rules, sheet["properties"])
        return state

    @staticmethod
    def _ours(rule: dict[str, Any]) -> bool:
        values = rule.get("booleanRule", {}).get("condition", {}).get("values", [{}])
        return is_highlight_formula(values[0].get("userEnteredValue", ""))


@pytest.fixture
def validating_emulator() -> Iterator[SheetsEmulator]:
    with SheetsEmulator(validate_schema=True) as running:
        yield running
        assert running.schema_violations == []


@pytest.fixture(params=["xlsx", "google"])
def tab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tab]:
    workbook = register(tmp_path / "register.xlsx")
    if request.param == "xlsx":
        yield WorkbookTab(workbook)
        return
    emulator = request.getfixturevalue("validating_emulator")
    client = client_for(Credentials.from_service_account_info(emulator.service_account_info(), scopes=list(SCOPES)), emulator.url)
    yield GoogleTab(emulator, client, emulator.load_xlsx(workbook))
    client.http_client.session.close()


def test_cell_reference_links_to_that_cell(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    assert (tab.link(2), tab.link(3)) == ("Actions!F2", "Incidents!N2")


def test_a_cell_reference_to_no_tab_of_the_register_has_no_link(tab: Tab) -> None:
    tab.write([[*ERROR[:5], "Gone!F2", ERROR[6]], [*ERROR[:5], "", ERROR[6]]])
    assert (tab.link(2), tab.link(3)) == (None, None)


def test_level_is_shown_by_colour(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    assert (tab.fill("Findings", "A2"), tab.fill("Findings", "A3")) == (LEVEL_COLOURS["error"], LEVEL_COLOURS["info"])


def test_header_stays_bold_frozen_and_filtered_on_every_write(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    tab.write([ERROR])
    assert (tab.header_bold(), tab.frozen_rows(), tab.filter_range()) == (True, 1, "A1:G2")


def test_header_names_owner_and_shows_check_time_and_version(tab: Tab) -> None:
    tab.write([ERROR])
    header = tab.values("Findings")[0]
    assert header[:6] == list(FINDINGS_HEADERS[:6])
    assert header[6] == f"Message ({STAMP})"


def test_each_pm_tab_with_flagged_cells_gets_one_highlight_rule_however_often_it_is_written(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    tab.write([INFO, ERROR])
    tab.write([ERROR, INFO, ERROR])
    assert [tab.highlight_rules(title) for title in ("Incidents", "Actions")] == [[HIGHLIGHT_FORMULA], [HIGHLIGHT_FORMULA]]


def test_the_rule_covers_exactly_the_flagged_cells(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    assert (tab.flagged("Actions"), tab.flagged("Incidents")) == (["F2"], ["N2"])


def test_a_new_finding_adds_its_cell_to_the_rule(tab: Tab) -> None:
    tab.write([ERROR])
    tab.write([ERROR, TYPE])
    assert tab.flagged("Actions") == ["D2", "F2"]


def test_a_fixed_finding_takes_its_cell_out_of_the_rule(tab: Tab) -> None:
    tab.write([ERROR, TYPE])
    tab.write([ERROR])
    assert tab.flagged("Actions") == ["F2"]


def test_a_tab_left_without_flagged_cells_loses_the_rule(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    tab.write([INFO])
    assert (tab.highlight_rules("Actions"), tab.flagged("Incidents")) == ([], ["N2"])


def test_flagged_cells_side_by_side_make_one_range(tab: Tab) -> None:
    tab.write([ERROR, LINK, STATUS])
    assert tab.flagged("Actions") == ["F2:H2"]


def test_highlight_off_removes_the_rule(tab: Tab) -> None:
    tab.write([ERROR, INFO])
    tab.write([ERROR, INFO], highlight=False)
    assert (tab.highlight_rules("Incidents"), tab.highlight_rules("Actions")) == ([], [])


def test_a_deleted_highlight_rule_makes_an_unchanged_check_write_again(tab: Tab) -> None:
    tab.write([ERROR])
    assert tab.check_and_write([ERROR]) is False
    tab.delete_highlight("Actions")
    assert tab.check_and_write([ERROR]) is True
    assert tab.flagged("Actions") == ["F2"]


def test_an_older_versions_lookup_rule_is_replaced_even_when_the_findings_are_the_same(tab: Tab) -> None:
    tab.write([ERROR])
    tab.delete_highlight("Actions")
    tab.add_older_versions_rule("Actions")
    assert tab.highlight_rules("Actions") != [HIGHLIGHT_FORMULA]  # the old rule is known as the tool's
    assert tab.check_and_write([ERROR]) is True
    assert (tab.highlight_rules("Actions"), tab.flagged("Actions")) == ([HIGHLIGHT_FORMULA], ["F2"])


def test_turning_highlight_off_writes_even_when_the_findings_are_the_same(tab: Tab) -> None:
    tab.write([ERROR])
    assert tab.check_and_write([ERROR], highlight=False) is True
    assert tab.highlight_rules("Actions") == []


def test_writing_changes_no_pm_value_format_note_or_rule(tab: Tab) -> None:
    before = tab.pm_state()
    tab.write([ERROR, INFO])
    tab.write([ERROR], highlight=False)
    assert tab.pm_state() == before


# --- the workbook backend: a PM's own rule, note and filter ---------------------------------------


def test_workbook_pm_rule_and_note_survive_highlight_on_and_off(tmp_path: Path) -> None:
    path = register(tmp_path / "register.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Actions"]["F2"].comment = Comment("agreed new date with Ann", "Pat")
    workbook["Actions"].conditional_formatting.add(
        "F2:F50", CellIsRule(operator="lessThan", formula=["TODAY()"], fill=PatternFill("solid", fgColor="FFC7CE"))
    )
    workbook.save(path)
    findings = WorkbookTab(path)
    before = findings.pm_state()
    findings.write([ERROR])
    assert findings.highlight_rules("Actions") == [HIGHLIGHT_FORMULA]
    findings.write([ERROR], highlight=False)
    assert findings.pm_state() == before


def test_workbook_filter_criteria_a_pm_set_are_kept(tmp_path: Path) -> None:
    findings = WorkbookTab(register(tmp_path / "register.xlsx"))
    findings.write([ERROR, INFO])
    workbook = openpyxl.load_workbook(findings.path)
    workbook["Findings"].auto_filter.add_filter_column(4, ["Ann"])
    workbook.save(findings.path)
    findings.write([ERROR, INFO, ERROR])
    sheet = openpyxl.load_workbook(findings.path)["Findings"]
    assert (sheet.auto_filter.ref, [c.filters.filter for c in sheet.auto_filter.filterColumn]) == ("A1:G4", [["Ann"]])


# --- the Google backend: a PM's own rule and filter, and the request budget -----------------------


def test_google_filter_criteria_a_pm_set_are_kept(validating_emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = validating_emulator.load_xlsx(register(tmp_path / "register.xlsx"))
    client = client_for(
        Credentials.from_service_account_info(validating_emulator.service_account_info(), scopes=list(SCOPES)), validating_emulator.url
    )
    findings = GoogleTab(validating_emulator, client, key)
    findings.write([ERROR, INFO])
    sheet_id = findings._sheet()["properties"]["sheetId"]
    criteria = {"4": {"hiddenValues": ["Pat"]}}
    validating_emulator.store.batch_update(
        key,
        {
            "requests": [
                {
                    "setBasicFilter": {
                        "filter": {"range": {"sheetId": sheet_id, "endRowIndex": 3, "endColumnIndex": 7}, "criteria": criteria}
                    }
                }
            ]
        },
    )
    findings.write([ERROR, INFO, ERROR])
    assert findings._sheet()["basicFilter"]["criteria"] == criteria
    assert findings.filter_range() == "A1:G4"


def google_tab_with_a_pm_rule(emulator: SheetsEmulator, tmp_path: Path) -> GoogleTab:
    """The register on the emulator, its Actions tab carrying a PM's own rule that makes open actions bold."""
    key = emulator.load_xlsx(register(tmp_path / "register.xlsx"))
    client = client_for(Credentials.from_service_account_info(emulator.service_account_info(), scopes=list(SCOPES)), emulator.url)
    findings = GoogleTab(emulator, client, key)
    actions_id = findings._sheet("Actions")["properties"]["sheetId"]
    pm_rule = {
        "ranges": [{"sheetId": actions_id, "startRowIndex": 1}],
        "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": '=$H2="Open"'}]},
            "format": {"textFormat": {"bold": True}},
        },
    }
    emulator.store.batch_update(key, {"requests": [{"addConditionalFormatRule": {"rule": pm_rule, "index": 0}}]})
    return findings


def rule_formulas(findings: GoogleTab, title: str) -> list[str]:
    rules = findings._sheet(title).get("conditionalFormats", [])
    return [rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for rule in rules]


def test_google_pm_rule_is_kept_and_the_write_stays_one_request(validating_emulator: SheetsEmulator, tmp_path: Path) -> None:
    findings = google_tab_with_a_pm_rule(validating_emulator, tmp_path)
    writes = validating_emulator.count("write")
    findings.write([ERROR])
    findings.write([ERROR], highlight=False)
    assert validating_emulator.count("write") - writes == 2
    assert rule_formulas(findings, "Actions") == ['=$H2="Open"']


def test_google_the_tools_rule_comes_after_a_pms_own_rules(validating_emulator: SheetsEmulator, tmp_path: Path) -> None:
    findings = google_tab_with_a_pm_rule(validating_emulator, tmp_path)
    findings.write([ERROR])
    findings.write([ERROR, TYPE])
    assert rule_formulas(findings, "Actions") == ['=$H2="Open"', "=" + HIGHLIGHT_FORMULA]


def request_for(rows: list[list[str]], *, highlight: bool, max_bytes: int) -> tuple[dict[str, Any], int]:
    """The Findings write's request body, for a spreadsheet with an Actions tab of 100,000 rows, and how many findings it shows."""
    sheets = {"Actions": {"properties": {"sheetId": 9, "title": "Actions", "gridProperties": {"rowCount": 100_000, "columnCount": 20}}}}
    body, shown = findings_update(sheets, rows, look=FindingsLook(highlight=highlight), max_bytes=max_bytes)
    return json.loads(bytes(body)), shown


def every_other_row(count: int) -> list[list[str]]:
    """Warnings on F2, F4, F6...: cells no range can merge."""
    return [["warning", "action-due-missing", "INC-1", f"ACT-{n}", "Ann", f"Actions!F{2 * n + 2}", "no due date"] for n in range(count)]


def test_google_only_the_cells_of_findings_the_tab_shows_are_marked() -> None:
    rows = every_other_row(2000)
    request, shown = request_for(rows, highlight=True, max_bytes=300_000)
    [rule] = [r["addConditionalFormatRule"]["rule"] for r in request["requests"] if "addConditionalFormatRule" in r]
    assert 0 < shown < len(rows)
    assert [grid["startRowIndex"] for grid in rule["ranges"]] == [2 * n + 1 for n in range(shown)]


def test_google_each_shown_findings_cell_counts_against_the_request_size() -> None:
    rows = every_other_row(2000)
    _, shown_plain = request_for(rows, highlight=False, max_bytes=300_000)
    request, shown = request_for(rows, highlight=True, max_bytes=300_000)
    assert shown < shown_plain
    # Left uncounted, the ~100 bytes of each cell's range would take this request past the size.
    assert len(json.dumps(request, separators=(",", ":"))) <= 300_000


# --- what the rule is ------------------------------------------------------------------------------


def test_the_rules_formula_is_the_tools_and_an_older_versions_lookup_is_too() -> None:
    assert is_highlight_formula("=" + HIGHLIGHT_FORMULA)
    assert is_highlight_formula(HIGHLIGHT_FORMULA)
    assert is_highlight_formula(OLD_GOOGLE_RULE.format(tab="Actions"))
    assert is_highlight_formula(OLD_WORKBOOK_RULE.format(tab="'It''s'"))


def test_a_pm_formula_is_never_taken_for_the_tools() -> None:
    assert not is_highlight_formula('=COUNTIF($A:$A,"x")>0')
    assert not is_highlight_formula('=$H2="Open"')
    assert not is_highlight_formula('=N("my own note")=0')
