"""postmortems.publish: google_docs, through real google-auth over HTTP against the emulator's Drive v3.

Every exchange is checked against the Drive v3 discovery document (the `sheets_emulator` fixture).
A person's edit is the emulator's `edit_doc`: new content, and they become the last modifier.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from pmsheets.core.documents import Documents, Unreadable, read_document
from pmsheets.outputs import google_docs
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import USER_RATE_LIMIT, SheetsEmulator
from sheets_emulator.testing import FakeClock, clock, sheets_emulator
from tests.builders import AS_OF, write_workbook
from tests.cli_helpers import run
from tests.pauses import Pauses
from tests.postmortem_fixtures import sample_tables
from tests.troubleshooting_doc import DOCUMENTED, shape

P0_TITLE = "2026-11-20-inc-1-checkout-api-outage"


__all__ = ["clock", "sheets_emulator"]  # the fixtures: an emulator on a fake clock, every exchange checked against the discovery documents


@pytest.fixture
def drive(sheets_emulator: SheetsEmulator) -> SheetsEmulator:
    return sheets_emulator


def project(tmp_path: Path, emulator: SheetsEmulator, folder: str, extra: str = "") -> Path:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    emulator.write_key_file(tmp_path / "key.json")
    config = tmp_path / "pmsheets.yaml"
    config.write_text(
        "register:\n  path: register.xlsx\npostmortems:\n  publish: google_docs\n"
        f"  google_docs:\n    folder: {folder}\n    credentials: key.json\n    api_endpoint: {emulator.url}\n{extra}",
        encoding="utf-8",
    )
    return config


def generate(config: Path, *args: str) -> tuple[int, str, str]:
    return run("--config", str(config), "generate", "--as-of", AS_OF.isoformat(), *args)


def docs_by_title(emulator: SheetsEmulator) -> dict[str, str]:
    return {doc.name: doc.id for doc in emulator.store.docs.docs.values()}


def incidents_text(tmp_path: Path) -> str:
    return str(XlsxRegister(tmp_path / "register.xlsx").read().tables["Incidents"])


# --- creating --------------------------------------------------------------------------------------


def test_each_draft_becomes_a_google_doc_in_the_folder(tmp_path: Path, drive: SheetsEmulator) -> None:
    folder = drive.create_folder()
    code, out, _ = generate(project(tmp_path, drive, folder))
    assert code == 0, out
    assert sorted(docs_by_title(drive)) == [
        P0_TITLE,
        "2026-11-24-inc-2-search-latency-degraded",
        "2026-11-25-inc-3-internal-dashboard-shows-stale-data",
    ]


def test_doc_holds_the_rendered_markdown_without_front_matter(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder()))
    content = drive.store.docs.docs[docs_by_title(drive)[P0_TITLE]].content
    assert content.startswith("# Post-mortem: INC-1")


def test_doc_records_its_incident_and_hash_in_app_properties(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder()))
    properties = drive.store.docs.docs[docs_by_title(drive)[P0_TITLE]].app_properties
    assert (properties["pmsheets"], properties["pmsheets-incident"], len(properties["pmsheets-sha256"])) == ("postmortem", "INC-1", 64)


def test_doc_link_fills_the_blank_post_mortem_doc_cell(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder()))
    assert f"https://docs.google.com/document/d/{docs_by_title(drive)[P0_TITLE]}/edit" in incidents_text(tmp_path)


def test_upload_asks_drive_to_convert_markdown_to_a_google_doc(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder()))
    creates = [r for r in drive.requests if r.method == "POST" and r.path == "/upload/drive/v3/files"]
    assert len(creates) == 3


# --- finding them again ------------------------------------------------------------------------------


def test_rerun_with_nothing_changed_makes_two_requests(tmp_path: Path, drive: SheetsEmulator) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    before = drive.count("drive")
    code, out, _ = generate(config)
    assert (code, drive.count("drive") - before) == (0, 2), out  # the folder, one listing
    assert out.count(": unchanged") == 3


def test_renamed_doc_is_found_again_by_its_app_properties(tmp_path: Path, drive: SheetsEmulator) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    drive.store.docs.docs[docs_by_title(drive)[P0_TITLE]].name = "Checkout outage (renamed)"
    generate(config)
    assert len(drive.store.docs.docs) == 3


def test_unedited_doc_is_refreshed_when_the_register_changes(tmp_path: Path, drive: SheetsEmulator) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    _, out, _ = generate(config, "--as-of", "2027-03-05T09:00+00:00")  # later: INC-1's long-term ACT-3 turns overdue
    doc = drive.store.docs.docs[docs_by_title(drive)[P0_TITLE]]
    assert "In progress (overdue)" in doc.content
    assert "updated" in out


def test_doc_a_person_edited_is_kept(tmp_path: Path, drive: SheetsEmulator) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    doc_id = docs_by_title(drive)[P0_TITLE]
    drive.edit_doc(doc_id, "# Post-mortem: INC-1\n\nOur own words.\n")
    _, out, _ = generate(config, "--as-of", "2026-12-24T09:00+00:00")
    assert drive.store.docs.docs[doc_id].content == "# Post-mortem: INC-1\n\nOur own words.\n"
    assert f"{P0_TITLE}: kept, edited by hand" in out


def test_force_replaces_an_edited_doc_and_names_the_version_history(tmp_path: Path, drive: SheetsEmulator) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    doc_id = docs_by_title(drive)[P0_TITLE]
    drive.edit_doc(doc_id, "Our own words.\n")
    _, out, _ = generate(config, "--force", "--incident", "INC-1")
    assert drive.store.docs.docs[doc_id].content.startswith("# Post-mortem: INC-1")
    assert "version history" in out


def test_dry_run_creates_no_doc(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder()), "--dry-run")
    assert drive.store.docs.docs == {}


# --- what goes wrong ---------------------------------------------------------------------------------


def test_folder_outside_a_shared_drive_says_why_in_one_line(tmp_path: Path, drive: SheetsEmulator) -> None:
    code, _, err = generate(project(tmp_path, drive, drive.create_folder(shared_drive=False)))
    assert code == 2
    assert err.count("\n") == 1
    assert "service accounts have no Drive storage of their own" in err
    assert "shared drive" in err


def test_folder_not_shared_names_the_folder_and_the_account(tmp_path: Path, drive: SheetsEmulator) -> None:
    folder = drive.create_folder(shared_with=("someone@example.com",))
    code, _, err = generate(project(tmp_path, drive, folder))
    assert code == 2
    assert folder in err
    assert "pmsheets-bot@pmsheets-emulator.iam.gserviceaccount.com" in err


def test_no_register_link_when_the_doc_could_not_be_created(tmp_path: Path, drive: SheetsEmulator) -> None:
    generate(project(tmp_path, drive, drive.create_folder(shared_drive=False)))
    assert "docs.google.com" not in incidents_text(tmp_path)


# --- rate limits and server errors ----------------------------------------------------------------


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> list[float]:
    """The pauses Drive calls take between retries; each moves the emulator's clock instead of sleeping."""
    pauses = Pauses(clock)
    monkeypatch.setattr(google_docs, "Drive", functools.partial(google_docs.Drive, sleep=pauses, jitter=lambda: 1.0))
    return pauses.taken


