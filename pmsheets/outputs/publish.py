"""Drafts to where the team edits them, and their links into the register: the one step that
`pmsheets generate` and the worker's cycle both run.

Where the drafts go is postmortems.publish: `local` (a folder), `git` (the team's repository)
or `google_docs` (a Drive folder). Each is a Publisher: `open()` gives the DocumentStore that
generate writes through, `finish()` makes the drafts visible (commit and push; nothing for a
folder or Drive). Links are only written for drafts that reached their place, so a register
never points at a document nobody can open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pmsheets.config import Config
from pmsheets.core.documents import Documents
from pmsheets.core.policy import Policy, policy_context
from pmsheets.core.schema import RawWorkbook
from pmsheets.errors import PmsheetsError
from pmsheets.model import Register
from pmsheets.outputs import postmortems
from pmsheets.outputs.postmortem_doc import Outcome
from pmsheets.outputs.postmortems import DocumentResult, DocumentStore, FolderStore, read_folder
from pmsheets.register import RegisterBackend


class Publisher(Protocol):
    attempts: int
    """How many times the whole step may start again when finish() raises PublishRetry."""

    @property
    def where(self) -> str:
        """The place, as messages name it."""
        ...

    @property
    def links(self) -> bool:
        """Whether documents get a link into the register."""
        ...

    def exclusive(self) -> AbstractContextManager[object]:
        """Held from open() to finish(): another process between the two could undo what this one wrote."""
        ...

    def open(self) -> DocumentStore: ...

    def finish(self, results: Sequence[DocumentResult]) -> str:
        """Publish what open()'s store holds now; a line saying so, or '' when there was nothing to do."""
        ...

    def check(self) -> str:
        """For `pmsheets doctor`: a line saying the place is there and writable, else PmsheetsError saying why."""
        ...

    def read_documents(self) -> Documents:
        """The documents as they are now, for the read-back rules (one listing, one read per changed document)."""
        ...


class LocalPublisher:
    """The drafts stay in postmortems.dir; linked as link_base/<file name> when link_base is set."""

    attempts = 1

    def __init__(self, config: Config) -> None:
        self.settings = config.postmortems

    @property
    def where(self) -> str:
        return str(self.settings.dir)

    @property
    def links(self) -> bool:
        return self.settings.link_base is not None

    def exclusive(self) -> AbstractContextManager[object]:
        return nullcontext()  # each draft file is replaced whole (atomically): two writers cannot mix one

    def open(self) -> FolderStore:
        link_base = self.settings.link_base
        return FolderStore(self.settings.dir, (lambda name: f"{link_base}/{name}") if link_base else lambda _name: None)

    def finish(self, results: Sequence[DocumentResult]) -> str:
        return ""

    def check(self) -> str:
        return f"drafts are written to {self.settings.dir}"

    def read_documents(self) -> Documents:
        link_base = self.settings.link_base
        return read_folder(self.settings.dir, self.open().link_of, f"{link_base}/" if link_base else None)


def publisher_for(config: Config) -> Publisher:
    settings = config.postmortems
    if settings.publish == "git":
        from pmsheets.outputs.git_publish import GitPublisher

        if settings.git is not None:  # config validation requires postmortems.git.remote
            return GitPublisher(settings.git, settings.link_base)
    if settings.publish == "google_docs":
        from pmsheets.outputs.google_docs import DocsPublisher  # deferred: google-auth is slow to import

        return DocsPublisher.from_config(config)
    return LocalPublisher(config)


@dataclass(frozen=True, slots=True)
class Drafted:
    """What the step did: each document's outcome, where, and the register cells filled or planned."""

    results: list[DocumentResult]
    where: str
    published: str = ""
    planned: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    cells: list[str] = field(default_factory=list)
    links: bool = False
    problem: PmsheetsError | None = None
    """Publishing or linking failed after the documents were handled; the message says what to do."""

    @property
    def conflict(self) -> bool:
        return any(result.outcome is Outcome.CONFLICT for result in self.results)

    def summary(self) -> str:
        written = [f"{result.incident_id} {result.outcome}" for result in self.results if result.outcome.writes]
        parts = [f"{len(written)} draft(s) written ({_listed(written, '; ')})" if written else "no draft to write"]
        parts += [self.published] if self.published else []
        parts += [f"filled {_listed(self.cells, ', ')}"] if self.cells else []
        return "; ".join(parts)


_LISTED = 10
"""How many drafts or cells a summary line names: a first run on a large register drafts thousands."""


def _listed(items: Sequence[str], separator: str) -> str:
    shown = separator.join(items[:_LISTED])
    return shown if len(items) <= _LISTED else f"{shown}{separator}and {len(items) - _LISTED:,} more"


def cache_root(environ: Mapping[str, str]) -> Path:
    """Where the tool keeps what it can rebuild (the git clone, the Docs' read-back): $XDG_CACHE_HOME/pmsheets, else ~/.cache/pmsheets."""
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "pmsheets"


class PublishRetry(PmsheetsError):
    """The place moved while publishing (a push raced another one): the step starts again from a fresh read."""


def draft_and_link(
    config: Config,
    backend: RegisterBackend,
    tables: RawWorkbook,
    register: Register,
    *,
    as_of: datetime,
    policy: Policy,
    only: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    publisher: Publisher | None = None,
) -> Drafted:
    """Write the due drafts where postmortems.publish says, publish them, link them from the register."""
    publisher = publisher or publisher_for(config)
    ctx = policy_context(register, as_of, policy)
    environment = postmortems.template_environment(config.templates_dir, config.postmortems.references)
    settings = config.postmortems
    with publisher.exclusive():
        for attempt in range(1, publisher.attempts + 1):
            store = publisher.open()
            results = postmortems.generate(register, ctx, environment, store, only=only, force=force, dry_run=dry_run)
            drafted = Drafted(results, publisher.where, links=publisher.links)
            if dry_run:
                break
            try:
                drafted = Drafted(results, publisher.where, publisher.finish(results), links=publisher.links)
                break
            except PublishRetry as error:
                if attempt == publisher.attempts:
                    return Drafted(results, publisher.where, links=publisher.links, problem=_gave_up(error, attempt))
            except PmsheetsError as error:
                return Drafted(results, publisher.where, links=publisher.links, problem=error)
    planned = postmortems.planned_links(register, drafted.results, set_status_draft=settings.set_status_draft, ctx=ctx)
    if dry_run or not planned:
        return Drafted(drafted.results, drafted.where, drafted.published, planned, links=drafted.links)
    try:
        cells = postmortems.write_links(backend, tables, register, planned, set_status_draft=settings.set_status_draft)
    except PmsheetsError as error:
        return Drafted(drafted.results, drafted.where, drafted.published, planned, links=drafted.links, problem=error)
    return Drafted(drafted.results, drafted.where, drafted.published, planned, cells, links=drafted.links)


def _gave_up(error: PmsheetsError, attempts: int) -> PmsheetsError:
    msg = f"{error} Gave up after {attempts} attempts; the next run tries again."
    return PublishRetry(msg)


def read_documents(config: Config) -> Documents:
    """The current documents wherever postmortems.publish keeps them; never raises for a place that cannot be read."""
    try:
        return publisher_for(config).read_documents()
    except PmsheetsError as error:
        return Documents(problem=str(error))
