"""Where Jinja2 templates come from: the config's `templates_dir` first, then the shipped ones.

A team overrides one template by putting a file of the same name in its own folder; every
other template still comes from the project's `templates/` folder (in a source checkout)
or the copy installed with the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2

from pmsheets.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent.parent
SHIPPED_DIRS = (_PACKAGE.parent / "templates", _PACKAGE / "templates")
"""The checkout's top-level templates/ folder, then the copy a wheel installs inside the package."""


def template_dirs(templates_dir: Path | None = None) -> list[Path]:
    if templates_dir is not None and not templates_dir.is_dir():
        msg = f"templates_dir {templates_dir} is not a folder. Create it or remove the key to use the shipped templates."
        raise ConfigError(msg)
    candidates: Sequence[Path] = (templates_dir, *SHIPPED_DIRS) if templates_dir is not None else SHIPPED_DIRS
    return [path for path in candidates if path.is_dir()]


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """Autoescaping for .html templates; undefined names are errors, never silently blank."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in template_dirs(templates_dir)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
