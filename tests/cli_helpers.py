"""The command line run in-process, and registers put behind a config file, as the CLI tests use them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pmsheets.cli.main import main


def run(*argv: str) -> tuple[int, str, str]:
    """`pmsheets *argv` in this process: the exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write_config(tmp_path: Path, text: str) -> Path:
    """A pmsheets.yaml holding `text`."""
    path = tmp_path / "pmsheets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_config(tmp_path: Path, register: Path, extra: str = "") -> Path:
    """A config for a workbook register in the same folder, plus any `extra` YAML."""
    return write_config(tmp_path, f"register:\n  path: {register.name}\n{extra}")


class ConfiguredRegister:
    """A register behind a config file, on one backend; `findings_tab()` reads back what validate wrote."""

    def __init__(self, config: Path, read_findings: Callable[[], list[list[Any]]]) -> None:
        self.config = str(config)
        self.findings_tab = read_findings
