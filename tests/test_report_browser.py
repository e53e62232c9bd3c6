"""The report email as a browser draws it: headless Chromium takes a screenshot, which must show something."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pmsheets.core.overdue import escalation_report
from pmsheets.outputs.report_render import render
from tests.report_fixtures import sample_overdue

CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (chromium, chromium-browser or google-chrome on PATH)")
def test_escalation_email_renders_to_a_non_trivial_screenshot(tmp_path: Path) -> None:
    page = tmp_path / "escalation.html"
    page.write_text(render(escalation_report(sample_overdue())).html, encoding="utf-8")
    shot = tmp_path / "escalation.png"
    # No background networking: this machine has no network, and Chromium would keep trying.
    quiet = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
    profile = f"--user-data-dir={tmp_path / 'profile'}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        *quiet,
        profile,
        f"--screenshot={shot}",
        "--window-size=800,1400",
        page.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    # A blank page compresses to a few hundred bytes; tables, text and the bar chart do not.
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 20_000
