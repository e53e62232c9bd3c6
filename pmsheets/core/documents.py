"""What a post-mortem document says, read from its Markdown: status, sections left empty, actions listed.

Pure: text in, facts out. The documents are read at the edge (a folder, the team's repository,
Google Docs exported as Markdown); the rules in policy.py compare these facts with the register.
People edit these documents, so the reading is forgiving: headings match by their start and
in any case, and the status may be the template's Metadata row or a line `Status: Reviewed`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CHECKED_SECTIONS = ("Impact", "Root cause", "Corrective actions")
"""The sections a reviewed post-mortem must have written (the policy's "summarise impact and root cause", "list corrective actions")."""

_KNOWN_TITLES = tuple(title.lower() for title in (*CHECKED_SECTIONS, "Summary", "Metadata", "Timeline"))
_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
_STATUS_LINE = re.compile(r"^\W*status\W*:\W*(?P<value>[A-Za-z][A-Za-z ]*?)\W*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^\s*[_*]+\s*(to write|to fill|none in the register yet)\b.*[_*]+\s*$", re.IGNORECASE)
_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_TEMPLATE_LINES = frozenset(
    {
        "every action needs an owner, a due date and a tracking link; the register's actions tab is",
        "the source of truth, so change them there and regenerate.",
        "actions with no type in the register (set short-term or long-term there):",
    }
)
"""Sentences of the shipped template that say how to fill a section, not what happened."""


@dataclass(frozen=True, slots=True)
class ListedAction:
    id: str
    """"" when the row has no action ID."""
    text: str


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What one incident's document says."""

    name: str
    """How messages name the document (file name, Doc title)."""
    status: str | None
    unwritten: tuple[str, ...]
    """The checked sections that are missing, empty, or still hold a template placeholder."""
    actions: tuple[ListedAction, ...]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A document the tool knows of but cannot read (deleted, no access); `reason` says which."""

    name: str
    reason: str


def read_document(name: str, text: str) -> DocumentFacts:
    sections = dict(_sections(text))
    unwritten = tuple(title for title in CHECKED_SECTIONS if _unwritten(_section(sections, title)))
    actions = tuple(_actions(_section(sections, "Corrective actions") or []))
    return DocumentFacts(name, _status(text), unwritten, actions)


def _sections(text: str) -> Iterator[tuple[str, list[str]]]:
    """Top-level sections (the document's second heading level) with their lines, subsections included."""
    lines = _body(text).splitlines()
    # The level of the checked sections' headings, whatever the document's title uses.
    known = [len(m["marks"]) for line in lines if (m := _HEADING.match(line)) and _plain(m["title"]).lower().startswith(_KNOWN_TITLES)]
    section_level = min(known, default=2)
    title, current = "", list[str]()
    for line in lines:
        heading = _HEADING.match(line)
        if heading and len(heading["marks"]) <= section_level:
            yield title, current
            title, current = _plain(heading["title"]).lower(), []
        else:
            current.append(line)
    yield title, current


def _section(sections: dict[str, list[str]], wanted: str) -> list[str] | None:
    return next((lines for title, lines in sections.items() if title.startswith(wanted.lower())), None)


def _body(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :]
    return text


def _plain(text: str) -> str:
    return re.sub(r"[*_`\\]", "", text).strip()


def _status(text: str) -> str | None:
    for line in _body(text).splitlines():
        cells = _cells(line)
        if cells is not None and len(cells) >= 2 and _plain(cells[0]).lower() == "status":
            return _plain(cells[1]) or None
        found = _STATUS_LINE.match(_plain(line))
        if found and cells is None:
            return found["value"].strip()
    return None


def _unwritten(lines: Sequence[str] | None) -> bool:
    """Missing, nothing but template text, or a placeholder left in."""
    if lines is None:
        return True
    if any(_PLACEHOLDER.match(line) and "none in the register yet" not in line.lower() for line in lines):
        return True
    return not any(_written(line) for line in lines)


def _written(line: str) -> bool:
    stripped = line.strip()
    if not stripped or _PLACEHOLDER.match(stripped) or _plain(stripped).lower() in _TEMPLATE_LINES or _HEADING.match(stripped):
        return False
    cells = _cells(stripped)
    if cells is None:
        return True
    return not _is_separator(cells) and not _is_header(cells) and any(_plain(cell) and not _PLACEHOLDER.match(cell) for cell in cells)


def _actions(lines: Sequence[str]) -> Iterator[ListedAction]:
    """Rows of the section's tables whose header starts with ID; a row of placeholders is no action."""
    id_table = False
    for line in lines:
        cells = _cells(line)
        if cells is None:
            id_table = False
            continue
        if _is_header(cells):
            id_table = True
            continue
        if not id_table or _is_separator(cells):
            continue
        if any(_plain(cell) and not _PLACEHOLDER.match(cell) for cell in cells):
            yield ListedAction(_plain(cells[0]), _plain(cells[1]) if len(cells) > 1 else "")


def _cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    parts = _UNESCAPED_PIPE.split(stripped.strip("|") if stripped.endswith("|") and not stripped.endswith("\\|") else stripped[1:])
    return [part.strip() for part in parts]


def _is_separator(cells: Sequence[str]) -> bool:
    return all(_SEPARATOR_CELL.match(cell.replace(" ", "")) for cell in cells if cell)


def _is_header(cells: Sequence[str]) -> bool:
    return bool(cells) and _plain(cells[0]).lower() == "id"