def test_rate_limits_are_ridden_out_with_backoff(tmp_path: Path, drive: SheetsEmulator, backoff: list[float]) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    drive.faults.script(429, None, USER_RATE_LIMIT, USER_RATE_LIMIT)
    code, out, _ = generate(config)
    assert code == 0, out
    assert len(docs_by_title(drive)) == 3
    assert backoff == [1.0, 1.0, 2.0]


def test_a_create_refused_by_a_rate_limit_is_tried_again_and_made_once(tmp_path: Path, drive: SheetsEmulator, backoff: list[float]) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    drive.faults.script(None, None, 429)  # the folder, the listing, then the first create
    assert generate(config)[0] == 0
    assert len(drive.store.docs.docs) == 3  # three drafts, three Docs: the refused create made none
    assert backoff == [1.0]


def test_a_create_answered_with_a_server_error_is_not_tried_again(tmp_path: Path, drive: SheetsEmulator, backoff: list[float]) -> None:
    folder = drive.create_folder()
    drive.faults.script(None, None, 503)
    code, _, err = generate(project(tmp_path, drive, folder))
    assert (code, err.count("\n"), backoff) == (2, 1, [])
    assert f"Google Drive answered 503 for folder {folder}: The service is currently unavailable." in err
    assert drive.store.docs.docs == {}


