"""`pmsheets report` and `pmsheets export` end to end: a workbook register, a config file, a real SMTP server."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from pmsheets.cli.main import main
from pmsheets.core.report_log import LOG_TITLE, read_log
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import write_workbook
from tests.report_fixtures import sample_tables
from tests.smtp_server import HOST, free_port, running_server

AS_OF = "2026-11-27T09:00"


def setup(tmp_path: Path, **mail: Any) -> Path:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    config = {
        "register": {"path": "register.xlsx"},
        "mail": {"from": "pmsheets <reports@example.com>", "outbox": "outbox", **mail},
        "reports": {
            "dir": "reports",
            "overdue": {"to": ["team@example.com"]},
            "escalation": {"to": ["ops@example.com"], "attach_snapshot": True},
        },
    }
    path = tmp_path / "pmsheets.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(config: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def logged(tmp_path: Path) -> list[tuple[str, str]]:
    return [(e.kind, e.recipient) for e in read_log(XlsxRegister(tmp_path / "register.xlsx").read().tables)]


def test_report_without_send_writes_previews_and_says_where(tmp_path: Path) -> None:
    code, out, _ = run(setup(tmp_path), "report", "--as-of", AS_OF)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "escalation-2026-W48.eml", "escalation-2026-W48.html", "escalation-2026-W48.txt",
        "overdue-2026-W48.eml", "overdue-2026-W48.html", "overdue-2026-W48.txt",
    ]  # fmt: skip
    assert "nothing was sent" in out
    assert str(tmp_path / "reports") in out


def test_report_without_send_logs_nothing(tmp_path: Path) -> None:
    run(setup(tmp_path), "report", "--as-of", AS_OF)
    assert LOG_TITLE not in openpyxl.load_workbook(tmp_path / "register.xlsx").sheetnames


def test_report_send_to_the_file_outbox_logs_each_recipient(tmp_path: Path) -> None:
    code, _, _ = run(setup(tmp_path), "report", "--as-of", AS_OF, "--send")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["escalation-2026-W48.eml", "overdue-2026-W48.eml"]
    assert logged(tmp_path) == [("overdue", "team@example.com"), ("escalation", "ops@example.com"), ("escalation", "dana@example.com")]


def test_report_send_twice_says_already_sent(tmp_path: Path) -> None:
    config = setup(tmp_path)
    run(config, "report", "overdue", "--as-of", AS_OF, "--send")
    code, out, _ = run(config, "report", "overdue", "--as-of", AS_OF, "--send")
    assert code == 0
    assert "already sent this week" in out
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_report_send_over_smtp_delivers_with_the_snapshot_attached(tmp_path: Path) -> None:
    with running_server() as server:
        config = setup(tmp_path, transport="smtp", smtp={"host": HOST, "port": server.port, "security": "none", "timeout": 5})
        code, _, err = run(config, "report", "escalation", "--as-of", AS_OF, "--send")
    assert (code, err) == (0, "")
    message = server.handler.received[0].message
    assert (message["To"], message["Cc"]) == ("ops@example.com", "dana@example.com")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "snapshot-2026-11-27.xlsx"


def test_report_send_to_an_unreachable_server_fails_and_logs_nothing(tmp_path: Path) -> None:
    config = setup(tmp_path, transport="smtp", smtp={"host": HOST, "port": free_port(), "security": "none", "timeout": 5})
    code, _, err = run(config, "report", "--as-of", AS_OF, "--send")
    assert code == 1
    assert "NOT sent" in err
    assert logged(tmp_path) == []


def test_report_send_while_the_workbook_is_open_sends_nothing(tmp_path: Path) -> None:
    config = setup(tmp_path)
    (tmp_path / "~$register.xlsx").write_bytes(b"lock")
    code, _, err = run(config, "report", "--as-of", AS_OF, "--send")
    assert code == 2
    assert "open in Excel or LibreOffice" in err
    assert "--no-write" not in err
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())


def test_report_to_overrides_recipients(tmp_path: Path) -> None:
    run(setup(tmp_path), "report", "overdue", "--as-of", AS_OF, "--send", "--to", "me@example.com")
    assert logged(tmp_path) == [("overdue", "me@example.com")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resend"], "--resend only makes sense with --send"),
        (["--send", "--to", "not an address"], "--to 'not an address' is not an email address"),
    ],
)
def test_report_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run(setup(tmp_path), "report", "--as-of", AS_OF, *args)
    assert code == 2
    assert message in err


def test_export_writes_the_dated_snapshot_under_reports(tmp_path: Path) -> None:
    code, out, _ = run(setup(tmp_path), "export", "--as-of", AS_OF)
    path = tmp_path / "reports" / "snapshot-2026-11-27.xlsx"
    assert code == 0
    assert str(path) in out
    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "Incidents", "Actions", "Overdue", "Findings"]


def test_export_out_chooses_the_path(tmp_path: Path) -> None:
    run(setup(tmp_path), "export", "--as-of", AS_OF, "--out", str(tmp_path / "ops.xlsx"))
    assert (tmp_path / "ops.xlsx").exists()
