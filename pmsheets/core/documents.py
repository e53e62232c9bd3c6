"""What a post-mortem document says, read from its Markdown: status, sections left empty, actions listed.

Pure: text in, facts out. The documents are read at the edge (a folder, the team's repository,
Google Docs exported as Markdown); the rules in policy.py compare these facts with the register.
People edit these documents, so the reading is forgiving: headings match by their start and
in any case, and the status may be the template's Metadata row or a line `Status: Reviewed`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pmsheets.model import PostmortemStatus

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


Read = DocumentFacts | Unreadable


@dataclass(frozen=True, slots=True)
class Documents:
    """The post-mortem documents as read at the start of a check, for the rules to compare with the register."""

    by_incident: Mapping[str, Read] = field(default_factory=dict)
    """The tool's documents, by the incident their front matter (or appProperties) names."""
    by_link: Mapping[str, Read] = field(default_factory=dict)
    """Every document read, by the link the register's Post-mortem doc cell would hold."""
    link_prefix: str | None = None
    """Links starting with this point at the place the tool reads; such a link with no document is a deleted one."""
    problem: str | None = None
    """The place could not be read at all (the message says why); no document is then checked."""

    def of(self, incident_id: str | None, link: str | None) -> Read | None:
        """The incident's document: the tool's own, else the one its link points at (None: none known)."""
        if incident_id is not None and incident_id in self.by_incident:
            return self.by_incident[incident_id]
        if link is None:
            return None
        if link in self.by_link:
            return self.by_link[link]
        if self.link_prefix and link.startswith(self.link_prefix):
            return Unreadable(link.rsplit("/", 1)[-1] or link, "it is not there any more (deleted or moved?)")
        return None


NO_DOCUMENTS = Documents()


# --- what the read-back rules say (policy.py declares the rules; these are their messages) ----------

_REPORTS_COUNT = "The reports count the register's status: correct whichever is wrong."
_NOT_TRACKED = "The post-mortem is not complete until actions are tracked."


def document_status(facts: DocumentFacts) -> PostmortemStatus | None:
    wanted = (facts.status or "").strip().lower()
    return next((status for status in PostmortemStatus if status.value.lower() == wanted), None)


def status_differs(register_status: PostmortemStatus, facts: DocumentFacts) -> str | None:
    """The document says Reviewed or Closed and the register does not (or the reverse)."""
    said = document_status(facts)
    if said is None or said is register_status or not (said.reviewed or register_status.reviewed):
        return None
    return f"the document {facts.name} says Status: {said}, the register says {register_status}. {_REPORTS_COUNT}"


def sections_unwritten(register_status: PostmortemStatus, facts: DocumentFacts) -> str | None:
    if not register_status.reviewed or not facts.unwritten:
        return None
    sections = ", ".join(facts.unwritten)
    return f"the post-mortem is {register_status} but its document {facts.name} has nothing written (or a template placeholder) under {sections}. Write them before the review counts."


def untracked_actions(facts: DocumentFacts, tracked: Collection[str]) -> list[str]:
    """One message per action the document lists that has no row (by ID) in the Actions tab."""
    messages = []
    for action in facts.actions:
        what = f"'{action.text[:60]}'" if action.text else "a row"
        if not action.id:
            messages.append(
                f"the document {facts.name} lists {what} with no action ID. Add it to the Actions tab and put its ID in the document. {_NOT_TRACKED}"
            )
        elif action.id not in tracked:
            messages.append(
                f"the document {facts.name} lists {action.id} ({what}), which has no row in the Actions tab. Add it there. {_NOT_TRACKED}"
            )
    return messages


def unreadable(document: Unreadable) -> str:
    return f"the post-mortem document {document.name} cannot be read: {document.reason}. Its checks were skipped."