def test_a_listing_answered_with_a_server_error_is_tried_again(tmp_path: Path, drive: SheetsEmulator, backoff: list[float]) -> None:
    config = project(tmp_path, drive, drive.create_folder())
    drive.faults.script(None, 500, 503)
    assert generate(config)[0] == 0
    assert (len(drive.store.docs.docs), backoff) == (3, [1.0, 2.0])


def test_an_outage_gives_up_within_retry_seconds_in_one_documented_line(
    tmp_path: Path, drive: SheetsEmulator, backoff: list[float]
) -> None:
    folder = drive.create_folder()
    config = project(tmp_path, drive, folder)
    config.write_text(config.read_text(encoding="utf-8").replace("  path: register.xlsx\n", "  path: register.xlsx\n  retry_seconds: 20\n"))
    drive.faults.fail_randomly(1.0, statuses=(503,))
    code, _, err = generate(config)
    assert (code, err.count("\n"), backoff) == (2, 1, [1.0, 2.0, 4.0, 8.0])
    assert err == (
        f"pmsheets: error: Google Drive answered 503 (The service is currently unavailable.) for folder {folder} "
        "(postmortems.google_docs.folder), still failing after retrying for 15 s. Try again later: the Docs made so far are kept, "
        "and the next run goes on from them.\n"
    )
    assert shape(err.rstrip("\n")) in DOCUMENTED


# --- the emulator's Drive, as the read-back uses it -------------------------------------------------------


def test_export_as_markdown_gives_the_document_back(tmp_path: Path, drive: SheetsEmulator) -> None:
    from pmsheets import config as config_module
    from pmsheets.outputs.google_docs import open_drive

    generate(project(tmp_path, drive, drive.create_folder()))
    exported = open_drive(config_module.load(tmp_path / "pmsheets.yaml")).export(docs_by_title(drive)[P0_TITLE])
    assert read_document(P0_TITLE, exported).actions[0].id == "ACT-1"


# --- doctor ---------------------------------------------------------------------------------------------


def doctor(config: Path) -> tuple[int, str]:
    code, out, _ = run("--config", str(config), "doctor")
    return code, out


def test_doctor_accepts_a_shared_drive_folder_the_account_can_write(tmp_path: Path, drive: SheetsEmulator) -> None:
    code, out = doctor(project(tmp_path, drive, drive.create_folder("Post-mortems")))
    assert "ok    post-mortems: Drive folder Post-mortems" in out
    assert code == 0


def test_doctor_fails_on_a_my_drive_folder_for_a_service_account(tmp_path: Path, drive: SheetsEmulator) -> None:
    code, out = doctor(project(tmp_path, drive, drive.create_folder(shared_drive=False)))
    assert "FAIL  post-mortems: Drive folder" in out
    assert "no Drive storage of their own" in out
    assert code == 2  # doctor: a failed check


def test_doctor_names_the_account_to_share_a_missing_folder_with(tmp_path: Path, drive: SheetsEmulator) -> None:
    code, out = doctor(project(tmp_path, drive, "0AnotThere"))
    assert "0AnotThere" in out
    assert "pmsheets-bot@pmsheets-emulator.iam.gserviceaccount.com" in out
    assert code == 2  # doctor: a failed check


# --- the offline walkthrough of docs/postmortems.md --------------------------------------------------------


