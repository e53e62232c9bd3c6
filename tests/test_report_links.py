"""The emails' links: the register, each item's row, its ticket, its post-mortem document; http(s) only."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import gspread
import pytest
import yaml

from pmsheets import config
from pmsheets.cli.main import main
from pmsheets.config import ReportsConfig
from pmsheets.core.overdue import Overdue, escalation_report, find_overdue, overdue_report, owner_digests
from pmsheets.core.policy import Policy
from pmsheets.core.schema import parse
from pmsheets.errors import ConfigError
from pmsheets.outputs.delivery import links_for
from pmsheets.outputs.links import Links
from pmsheets.outputs.report_render import render
from pmsheets.register import RawRegister
from sheets_emulator import SheetsEmulator
from tests.builders import AS_OF, UTC, sheets_register, tables, write_workbook
from tests.report_fixtures import PEOPLE, open_action, reviewed_incident, sample_overdue, sample_tables

SHEET = "https://docs.google.com/spreadsheets/d/KEY/edit"
LINKS = Links(SHEET, {"Incidents": 0, "Actions": 11}, "https://jira.example.com/browse/{key}", "https://github.com")


def hrefs(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'<a href="([^"]*)"', html)]


def overdue_with_links(*links: str | None) -> Overdue:
    actions = [open_action(f"ACT-{n:03d}", "INC-1", date(2026, 11, 20), tracking_link=link) for n, link in enumerate(links, start=1)]
    content = tables(incidents=[reviewed_incident("INC-1", post_mortem_doc="javascript:alert(1)")], actions=actions, People=PEOPLE)
    return find_overdue(parse(content).register, as_of=AS_OF, policy=Policy(timezone=UTC))


# --- where a tracking cell points ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "url"),
    [
        ("DATA-301", "https://jira.example.com/browse/DATA-301"),
        ("https://tracker.example.com/OPS-1?x=1&y=2", "https://tracker.example.com/OPS-1?x=1&y=2"),
        ("acme/app#123", "https://github.com/acme/app/issues/123"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(document.cookie)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ('DATA-301" onmouseover="alert(1)', None),
        ("see the ticket", None),
        ("#123", None),  # github.com alone names no repository
    ],
)
def test_tracking_cell_links_only_to_http_urls(cell: str, url: str | None) -> None:
    assert LINKS.tracking(cell) == url


def test_bare_issue_number_links_when_github_url_names_a_repository() -> None:
    links = Links(github_url="https://github.example.com/acme/app")
    assert links.tracking("#42") == "https://github.example.com/acme/app/issues/42"
    assert links.tracking("other/repo#7") == "https://github.example.com/other/repo/issues/7"


def test_tracker_key_stays_text_without_a_tracker_url() -> None:
    assert Links().tracking("DATA-301") is None


def test_row_link_selects_the_row_in_its_tab() -> None:
    [item] = overdue_with_links("OPS-1").actions
    assert LINKS.row(item.ref) == f"{SHEET}#gid=11&range=A2"


def test_workbook_register_has_no_register_or_row_links() -> None:
    links = links_for(RawRegister(tables={}), ReportsConfig(tracker_url="https://jira.example.com/browse/{key}"))
    [item] = overdue_with_links("OPS-1").actions
    assert (links.register_url, links.row(item.ref), links.tracking("OPS-1")) == (None, None, "https://jira.example.com/browse/OPS-1")


# --- in the emails ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["overdue", "escalation", "digest"])
def test_every_email_links_the_register_rows_tickets_and_documents(kind: str) -> None:
    overdue = sample_overdue()
    report = {"overdue": overdue_report, "escalation": escalation_report, "digest": lambda o: owner_digests(o)[1]}[kind](overdue)
    links = hrefs(render(report, links=LINKS).html)
    assert SHEET in links
    assert f"{SHEET}#gid=11&range=A3" in links  # ACT-002's row (Priya's, so in her digest too)
    assert "https://jira.example.com/browse/OPS-002" in links
    assert "https://docs.example.com/pm" in links


def test_escalation_links_a_late_post_mortem_to_its_incident_row() -> None:
    links = hrefs(render(escalation_report(sample_overdue()), links=LINKS).html)
    assert f"{SHEET}#gid=0&range=A5" in links  # INC-4, the 4th incident


def test_every_link_in_an_email_is_http() -> None:
    overdue = overdue_with_links("javascript:alert(1)", "OPS-1", "https://ok.example.com/1")
    for report in (overdue_report(overdue), escalation_report(overdue)):
        assert all(href.startswith(("https://", "http://")) for href in hrefs(render(report, links=LINKS).html))


def test_javascript_in_a_cell_is_never_linked() -> None:
    overdue = overdue_with_links("javascript:alert(1)")
    for report in (overdue_report(overdue), escalation_report(overdue)):
        rendered = render(report, links=LINKS)
        assert "javascript:alert(1)" in rendered.html  # shown as text
        assert not [href for href in hrefs(rendered.html) if "javascript" in href.lower()]


def test_link_with_an_ampersand_is_escaped_in_the_href() -> None:
    html = render(overdue_report(overdue_with_links("https://t.example.com/a?x=1&y=<2>")), links=LINKS).html
    assert "y=<2>" not in html
    html = render(overdue_report(overdue_with_links("https://t.example.com/a?x=1&y=2")), links=LINKS).html
    assert 'href="https://t.example.com/a?x=1&amp;y=2"' in html


def test_text_part_lists_the_urls_of_the_links() -> None:
    text = render(escalation_report(sample_overdue()), links=LINKS).text
    assert f"Register: {SHEET}" in text
    assert f"register row: {SHEET}#gid=11&range=A2" in text
    assert "tracking: https://jira.example.com/browse/OPS-001" in text


def test_email_without_links_has_no_anchor_for_keys() -> None:
    html = render(overdue_report(sample_overdue())).html
    assert "https://jira" not in html
    assert not [href for href in hrefs(html) if "OPS-" in href]


# --- where the links come from -------------------------------------------------------------------


def test_google_register_read_gives_its_address_and_tab_ids(
    emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path
) -> None:
    backend = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", sample_tables()))
    raw = backend.read()
    links = links_for(raw, ReportsConfig())
    [item] = [i for i in sample_overdue().actions if i.id == "ACT-001"]
    assert raw.url is not None
    assert raw.url.startswith("https://docs.google.com/spreadsheets/d/")
    assert links.row(item.ref) == f"{raw.url}#gid={raw.sheet_ids['Actions']}&range=A2"


def test_config_tracker_url_needs_the_key_field() -> None:
    with pytest.raises(ConfigError, match=r"reports\.tracker_url"):
        config.from_mapping({"reports": {"tracker_url": "https://jira.example.com/browse/"}})


def test_config_tracker_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match=r"reports\.tracker_url"):
        config.from_mapping({"reports": {"tracker_url": "javascript:alert('{key}')"}})


def test_config_github_url_defaults_to_github() -> None:
    assert config.from_mapping({}).reports.github_url == "https://github.com"


def test_report_preview_links_the_tracker_from_the_config(tmp_path: Path) -> None:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    path = tmp_path / "pmsheets.yaml"
    reports = {"dir": "reports", "tracker_url": "https://jira.example.com/browse/{key}", "overdue": {"to": ["t@example.com"]}}
    path.write_text(yaml.safe_dump({"register": {"path": "register.xlsx"}, "reports": reports}), encoding="utf-8")
    assert (
        main(["--config", str(path), "report", "overdue", "--as-of", "2026-11-27T09:00"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    )
    html = (tmp_path / "reports" / "overdue-2026-W48.html").read_text(encoding="utf-8")
    assert 'href="https://jira.example.com/browse/OPS-001"' in html
