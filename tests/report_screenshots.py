"""The report emails as headless Chromium draws them, at a phone's and a desktop's width.

Shared by tests/test_report_browser.py and `make screenshots`, which writes the pictures in
docs/images (run it after changing a report template).
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

from pmsheets.core.overdue import Headline, compliance, escalation_report, overdue_report
from pmsheets.core.report_log import LogEntry, logged_trend
from pmsheets.core.trend import OnTime, WeekFigures
from pmsheets.outputs.links import Links
from pmsheets.outputs.report_render import Rendered, render
from tests.report_fixtures import sample_overdue

CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
PHONE, DESKTOP = 375, 800
HEIGHTS = {"overdue": (1150, 1650), "escalation": (2000, 2500)}
"""The pictures' heights (desktop, phone): each email's whole length, for docs/images."""
# No background networking: this machine has no network, and Chromium would keep trying.
QUIET = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
LINKS = Links(
    "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz/edit",
    {"Incidents": 0, "Actions": 1187252049},
    "https://jira.example.com/browse/{key}",
)
LOGGED = {  # the weeks before the report's; the missing ones had no report
    "2026-W37": (9, 3, 5, 50, 40, 60),
    "2026-W38": (8, 3, 5, 50, 40, 55),
    "2026-W41": (7, 2, 4, 60, 50, 70),
    "2026-W42": (6, 2, 4, 60, 50, 70),
    "2026-W43": (6, 2, 4, 60, 67, 70),
    "2026-W45": (5, 2, 3, 70, 60, 75),
    "2026-W47": (5, 2, 2, 75, 67, 20),
}


def sample_log() -> list[LogEntry]:
    return [
        LogEntry("overdue", week, "team@example.com", f"<{week}@example.com>", f"{week}T09:00", Headline(a, p, n), OnTime(d, r, done))
        for week, (a, p, n, d, r, done) in LOGGED.items()
    ]


def sample_emails() -> dict[str, Rendered]:
    overdue = sample_overdue()
    trend = logged_trend(sample_log(), week=overdue.week, current=WeekFigures(overdue.headline, OnTime.of(compliance(overdue.context))))
    return {
        "overdue": render(overdue_report(overdue), links=LINKS),
        "escalation": render(escalation_report(overdue), links=LINKS, trend=trend),
    }


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        *QUIET,
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def screenshot(page: str, picture: Path, width: int, height: int, workdir: Path) -> None:
    source = workdir / f"{picture.stem}.html"
    source.write_text(page, encoding="utf-8")
    chromium(workdir / "profile", f"--screenshot={picture}", f"--window-size={width},{height}", source.as_uri())


def measured_widths(page: str, workdir: Path, widths: tuple[int, ...] = (PHONE, DESKTOP)) -> dict[int, tuple[int, int, int]]:
    """For each frame width: (the page's scroll width, its visible width, the report card's width), in CSS px.

    The email is laid out in iframes of those widths (headless Chromium has no window narrower
    than 500 px); a probe script in the test page, not in the email, measures it."""
    frames = "".join(f'<iframe id="w{w}" width="{w}" height="1200" style="border:0" srcdoc="{html.escape(page)}"></iframe>' for w in widths)
    probe = (
        "<script>window.addEventListener('load', () => { const out = [];"
        f" for (const w of {list(widths)}) {{ const d = document.getElementById('w' + w).contentDocument;"
        " const card = d.body.querySelector('table table');"
        " out.push([w, d.documentElement.scrollWidth, d.documentElement.clientWidth, Math.round(card.getBoundingClientRect().width)].join(':')); }"
        " document.body.setAttribute('data-widths', out.join(' ')); });</script>"
    )
    source = workdir / "measure.html"
    source.write_text(f"<!DOCTYPE html><html><body style='margin:0'>{frames}{probe}</body></html>", encoding="utf-8")
    dom = chromium(workdir / "profile", "--window-size=1800,1300", "--dump-dom", source.as_uri()).stdout
    found = dom.split('data-widths="', 1)[1].split('"', 1)[0]
    return {int(w): (int(s), int(c), int(card)) for w, s, c, card in (entry.split(":") for entry in found.split())}


def main(folder: Path) -> None:
    work = Path(folder) / ".screenshots-work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name, rendered in sample_emails().items():
            desktop, phone = HEIGHTS[name]
            screenshot(rendered.html, folder / f"{name}-email.png", DESKTOP, desktop, work)
            screenshot(rendered.html, folder / f"{name}-email-phone.png", PHONE, phone, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main((Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/images")).resolve())
