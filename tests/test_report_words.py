"""What the reports say: the escalation order, singular and plural, the configured thresholds, who gets a message."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from pmsheets.cli.main import main
from pmsheets.config import ReportsConfig
from pmsheets.core.overdue import EscalationLevel, Overdue, escalation_report, find_overdue, overdue_report, owner_digests
from pmsheets.core.policy import Policy
from pmsheets.core.report_log import ReportKind
from pmsheets.core.schema import parse
from pmsheets.outputs.delivery import file_size, plan
from pmsheets.outputs.report_render import render
from pmsheets.outputs.snapshot import write_snapshot
from tests.builders import AS_OF, UTC, tables, write_workbook
from tests.report_fixtures import PEOPLE, open_action, reviewed_incident, sample_overdue, sample_tables


def overdue_of(content: dict[str, object], policy: Policy | None = None) -> Overdue:
    return find_overdue(parse(content).register, as_of=AS_OF, policy=policy or Policy(timezone=UTC))


def one_overdue_action() -> Overdue:
    return overdue_of(
        tables(incidents=[reviewed_incident("INC-1")], actions=[open_action("ACT-001", "INC-1", date(2026, 11, 20))], People=PEOPLE)
    )


# --- order -------------------------------------------------------------------------------------


def test_escalation_lists_ops_review_then_manager_then_owner() -> None:
    levels = [entry.level for entry in escalation_report(sample_overdue()).items]
    assert levels == sorted(levels, key=lambda level: -level.rank)
    assert levels[0] is EscalationLevel.OPS_REVIEW


def test_escalation_within_a_level_lists_the_oldest_first() -> None:
    report = escalation_report(sample_overdue())
    for level in EscalationLevel:
        ages = [entry.item.days_overdue for entry in report.at_level(level)]
        assert ages == sorted(ages, reverse=True)


def test_escalation_email_shows_the_p0_ops_review_item_before_an_older_manager_item() -> None:
    html = render(escalation_report(sample_overdue())).html
    assert html.index("ACT-004") < html.index("ACT-002")  # 1 day but a P0 (ops review) before 8 days (manager)


def test_overdue_email_stays_oldest_first() -> None:
    text = render(overdue_report(sample_overdue())).text
    assert text.index("INC-4") < text.index("INC-3")  # the review 4 days late before the draft 1 day late


# --- singular and plural -------------------------------------------------------------------------


def test_overdue_subject_says_one_action_in_the_singular() -> None:
    subject = render(overdue_report(one_overdue_action())).subject
    assert subject == "Overdue post-mortem work 2026-W48: 1 action overdue, 0 post-mortems late, 0 actions not tracked"


def test_overdue_subject_says_several_in_the_plural() -> None:
    subject = render(overdue_report(sample_overdue())).subject
    assert "4 actions overdue, 2 post-mortems late, 2 actions not tracked" in subject


def test_overdue_headline_tiles_use_the_singular_for_one() -> None:
    html = render(overdue_report(one_overdue_action())).html
    assert "action overdue<" in html
    assert "actions overdue" not in html


def test_escalation_subject_counts_in_words() -> None:
    assert render(escalation_report(one_overdue_action())).subject.endswith(": 1 overdue item, 0 for the ops review")
    assert render(escalation_report(sample_overdue())).subject.endswith(": 6 overdue items, 2 for the ops review")


def test_digest_for_one_item_speaks_of_it_in_the_singular() -> None:
    [digest] = owner_digests(one_overdue_action())
    rendered = render(digest)
    assert rendered.subject.endswith(": 1 item, Tom Okafor")
    assert "1 item in the post-mortem register is yours and past its due date" in rendered.text


def test_no_report_says_item_s() -> None:
    overdue = sample_overdue()
    for report in (overdue_report(overdue), escalation_report(overdue), *owner_digests(overdue)):
        rendered = render(report)
        assert "(s)" not in rendered.subject + rendered.text + rendered.html


# --- labels follow the configured thresholds ----------------------------------------------------

STRICT = Policy(timezone=UTC, draft_overdue_hours=24, review_business_days=3)


def test_escalation_compliance_labels_follow_the_configured_thresholds() -> None:
    rendered = render(escalation_report(overdue_of(sample_tables(), STRICT)))
    for part in (rendered.html, rendered.text):
        assert "drafted within 24 h" in part
        assert "reviewed within 3 business days" in part
        assert "48 h" not in part
        assert "5 business days" not in part


def test_compliance_label_of_one_business_day_is_singular() -> None:
    policy = Policy(timezone=UTC, review_business_days=1)
    labels = [label for label, _ in escalation_report(overdue_of(sample_tables(), policy)).compliance.expectations]
    assert "Required post-mortems reviewed within 1 business day" in labels


def test_snapshot_compliance_labels_follow_the_configured_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=overdue_of(sample_tables(), STRICT), findings=[])
    labels = [row[0] for row in openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True)]
    assert "Required post-mortems drafted within 24 h" in labels
    assert "Required post-mortems reviewed within 3 business days" in labels
    assert not [label for label in labels if label and ("48 h" in label or "5 business days" in label)]


# --- who receives it ------------------------------------------------------------------------------


def test_escalation_says_the_snapshot_is_attached() -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com",), attach_snapshot=True)
    [escalation] = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=[], settings=settings)
    assert escalation.attachments
    assert "The Excel snapshot is attached (snapshot-2026-11-27.xlsx" in escalation.rendered.text
    assert "The Excel snapshot is attached (snapshot-2026-11-27.xlsx" in escalation.rendered.html


@pytest.mark.parametrize(("size", "said"), [(24_400, "24 KB"), (300, "1 KB"), (12_345_678, "12.3 MB")])
def test_snapshot_size_is_said_in_kb_or_mb(size: int, said: str) -> None:
    assert file_size(size) == said


def test_escalation_without_the_snapshot_does_not_mention_an_attachment() -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com",))
    [escalation] = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=[], settings=settings)
    assert "attached" not in escalation.rendered.text


def config_without_recipients(tmp_path: Path) -> Path:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    path = tmp_path / "pmsheets.yaml"
    config = {"register": {"path": "register.xlsx"}, "reports": {"dir": "reports", "overdue": {"to": ["team@example.com"]}}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_report_preview_says_who_would_receive_each_message(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(
        ["--config", str(config_without_recipients(tmp_path)), "report", "--as-of", "2026-11-27T09:00"], stdout=out, stderr=io.StringIO()
    )
    assert code == 0
    assert "overdue-2026-W48: to team@example.com" in out.getvalue()


def test_report_preview_without_recipients_says_none_are_configured(tmp_path: Path) -> None:
    out = io.StringIO()
    main(["--config", str(config_without_recipients(tmp_path)), "report", "--as-of", "2026-11-27T09:00"], stdout=out, stderr=io.StringIO())
    assert "escalation-2026-W48: no recipients configured (set reports.escalation.to, or pass --to)" in out.getvalue()
    assert "2 reports previewed" in out.getvalue()
