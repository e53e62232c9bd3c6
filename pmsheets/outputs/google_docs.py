"""Drafts published as Google Docs in a Drive folder, through the Drive v3 API (google-auth over HTTP).

Each draft is uploaded as Markdown and converted by Drive into a Google Doc: the import turns
Markdown headings, pipe tables and lists into real Docs headings, tables and lists, and the
same text is what local and git mode write, so one template serves all three (HTML would need
a second rendering of every value). The tool's front matter does not go into the Doc; what it
recorded goes into the Doc's appProperties instead: `pmsheets` (marks the tool's Docs, so one
files.list finds them all), `pmsheets-incident` and `pmsheets-sha256` (the hash of what the
tool wrote). A Doc is found again by these, never by its title, and refreshed only while the
tool is still its last editor (lastModifyingUser.me): once a person has edited it, it is left
alone ("kept, edited by hand"). --force replaces it anyway; Drive keeps the person's version in
the Doc's version history (File > Version history), which plays the part of the .bak file.

Requests per run: one files.get (the folder), one files.list per 1,000 of the tool's Docs,
then one files.create per new draft and one files.update per draft whose register facts
changed. Nothing changed: two requests.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests
from google.auth.exceptions import GoogleAuthError

from pmsheets.config import Config, GoogleDocsConfig
from pmsheets.core.documents import DocumentFacts, Documents, ListedAction, Read, Unreadable, read_document
from pmsheets.errors import ConfigError, PmsheetsError
from pmsheets.files import write_text_atomically
from pmsheets.network import RETRIED_STATUSES, RetryPolicy
from pmsheets.outputs.postmortem_doc import Outcome, body_hash, read_front_matter
from pmsheets.outputs.postmortems import DocumentResult
from pmsheets.outputs.publish import cache_root
from pmsheets.register.google_auth import DOCS_ACCESS, docs_use_register_identity, load_identity, login_scopes
from pmsheets.register.google_session import GOOGLE_APIS, GOOGLE_SHEETS, EndpointSession

DOCUMENT_MIME = "application/vnd.google-apps.document"
FOLDER_MIME = "application/vnd.google-apps.folder"
DOC_LINK = "https://docs.google.com/document/d/{id}/edit"
MARK, INCIDENT, HASH = "pmsheets", "pmsheets-incident", "pmsheets-sha256"
MARK_VALUE = "postmortem"
_FILE_FIELDS = "id,name,version,modifiedTime,appProperties,lastModifyingUser(emailAddress,me)"
_PAGE_SIZE = 1000
_BOUNDARY = "pmsheets-upload-boundary-7c1e0b"
_ALL_DRIVES = {"supportsAllDrives": "true"}


class DocsUnavailable(PmsheetsError):
    """Drive refused or could not be reached; the message names the folder and what to do."""


class DriveOutage(DocsUnavailable):
    """Drive kept failing past the retry budget: the next request would most likely fail the same way."""


@dataclass(frozen=True, slots=True)
class DocFile:
    id: str
    name: str
    version: str
    incident_id: str
    recorded_hash: str
    ours: bool
    """The tool is still the Doc's last editor."""

    @property
    def link(self) -> str:
        return DOC_LINK.format(id=self.id)


