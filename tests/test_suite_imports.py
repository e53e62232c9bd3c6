"""The suite's own shape: one import root, `tests.`, and no test file imports from another test file.

Builders live in tests/builders.py, fixtures in tests/conftest.py, other helpers in their own
modules, so a reader finds a helper where its name says and no test module is imported twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.source_imports import imported_modules

TESTS = Path(__file__).resolve().parent
FILES = sorted(TESTS.rglob("*.py"))
HELPERS = {path.stem for path in TESTS.glob("*.py") if not path.name.startswith("test_")} - {"__init__"}


def is_test_module_or_conftest(module: str) -> bool:
    parts = module.split(".")
    inside_tests = parts[1:] if parts[0] == "tests" else parts[:1]
    return any(part.startswith("test_") or part == "conftest" for part in inside_tests)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(TESTS)))
def test_file_imports_nothing_from_a_test_file_or_a_conftest(path: Path) -> None:
    assert sorted(module for module in imported_modules(path) if is_test_module_or_conftest(module)) == []


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(TESTS)))
def test_file_imports_the_suite_helpers_through_the_tests_package(path: Path) -> None:
    assert sorted(module for module in imported_modules(path) if module.split(".")[0] in HELPERS) == []
