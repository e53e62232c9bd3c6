"""pyproject lists its packages by hand (so templates/ can ship as pmsheets/templates): keep the list complete."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setuptools_table() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def test_every_python_folder_of_the_package_is_listed_in_pyproject() -> None:
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("pmsheets", "sheets_emulator")
        for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert folders <= set(setuptools_table()["packages"])  # type: ignore[arg-type]


def test_top_level_templates_folder_ships_inside_the_package() -> None:
    table = setuptools_table()
    assert table["package-dir"] == {"pmsheets.templates": "templates"}
    assert table["package-data"]["pmsheets.templates"] == ["*"]  # type: ignore[index]
    assert (ROOT / "templates" / "postmortem.md.j2").is_file()