def test_emulator_command_serves_a_drive_folder_generate_publishes_into(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    from sheets_emulator.cli import main as emulator_main

    ready, stop = threading.Event(), threading.Event()
    argv = ["--key-out", str(tmp_path / "key.json"), "--drive-folder", "Post-mortems", "--docs-on-exit", str(tmp_path / "docs")]
    runner = threading.Thread(target=emulator_main, args=(argv,), kwargs={"ready": ready, "stop": stop})
    runner.start()
    try:
        assert ready.wait(10)
        out = capsys.readouterr().out
        url, folder = out.split("Sheets emulator at ")[1].split()[0], out.split("Drive folder id: ")[1].split()[0]
        write_workbook(tmp_path / "register.xlsx", sample_tables())
        config = tmp_path / "pmsheets.yaml"
        config.write_text(
            "register:\n  path: register.xlsx\npostmortems:\n  publish: google_docs\n"
            f"  google_docs:\n    folder: {folder}\n    credentials: key.json\n    api_endpoint: {url}\n",
            encoding="utf-8",
        )
        assert generate(config)[0] == 0
    finally:
        stop.set()
        runner.join(10)
    assert len(list((tmp_path / "docs").glob("*.md"))) == 3


# --- reading the Docs back ---------------------------------------------------------------------------------


def exports(emulator: SheetsEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/export"))


@pytest.fixture
def read_back(tmp_path: Path, drive: SheetsEmulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Documents]:
    from pmsheets import config as config_module
    from pmsheets.outputs.publish import read_documents

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    return lambda: read_documents(config_module.load(config))


def test_read_back_exports_each_doc_once(drive: SheetsEmulator, read_back: Callable[[], Documents]) -> None:
    documents = read_back()
    assert (sorted(documents.by_incident), exports(drive)) == (["INC-1", "INC-2", "INC-3"], 3)


def test_read_back_exports_nothing_when_no_doc_changed(drive: SheetsEmulator, read_back: Callable[[], Documents]) -> None:
    read_back()
    read_back()
    assert exports(drive) == 3


def test_read_back_exports_again_only_the_doc_a_person_edited(drive: SheetsEmulator, read_back: Callable[[], Documents]) -> None:
    read_back()
    drive.edit_doc(docs_by_title(drive)[P0_TITLE], "# Post-mortem\n\n| Field | Value |\n| --- | --- |\n| Status | Closed |\n")
    documents = read_back()
    assert exports(drive) == 4
    assert getattr(documents.by_incident["INC-1"], "status", None) == "Closed"


def test_read_back_stops_exporting_once_drive_has_failed_past_the_retry_budget(
    drive: SheetsEmulator, read_back: Callable[[], Documents], backoff: list[float]
) -> None:
    drive.faults.script(None)  # the listing goes through; every export after it fails
    drive.faults.fail_randomly(1.0, statuses=(503,))
    documents = read_back()
    assert backoff == [1.0, 2.0, 4.0, 8.0, 16.0, 16.0]  # one budget spent, not one per Doc
    assert exports(drive) == 7
    reasons = {incident: getattr(read, "reason", "") for incident, read in documents.by_incident.items()}
    assert len(set(reasons.values())) == 1
    assert "still failing after retrying for 47 s" in reasons["INC-1"]


def test_read_back_names_a_doc_that_was_deleted(drive: SheetsEmulator, read_back: Callable[[], Documents]) -> None:
    read_back()
    doc_id = docs_by_title(drive)[P0_TITLE]
    with drive.store.lock:
        drive.store.docs.delete_doc(doc_id)
    found = read_back().of("INC-1", f"https://docs.google.com/document/d/{doc_id}/edit")
    assert isinstance(found, Unreadable)
    assert found.name == P0_TITLE


# --- the read-back checks through validate -----------------------------------------------------------------


def test_validate_compares_the_status_a_person_wrote_into_the_doc(
    tmp_path: Path, drive: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = project(tmp_path, drive, drive.create_folder())
    generate(config)
    doc = drive.store.docs.docs[docs_by_title(drive)[P0_TITLE]]
    drive.edit_doc(doc.id, doc.content.replace("| Status | Not started |", "| Status | Closed |"))
    _, out, _ = run("--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--format", "json", "--no-write")
    differs = [f["incident"] for f in json.loads(out)["findings"] if f["rule"] == "doc-status-differs"]
    assert differs == ["INC-1"]
