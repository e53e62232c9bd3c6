"""Render docs/images/findings-tab.png and flagged-cells.png: the demo register after `validate`, in LibreOffice.

Run from the repository root: `.venv/bin/python docs/images/findings_screenshots.py` (needs soffice and
pdftoppm: `make libreoffice`, and poppler-utils). Each picture is one tab of the workbook the tool
wrote, printed to PDF by headless LibreOffice with the other tabs hidden, then its first page as PNG.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.worksheet.properties import PageSetupProperties

from pmsheets.cli.main import main

AS_OF = "2026-11-27T09:00"
IMAGES = Path(__file__).resolve().parent
SHOTS = {"Findings": "findings-tab.png", "Actions": "flagged-cells.png"}
RESOLUTION = "110"


def demo_register(folder: Path) -> Path:
    config = folder / "pmsheets.yaml"
    config.write_text("timezone: Europe/Berlin\nregister:\n  path: register.xlsx\n", encoding="utf-8")
    register = folder / "register.xlsx"
    main(["--config", str(config), "init", "--xlsx", str(register), "--demo", "--as-of", AS_OF])
    main(["--config", str(config), "validate", "--as-of", AS_OF, "--write"])
    return register


def only_tab(register: Path, title: str, out: Path) -> Path:
    """A copy whose only visible tab is `title`, printed landscape on one page's width."""
    workbook = openpyxl.load_workbook(register)
    for sheet in workbook.worksheets:
        sheet.sheet_state = "visible" if sheet.title == title else "hidden"
    sheet = workbook[title]
    workbook.active = workbook.worksheets.index(sheet)
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_options.gridLines = True
    sheet.print_area = f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}{sheet.max_row}"
    workbook.save(out)
    return out


def render(workbook: Path, png: Path, folder: Path) -> None:
    profile = folder / "profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = folder / (workbook.stem + ".pdf")
    stem = folder / png.stem
    page = ["-r", RESOLUTION, "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(["pdftoppm", "-gray", *page, str(pdf), str(stem)], check=True)
    x, y, width, height = content_box(stem.with_suffix(".pgm"))
    crop = ["-x", str(x), "-y", str(y), "-W", str(width), "-H", str(height)]
    subprocess.run(["pdftoppm", "-png", *page, *crop, str(pdf), str(stem)], check=True)
    shutil.copyfile(stem.with_suffix(".png"), IMAGES / png.name)


def content_box(pgm: Path, margin: int = 12) -> tuple[int, int, int, int]:
    """The printed area of a page (binary PGM) with a small margin: the page's white border cut off."""
    data = pgm.read_bytes()
    fields = data.split(maxsplit=4)
    width, height = int(fields[1]), int(fields[2])
    pixels = fields[4][-width * height :]
    rows = [r for r in range(height) if min(pixels[r * width : (r + 1) * width]) < 200]
    columns = [c for c in range(width) if min(pixels[c::width]) < 200]
    left, top = max(columns[0] - margin, 0), max(rows[0] - margin, 0)
    return left, top, min(columns[-1] + margin, width) - left, min(rows[-1] + margin, height) - top


def run() -> int:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        register = demo_register(folder)
        for title, name in SHOTS.items():
            render(only_tab(register, title, folder / f"{title.lower()}.xlsx"), Path(name), folder)
            print(f"wrote {IMAGES / name}")
    return 0


if __name__ == "__main__":
    sys.exit(run())
