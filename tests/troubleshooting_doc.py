"""The failure lines docs/troubleshooting.md shows, to check a line the tool prints is documented word for word."""

from __future__ import annotations

import re
from pathlib import Path


def shape(line: str) -> str:
    """A message with what varies from one case to the next (paths, hosts, ports, keys, numbers) as X, for comparing with the docs."""
    words = []
    for word in line.split(" "):
        core = word.strip("().,;:'")
        varies = "/" in core or any(c.isdigit() for c in core) or re.search(r"\w\.\w", core)
        words.append(word.replace(core, "X") if varies and core else word)
    return " ".join(words)


DOCUMENTED = {
    shape(line)
    for line in (Path(__file__).resolve().parents[1] / "docs" / "troubleshooting.md").read_text(encoding="utf-8").splitlines()
    if line.startswith(("pmsheets", "FAIL"))
}
"""Every failure line a user can meet, as docs/troubleshooting.md shows it."""
