"""The edge of post-mortem drafts: template lookup, the documents folder, and the link back.

docs.py decides everything; this module only reads and writes files and hands the register
updates to the backend. A document is written atomically (temp file + rename), and an
edited one is only ever replaced under --force, after a .bak copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2

from pmsheets.config import DEFAULT_REFERENCES
from pmsheets.core.documents import Documents, Read, Unreadable, read_document
from pmsheets.core.policy import Context
from pmsheets.core.schema import INCIDENTS, RawWorkbook, is_blank, normalize
from pmsheets.errors import ConfigError, PmsheetsError, RegisterError
from pmsheets.files import write_failed, write_text_atomically
from pmsheets.model import Incident, Register
from pmsheets.outputs.postmortem_doc import (
    STATUS_PLACEHOLDERS,
    Outcome,
    build_view,
    decide,
    document_name,
    document_text,
    incidents_to_document,
    markdown_environment,
    read_front_matter,
    register_updates,
    render_body,
)
from pmsheets.outputs.templating import template_dirs
from pmsheets.register import RegisterBackend


class UnknownIncident(PmsheetsError):
    """--incident names an ID the Incidents tab does not have."""


@dataclass(frozen=True, slots=True)
class DocumentResult:
    incident_id: str
    name: str
    """The file's name, or the Doc's title."""
    outcome: Outcome
    backup: str | None = None
    link: str | None = None
    """What the incident's Post-mortem doc cell should hold; None: the register is not written."""


class DocumentStore(Protocol):
    """Where the drafts live: a folder (local, or a clone of the team's repository) or a Drive folder."""

    def find(self) -> dict[str, str]:
        """Incident ID -> the key (file name, Doc id) of the tool's document for it."""
        ...

    def put(self, incident_id: str, key: str | None, name: str, text: str, *, force: bool, dry_run: bool) -> DocumentResult:
        """Write `text` as the incident's document unless a person's edits would be lost."""
        ...


# --- templates -----------------------------------------------------------------------------------


def template_environment(templates_dir: Path | None, references: Sequence[str] = DEFAULT_REFERENCES) -> jinja2.Environment:
    """The team's templates_dir first, then the shipped templates, rendering Markdown.

    `references` (postmortems.references) is what a draft's References section lists."""
    environment = markdown_environment(jinja2.FileSystemLoader([str(path) for path in template_dirs(templates_dir)]))
    environment.globals["references"] = tuple(references)
    return environment


# --- documents -----------------------------------------------------------------------------------


def find_documents(folder: Path) -> dict[str, Path]:
    """Incident ID -> the generated document for it, found by front matter so a renamed title keeps its file."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.md")):
        front = read_front_matter(_read(path))
        if front is not None and front.incident_id is not None:
            found.setdefault(front.incident_id, path)
    return found


def read_folder(folder: Path, link_of: Callable[[str], str | None], link_prefix: str | None) -> Documents:
    """Every Markdown document in the folder, by incident (front matter) and by the link it would have."""
    by_incident: dict[str, Read] = {}
    by_link: dict[str, Read] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            found: Read = Unreadable(path.name, error.strerror or str(error))
            text = ""
        else:
            found = read_document(path.name, text)
        front = read_front_matter(text)
        if front is not None and front.incident_id is not None:
            by_incident.setdefault(front.incident_id, found)
        link = link_of(path.name)
        if link is not None:
            by_link[link] = found
    return Documents(by_incident, by_link, link_prefix)


def generate(
    register: Register,
    ctx: Context,
    environment: jinja2.Environment,
    store: DocumentStore,
    *,
    only: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> list[DocumentResult]:
    if INCIDENTS.key in register.unchecked_tabs:
        msg = "the Incidents tab cannot be read, so no post-mortem can be generated. Run pmsheets validate to see why."
        raise RegisterError(msg)
    existing = store.find()
    chosen = [_incident(register, only)] if only is not None else incidents_to_document(register, ctx, existing)
    results = []
    for incident in chosen:
        incident_id = incident.id or ""
        text = document_text(incident_id, render_body(build_view(incident, ctx), environment))
        name = document_name(incident, ctx)
        results.append(store.put(incident_id, existing.get(incident_id), name, text, force=force, dry_run=dry_run))
    return results


def _incident(register: Register, wanted: str) -> Incident:
    for incident in register.incidents:
        if incident.id is not None and incident.id == wanted.strip():
            return incident
    msg = f"--incident {wanted!r}: the Incidents tab has no incident with that ID."
    raise UnknownIncident(msg)


class FolderStore:
    """Drafts as Markdown files in a folder; `link_of(file name)` is the link the register gets."""

    def __init__(self, folder: Path, link_of: Callable[[str], str | None] = lambda _name: None) -> None:
        self.folder = folder
        self.link_of = link_of

    def find(self) -> dict[str, str]:
        return {incident_id: path.name for incident_id, path in find_documents(self.folder).items()}

    def put(self, incident_id: str, key: str | None, name: str, text: str, *, force: bool, dry_run: bool) -> DocumentResult:
        path = self.folder / (key or name)
        outcome = decide(_read(path) if path.exists() else None, text, incident_id, force=force)
        backup = _free_backup_path(path) if outcome is Outcome.REPLACED else None
        if outcome.writes and not dry_run:
            if backup is not None:
                shutil.copy2(path, backup)
            _write_atomically(path, text)
        link = self.link_of(path.name) if outcome is not Outcome.CONFLICT else None
        return DocumentResult(incident_id, path.name, outcome, backup.name if backup else None, link)


def _read(path: Path) -> str:
    # A file that is not UTF-8 is a person's file: read it so it compares unequal, never fail on it.
    return path.read_text(encoding="utf-8", errors="replace")


def _free_backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{number}.bak")
        number += 1
    return candidate


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, text)
    except OSError as error:
        raise ConfigError(write_failed(path, error, "Check postmortems.dir in the config and the free space.")) from None


# --- the link back -------------------------------------------------------------------------------


def planned_links(
    register: Register, results: Sequence[DocumentResult], *, set_status_draft: bool, ctx: Context
) -> dict[str, dict[str, str]]:
    """The Incidents cells generate would fill: {incident id: {header: value}}."""
    links = {result.incident_id: result.link for result in results if result.link is not None}
    return register_updates(register.incidents, links, set_status_draft=set_status_draft, today=ctx.today)


def write_links(
    backend: RegisterBackend, raw: RawWorkbook, register: Register, updates: Mapping[str, Mapping[str, str]], *, set_status_draft: bool
) -> list[str]:
    """Fill the planned cells that are still blank now; the backend finds each row by ID at write time."""
    title = register.tab_titles.get(INCIDENTS.key)
    if not updates or title is None:
        return []
    return backend.fill_blank_cells(
        title, _id_header(raw.get(title, ())), updates, replaceable=STATUS_PLACEHOLDERS if set_status_draft else None
    )


def _id_header(rows: Sequence[Sequence[Any]]) -> str:
    """The ID column's header as the sheet spells it (it may be an alias such as 'Incident ID')."""
    id_column = next(column for column in INCIDENTS.columns if column.field == "id")
    names = {normalize(name) for name in (id_column.header, *id_column.aliases)}
    header_row = rows[0] if rows else ()
    return next((str(cell) for cell in header_row if not is_blank(cell) and normalize(cell) in names), id_column.header)
