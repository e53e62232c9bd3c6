"""Raw register -> typed register -> findings, in the order a PM reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from pmsheets.core import policy as policy_rules
from pmsheets.core.documents import NO_DOCUMENTS, Documents
from pmsheets.core.schema import PM_TABS, ParseResult, ParseSettings, RawWorkbook, column_index, find_tab, parse
from pmsheets.errors import RegisterError
from pmsheets.gc_pause import paused_gc
from pmsheets.model import Finding, Level, Register


@dataclass(frozen=True, slots=True)
class Validation:
    register: Register
    findings: list[Finding]
    as_of: datetime

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(str(f.level) for f in self.findings)
        return {str(level): counted.get(str(level), 0) for level in Level}

    @property
    def has_errors(self) -> bool:
        return any(f.level is Level.ERROR for f in self.findings)

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "findings": [f.as_dict() for f in self.findings],
            "counts": self.counts,
        }


def findings_rows(findings: Sequence[Finding], register: Register) -> list[list[str]]:
    """The Findings tab's rows, as text in FINDINGS_HEADERS order.

    Owner is the action's owner for an action finding, else the incident's, so a PM can filter "mine"."""
    owners = _owners(register)
    with paused_gc():
        return [
            [f.level.value, f.rule, f.incident or "", f.action or "", owners.get((f.incident, f.action), ""), f.cell or "", f.message]
            for f in findings
        ]


def _owners(register: Register) -> dict[tuple[str | None, str | None], str]:
    """(incident id, action id) -> owner; (incident id, None) for the incident's own. The first row of a duplicated ID wins."""
    owners: dict[tuple[str | None, str | None], str] = {}
    for incident in register.incidents:
        if incident.id is not None and incident.owner:
            owners.setdefault((incident.id, None), incident.owner)
    for action in register.actions:
        owner = action.owner or owners.get((action.incident_id, None))
        if action.id is not None and owner:
            owners.setdefault((action.incident_id, action.id), owner)
    return owners


def findings_stamp(as_of: datetime, timezone: tzinfo, version: str) -> str:
    """When the findings were checked and by which tool, shown on the Findings tab."""
    return f"as of {as_of.astimezone(timezone):%a %Y-%m-%d %H:%M %Z}, pmsheets {version}"


def not_all_shown(shown: int, total: int) -> str:
    """What to add to a line about the Findings write when the tab could not take them all."""
    if shown >= total:
        return ""
    return f"; it shows {shown:,} of them, errors first (one Google Sheets request carries at most 10 MB)"


class NotARegister(RegisterError):
    """None of the required tabs is there: this is some other spreadsheet."""


def validate(
    raw: RawWorkbook, *, as_of: datetime, policy: policy_rules.Policy, settings: ParseSettings, documents: Documents = NO_DOCUMENTS
) -> Validation:
    return check_parsed(parse_register(raw, settings), as_of=as_of, policy=policy, documents=documents)


def parse_register(raw: RawWorkbook, settings: ParseSettings) -> ParseResult:
    """The typed register and the findings about its values; the first half of `validate`.

    A caller holding a large read can let the raw rows go between the halves (the worker does):
    nothing after parsing reads them."""
    required = [tab for tab in PM_TABS if tab.required]
    if all(find_tab(raw, tab) is None for tab in required):
        names = ", ".join(repr(title) for title in raw) or "none"
        wanted = " and ".join(repr(tab.title) for tab in required)
        msg = (
            f"this does not look like a post-mortem register: it has no {wanted} tab (its tabs: {names}). "
            "Check register.path, or create a register with: pmsheets init --xlsx PATH"
        )
        raise NotARegister(msg)
    with paused_gc():
        return parse(raw, settings)


def check_parsed(parsed: ParseResult, *, as_of: datetime, policy: policy_rules.Policy, documents: Documents = NO_DOCUMENTS) -> Validation:
    """The policy's findings on a parsed register, with the parse's own, in reading order; the second half of `validate`."""
    with paused_gc():
        findings = parsed.findings + policy_rules.check(parsed.register, as_of, policy, documents)
        return Validation(parsed.register, sort_findings(findings, parsed.register), as_of)


_DIGITS = "0123456789"


def sort_findings(findings: list[Finding], register: Register) -> list[Finding]:
    """Register-wide findings first, then tab by tab, row by row, left to right."""
    tab_rank = {}
    for rank, tab in enumerate(PM_TABS):
        title = register.tab_titles.get(tab.key, tab.title)
        tab_rank[title] = rank
        tab_rank["'" + title.replace("'", "''") + "'"] = rank
    rule_rank = {rule.id: rank for rank, rule in enumerate(policy_rules.RULES)}
    # A register at the Sheets limit has a million findings but few distinct "Tab!COL" prefixes.
    places: dict[str, tuple[int, int] | None] = {}

    def key(finding: Finding) -> tuple[int, int, int, int, int]:
        rule = rule_rank.get(finding.rule, len(rule_rank))
        cell = finding.cell or ""
        prefix = cell.rstrip(_DIGITS)
        if prefix != cell:
            if prefix not in places:
                places[prefix] = _place(prefix, tab_rank)
            place = places[prefix]
            if place is not None:
                return (1, place[0], int(cell[len(prefix) :]), place[1], rule)
        return (0, 0, 0, 0, rule)

    return sorted(findings, key=key)


def _place(prefix: str, tab_rank: dict[str, int]) -> tuple[int, int] | None:
    """("Tab!COL") -> (the tab's rank, the column's number), None when it is not a cell reference."""
    tab, bang, letters = prefix.rpartition("!")
    if not (bang and tab and letters.isascii() and letters.isalpha() and letters.isupper()):
        return None
    return tab_rank.get(tab, len(PM_TABS)), column_index(letters) + 1
