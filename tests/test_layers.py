"""Imports point one way: core <- register/outputs <- ops <- cli, so the layers stay what the layout says.

core is pure (no I/O, no clock): it imports only the model, the errors, itself, the standard
library and pure libraries. Read from the import statements of every module, lazy ones included.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.source_imports import imported_modules

PACKAGE = Path(__file__).resolve().parents[1] / "pmsheets"
CORE_MAY_IMPORT = ("pmsheets.core", "pmsheets.model", "pmsheets.errors", "pmsheets.gc_pause")
CORE_MAY_IMPORT_LIBRARIES = {"holidays"}
"""Third-party libraries core may use: pure ones, no I/O."""
NEVER = {
    "pmsheets.register": ("pmsheets.ops", "pmsheets.cli"),
    "pmsheets.outputs": ("pmsheets.ops", "pmsheets.cli"),
    "pmsheets.ops": ("pmsheets.cli",),
    "pmsheets.config": ("pmsheets.register", "pmsheets.outputs", "pmsheets.ops", "pmsheets.cli"),
    "pmsheets.model": ("pmsheets.",),
    "pmsheets.errors": ("pmsheets.",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): imported_modules(path) for path in sorted(PACKAGE.rglob("*.py"))}


def inside(module: str, prefix: str) -> bool:
    return module == prefix.rstrip(".") or module.startswith(prefix if prefix.endswith(".") else prefix + ".")


def test_every_layer_has_modules() -> None:
    layers = ("pmsheets.core", "pmsheets.register", "pmsheets.outputs", "pmsheets.ops", "pmsheets.cli")
    assert all(any(inside(module, layer) for module in MODULES) for layer in layers)


@pytest.mark.parametrize("module", [m for m in MODULES if inside(m, "pmsheets.core")])
def test_core_imports_only_the_model_itself_and_pure_libraries(module: str) -> None:
    wrong = sorted(
        name
        for name in MODULES[module]
        if (name.startswith("pmsheets") and not any(inside(name, allowed) for allowed in CORE_MAY_IMPORT))
        or (
            not name.startswith("pmsheets")
            and name.split(".")[0] not in sys.stdlib_module_names
            and name.split(".")[0] not in CORE_MAY_IMPORT_LIBRARIES
            and name != "__future__"
        )
    )
    assert wrong == [], f"{module} is core (pure) but imports {wrong}"


@pytest.mark.parametrize(("layer", "forbidden"), NEVER.items(), ids=list(NEVER))
def test_imports_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{module} -> {name}"
        for module, names in MODULES.items()
        if inside(module, layer)
        for name in names
        if any(inside(name, prefix) for prefix in forbidden)
    )
    assert wrong == [], f"{layer} must not import {', '.join(forbidden)}: {wrong}"