class Drive:
    """The few Drive v3 calls the Docs path makes, over an AuthorizedSession; errors become one line.

    A passing refusal (a rate limit, the service's trouble) is retried with backoff within the
    register's retry_seconds: a first run drafting thousands of Docs meets Drive's write limits."""

    def __init__(
        self,
        session: requests.Session,
        *,
        account: str | None,
        folder: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.session, self.account, self.folder, self.timeout = session, account, folder, timeout
        self.retry, self.sleep, self.jitter = retry or RetryPolicy(), sleep, jitter

    def folder_info(self) -> dict[str, Any]:
        return self._call(
            "GET",
            f"/drive/v3/files/{self.folder}",
            params={**_ALL_DRIVES, "fields": "id,name,mimeType,driveId,capabilities(canAddChildren)"},
        )

    def our_docs(self) -> list[dict[str, Any]]:
        query = f"'{self.folder}' in parents and appProperties has {{ key='{MARK}' and value='{MARK_VALUE}' }} and trashed = false"
        params = {**_ALL_DRIVES, "includeItemsFromAllDrives": "true", "corpora": "allDrives", "q": query, "pageSize": str(_PAGE_SIZE)}
        params["fields"] = f"nextPageToken,files({_FILE_FIELDS})"
        files: list[dict[str, Any]] = []
        while True:
            page = self._call("GET", "/drive/v3/files", params=params)
            files += page.get("files", [])
            if not page.get("nextPageToken"):
                return files
            params["pageToken"] = page["nextPageToken"]

    def create(self, name: str, text: str, properties: Mapping[str, str]) -> dict[str, Any]:
        metadata = {"name": name, "mimeType": DOCUMENT_MIME, "parents": [self.folder], "appProperties": dict(properties)}
        return self._upload("POST", "/upload/drive/v3/files", metadata, text)

    def update(self, file_id: str, text: str, properties: Mapping[str, str]) -> dict[str, Any]:
        return self._upload("PATCH", f"/upload/drive/v3/files/{file_id}", {"appProperties": dict(properties)}, text)

    def export(self, file_id: str) -> str:
        answer = self._request("GET", f"/drive/v3/files/{file_id}/export", params={"mimeType": "text/markdown"})
        return answer.content.decode("utf-8", errors="replace")

    def _upload(self, method: str, path: str, metadata: Mapping[str, Any], text: str) -> dict[str, Any]:
        body = (
            f"--{_BOUNDARY}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{json.dumps(metadata)}\r\n"
            f"--{_BOUNDARY}\r\nContent-Type: text/markdown; charset=UTF-8\r\n\r\n{text}\r\n--{_BOUNDARY}--\r\n"
        ).encode()
        params = {**_ALL_DRIVES, "uploadType": "multipart", "fields": _FILE_FIELDS}
        headers = {"Content-Type": f"multipart/related; boundary={_BOUNDARY}"}
        return self._call(method, path, params=params, data=body, headers=headers)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._request(method, path, **kwargs).json()
        return answer

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        pauses, waited = self.retry.pauses(self.jitter), 0.0
        while True:
            answer = self._answer(method, path, **kwargs)
            if answer.status_code < 400:
                return answer
            if not _passing(answer, creates=method == "POST"):
                raise DocsUnavailable(self._explain(answer))
            pause = next(pauses, None)
            if pause is None:
                raise DriveOutage(self._gave_up(answer, waited))
            self.sleep(pause)
            waited += pause

    def _answer(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, GOOGLE_APIS + path, timeout=self.timeout, **kwargs)
        except (requests.RequestException, GoogleAuthError) as error:
            msg = f"cannot reach Google Drive for postmortems.google_docs.folder {self.folder}: {type(error).__name__}. Check the network and the credentials."
            raise DocsUnavailable(msg) from None

    def _gave_up(self, answer: requests.Response, waited: float) -> str:
        message = _error_of(answer).get("message") or answer.reason
        return (
            f"Google Drive answered {answer.status_code} ({message}) for folder {self.folder} (postmortems.google_docs.folder), "
            f"still failing after retrying for {waited:.0f} s. Try again later: the Docs made so far are kept, and the next run goes on from them."
        )

    def _explain(self, answer: requests.Response) -> str:
        error = _error_of(answer)
        reasons = _reasons(error)
        who = self.account or "your Google account"
        if "storageQuotaExceeded" in reasons:
            return (
                f"Google Drive refused to create a Doc in folder {self.folder} (postmortems.google_docs.folder): service accounts have "
                f"no Drive storage of their own. Use a folder in a shared drive that {who} is a member of (Content manager), or register.auth: oauth."
            )
        if answer.status_code == 404:
            return f"Drive folder or Doc not found: {self.folder} (postmortems.google_docs.folder). Share the folder with {who} (Content manager)."
        if answer.status_code == 403 and _scope_missing(error, reasons):
            return (
                f"Google Drive refused access to folder {self.folder} for {who}: the Google login lacks access to Google Drive "
                f"({error.get('message')}). Delete the saved login (register.oauth_token_file) and run the command again in a "
                "terminal to log in with a browser."
            )
        if answer.status_code == 403:
            return f"Google Drive refused access to folder {self.folder} for {who}: {error.get('message', 'forbidden')}"
        return f"Google Drive answered {answer.status_code} for folder {self.folder}: {error.get('message') or answer.reason}"


_RATE_LIMITS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
"""Drive says "slow down" with a 403 and one of these reasons as well as with a 429."""


def _passing(answer: requests.Response, *, creates: bool) -> bool:
    """Whether another try may succeed. A create answered with a server error may have made the Doc all the
    same: it is not tried again (the next run lists the folder and finds the Doc, or creates it then)."""
    status = answer.status_code
    if status == 429 or (status == 403 and _reasons(_error_of(answer)) & _RATE_LIMITS):
        return True
    return status in RETRIED_STATUSES and not creates


def _scope_missing(error: Mapping[str, Any], reasons: set[str]) -> bool:
    """A token without the Drive scope: an OAuth login saved without it (a key's tokens get what the tool asks for)."""
    return "insufficientPermissions" in reasons or "insufficient authentication scopes" in str(error.get("message", "")).lower()


def _reasons(error: Mapping[str, Any]) -> set[str]:
    return {str(item.get("reason")) for item in error.get("errors", []) if isinstance(item, dict)}


def _error_of(answer: requests.Response) -> dict[str, Any]:
    try:
        error = answer.json().get("error", {})
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


class DocsStore:
    """The tool's Docs in the folder, as generate's DocumentStore."""

    def __init__(self, drive: Drive, docs: Sequence[DocFile]) -> None:
        self.drive = drive
        self.by_incident: dict[str, DocFile] = {}
        for doc in docs:
            self.by_incident.setdefault(doc.incident_id, doc)
        self.by_id = {doc.id: doc for doc in docs}

    def find(self) -> dict[str, str]:
        return {incident_id: doc.id for incident_id, doc in self.by_incident.items()}

    def put(self, incident_id: str, key: str | None, name: str, text: str, *, force: bool, dry_run: bool) -> DocumentResult:
        body = _body(text)
        properties = {MARK: MARK_VALUE, INCIDENT: incident_id, HASH: body_hash(body)}
        title = name.removesuffix(".md")
        existing = self.by_id.get(key) if key else None
        if existing is None:
            outcome = Outcome.CREATED
        elif not existing.ours:
            outcome = Outcome.REPLACED if force else Outcome.KEPT
        else:
            outcome = Outcome.UNCHANGED if existing.recorded_hash == properties[HASH] else Outcome.UPDATED
        if dry_run or not outcome.writes:
            return DocumentResult(incident_id, existing.name if existing else title, outcome, link=existing.link if existing else None)
        answer = self.drive.create(title, body, properties) if existing is None else self.drive.update(existing.id, body, properties)
        backup = "the edited version stays in the Doc's version history" if outcome is Outcome.REPLACED else None
        return DocumentResult(incident_id, str(answer.get("name", title)), outcome, backup, DOC_LINK.format(id=answer["id"]))


class DocsPublisher:
    attempts = 1

    def __init__(self, drive: Drive, cache_file: Path) -> None:
        self.drive, self.cache_file = drive, cache_file

    @classmethod
    def from_config(cls, config: Config, environ: Mapping[str, str] | None = None) -> DocsPublisher:
        drive = open_drive(config)
        return cls(drive, cache_root(os.environ if environ is None else environ) / "docs" / f"{drive.folder}.json")

    @property
    def where(self) -> str:
        return f"Drive folder {self.drive.folder}"

    @property
    def links(self) -> bool:
        return True

    def exclusive(self) -> AbstractContextManager[object]:
        return nullcontext()  # each Doc is found by its app properties and written in one request

    def open(self) -> DocsStore:
        info = self.drive.folder_info()
        if info.get("mimeType") != FOLDER_MIME:
            msg = f"postmortems.google_docs.folder {self.drive.folder} ({info.get('name')}) is a file, not a folder. Use the folder's id or URL."
            raise ConfigError(msg)
        return DocsStore(self.drive, [doc for doc in map(doc_file, self.drive.our_docs()) if doc is not None])

    def finish(self, results: Sequence[DocumentResult]) -> str:
        return ""

    def read_documents(self) -> Documents:
        """One listing, then an export of each Doc whose version moved since the last read (kept in the cache file)."""
        listed = [doc for doc in map(doc_file, self.drive.our_docs()) if doc is not None]
        cache = ReadCache.load(self.cache_file)
        by_incident: dict[str, Read] = {}
        by_link: dict[str, Read] = {}
        outage: DriveOutage | None = None
        for doc in listed:
            cached = cache.get(doc)
            found: Read
            if cached is None:
                found, outage = self._export(doc, outage)
            else:
                found = cached
            cache.put(doc, found)
            by_incident.setdefault(doc.incident_id, found)
            by_link[doc.link] = found
        gone = f"deleted, or no longer shared with {self.drive.account or 'your Google account'}"
        for doc_id, name in cache.forget_all_but({doc.id for doc in listed}).items():
            by_link[DOC_LINK.format(id=doc_id)] = Unreadable(name, gone)
        cache.save(self.cache_file)
        return Documents(by_incident, by_link)

    def _export(self, doc: DocFile, outage: DriveOutage | None) -> tuple[Read, DriveOutage | None]:
        """The Doc's facts, and the outage met so far: once one export has retried for the whole budget, the
        rest are not tried (each would wait as long again) and are named unreadable for the same reason."""
        if outage is not None:
            return Unreadable(doc.name, str(outage)), outage
        try:
            return read_document(doc.name, self.drive.export(doc.id)), None
        except DriveOutage as error:
            return Unreadable(doc.name, str(error)), error
        except DocsUnavailable as error:
            return Unreadable(doc.name, str(error)), None

    def check(self) -> str:
        info = self.drive.folder_info()
        name, who = info.get("name", self.drive.folder), self.drive.account or "your Google account"
        if info.get("mimeType") != FOLDER_MIME:
            msg = f"postmortems.google_docs.folder {self.drive.folder} ({name}) is a file, not a folder. Use the folder's id or URL."
            raise ConfigError(msg)
        if not (info.get("capabilities") or {}).get("canAddChildren"):
            msg = f"Drive folder {name} ({self.drive.folder}) is shared with {who} read-only. Make the account a Content manager."
            raise DocsUnavailable(msg)
        if not info.get("driveId") and self.drive.account:
            msg = (
                f"Drive folder {name} ({self.drive.folder}) is in someone's My Drive, where service accounts cannot create files "
                "(they have no Drive storage of their own). Use a folder in a shared drive, or register.auth: oauth."
            )
            raise DocsUnavailable(msg)
        return f"Drive folder {name} ({self.drive.folder}) is in a shared drive and {who} can add Docs to it"


class ReadCache:
    """What each Doc said at a version: a Doc is exported again only once a person (or the tool) changed it."""

    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self.entries = entries
        self.dirty = False

    @classmethod
    def load(cls, path: Path) -> ReadCache:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls({})  # no cache yet, or a damaged one: read every Doc again
        return cls(entries if isinstance(entries, dict) else {})

    def get(self, doc: DocFile) -> DocumentFacts | None:
        entry = self.entries.get(doc.id)
        if not isinstance(entry, dict) or entry.get("version") != doc.version:
            return None
        try:
            facts = entry["facts"]
            actions = tuple(ListedAction(str(item[0]), str(item[1])) for item in facts["actions"])
            return DocumentFacts(str(facts["name"]), facts["status"], tuple(facts["unwritten"]), actions)
        except (KeyError, TypeError, IndexError):
            return None

    def put(self, doc: DocFile, found: Read) -> None:
        if not isinstance(found, DocumentFacts) or self.get(doc) == found:
            return
        facts = {
            "name": found.name,
            "status": found.status,
            "unwritten": list(found.unwritten),
            "actions": [[a.id, a.text] for a in found.actions],
        }
        self.entries[doc.id] = {"version": doc.version, "name": doc.name, "facts": facts}
        self.dirty = True

    def forget_all_but(self, ids: set[str]) -> dict[str, str]:
        """Drop the Docs no longer listed; their id -> name, for one warning each."""
        gone = {
            doc_id: str(entry.get("name", doc_id))
            for doc_id, entry in self.entries.items()
            if doc_id not in ids and isinstance(entry, dict)
        }
        for doc_id in gone:
            del self.entries[doc_id]
        self.dirty |= bool(gone)
        return gone

    def save(self, path: Path) -> None:
        if not self.dirty:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(path, json.dumps(self.entries, ensure_ascii=False))
        except OSError:
            pass  # only a cache: the next run reads the Docs again


def doc_file(found: Mapping[str, Any]) -> DocFile | None:
    properties = found.get("appProperties") or {}
    if not properties.get(INCIDENT):
        return None
    return DocFile(
        id=str(found["id"]),
        name=str(found.get("name", "")),
        version=str(found.get("version", "")),
        incident_id=str(properties[INCIDENT]),
        recorded_hash=str(properties.get(HASH, "")),
        ours=bool((found.get("lastModifyingUser") or {}).get("me")),
    )


def _body(text: str) -> str:
    front = read_front_matter(text)
    return front.body if front is not None else text


def open_drive(config: Config) -> Drive:
    """Drive with the register's Google identity, or the key postmortems.google_docs names when the register is a workbook."""
    settings = docs_settings(config)
    register = config.register
    if not docs_use_register_identity(config):
        register = replace(register, auth="service_account", credentials=settings.credentials, credentials_env=settings.credentials_env)
    identity = load_identity(register, access=DOCS_ACCESS, key_name="postmortems.google_docs.credentials", login=login_scopes(config))
    endpoint = settings.api_endpoint or (config.register.api_endpoint if config.register.backend == "google" else GOOGLE_SHEETS)
    session = EndpointSession(identity.credentials, endpoint)
    retry = RetryPolicy(total_seconds=config.register.retry_seconds)
    return Drive(session, account=identity.email, folder=settings.folder, timeout=config.register.timeout_seconds, retry=retry)


def docs_settings(config: Config) -> GoogleDocsConfig:
    settings = config.postmortems.google_docs
    if settings is None:
        msg = "postmortems.publish is google_docs but postmortems.google_docs.folder is not set."
        raise ConfigError(msg)
    return settings
