"""The report emails as a browser draws them: at a phone's width and a desktop's, without scrolling sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report_screenshots import CHROMIUM, DESKTOP, PHONE, measured_widths, sample_emails, screenshot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (chromium, chromium-browser or google-chrome on PATH); `make chromium`"
)


@pytest.fixture(scope="module")
def widths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, tuple[int, int, int]]]:
    work = tmp_path_factory.mktemp("browser")
    return {name: measured_widths(rendered.html, work) for name, rendered in sample_emails().items()}


@pytest.mark.parametrize("name", ["overdue", "escalation"])
def test_email_at_phone_width_needs_no_sideways_scrolling(widths: dict[str, dict[int, tuple[int, int, int]]], name: str) -> None:
    scroll, visible, card = widths[name][PHONE]
    assert scroll <= visible
    assert card <= visible


@pytest.mark.parametrize("name", ["overdue", "escalation"])
def test_email_at_desktop_width_is_720_px_wide(widths: dict[str, dict[int, tuple[int, int, int]]], name: str) -> None:
    scroll, visible, card = widths[name][DESKTOP]
    assert scroll <= visible
    assert card == 720


def test_a_fixed_width_layout_would_be_caught(tmp_path: Path) -> None:
    """The measurement sees the 720 px layout the emails had before: it scrolls sideways on a phone."""
    fixed = sample_emails()["escalation"].html.replace("max-width:720px", "min-width:720px")
    scroll, visible, _ = measured_widths(fixed, tmp_path, (PHONE,))[PHONE]
    assert scroll > visible


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_escalation_email_renders_to_a_non_trivial_screenshot(tmp_path: Path, width: int) -> None:
    shot = tmp_path / "escalation.png"
    screenshot(sample_emails()["escalation"].html, shot, width, 1400, tmp_path)
    data = shot.read_bytes()
    # A blank page compresses to a few hundred bytes; tables, text and the bar charts do not.
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 20_000
