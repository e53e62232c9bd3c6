"""Drive v3 for Google Docs: folders (in My Drive or a shared drive) and Docs made by uploading text.

Enough of the service for the post-mortem path: `files.create` as a multipart upload converted
to a Google Doc, `files.get`, `files.list` (the q clauses `'<id>' in parents`, `appProperties has
{ key='k' and value='v' }`, `trashed = false`, `mimeType = '...'`), `files.update` with media,
and `files.export` as text/markdown or text/plain. The Doc keeps the uploaded Markdown as its
content (Google's converter turns it into real headings, tables and lists; exporting gives
Markdown back). What the service does to a service account without storage is copied: creating
outside a shared drive fails with 403 storageQuotaExceeded.

`edit_doc` is a person's edit (content, lastModifyingUser, version, modifiedTime) for tests.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sheets_emulator.errors import ApiError, DriveError

DOCUMENT_MIME = "application/vnd.google-apps.document"
FOLDER_MIME = "application/vnd.google-apps.folder"
IMPORTED = ("text/markdown", "text/plain", "text/html")
EXPORTS = ("text/markdown", "text/plain")
STORAGE_QUOTA = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth delegation "
    "(http://support.google.com/a/answer/7281227) instead."
)


def not_found(file_id: str) -> DriveError:
    return DriveError(404, f"File not found: {file_id}.", "notFound")


@dataclass
class Folder:
    id: str
    name: str
    shared_with: set[str]
    drive_id: str | None
    """The shared drive it is in; None: someone's My Drive."""


@dataclass
class Doc:
    id: str
    name: str
    parent: str
    drive_id: str | None
    content: str
    app_properties: dict[str, str]
    created: str
    modified: str
    last_modifier: str
    version: int = 1
    trashed: bool = False
    shared_with: set[str] = field(default_factory=set)


class DocsStore:
    """Folders and Docs of one emulator; callers hold the Store's lock."""

    def __init__(self, now: Callable[[], str], new_id: Callable[[], str]) -> None:
        self.now, self.new_id = now, new_id
        self.folders: dict[str, Folder] = {}
        self.docs: dict[str, Doc] = {}

    # --- set-up and a person's edits (Python API for tests) -----------------------------------------

    def create_folder(self, name: str, *, shared_with: set[str], shared_drive: bool = True) -> str:
        folder_id = self.new_id()
        self.folders[folder_id] = Folder(folder_id, name, set(shared_with), "0A" + folder_id[:17] if shared_drive else None)
        return folder_id

    def edit_doc(self, doc_id: str, content: str, *, user: str) -> None:
        doc = self.docs[doc_id]
        self._modified(doc, user)
        doc.content = content

    def delete_doc(self, doc_id: str) -> None:
        del self.docs[doc_id]

    def _modified(self, doc: Doc, user: str) -> None:
        doc.version += 1
        doc.modified = self.now()
        doc.last_modifier = user

    # --- API operations -----------------------------------------------------------------------------

    def create(self, metadata: dict[str, Any], media: tuple[str, str], user: str, query: dict[str, str]) -> dict[str, Any]:
        if metadata.get("mimeType") != DOCUMENT_MIME or media[0] not in IMPORTED:
            msg = f"The emulator converts only {', '.join(IMPORTED)} uploads to {DOCUMENT_MIME}."
            raise DriveError(400, msg, "badRequest")
        parents = metadata.get("parents") or []
        if len(parents) != 1:
            raise DriveError(400, "The emulator needs exactly one parent folder.", "badRequest")
        folder = self._folder(parents[0], user, query)
        if folder.drive_id is None and user.endswith(".gserviceaccount.com"):
            raise DriveError(403, STORAGE_QUOTA, "storageQuotaExceeded")
        now = self.now()
        doc = Doc(
            self.new_id(),
            str(metadata.get("name") or "Untitled document"),
            folder.id,
            folder.drive_id,
            media[1],
            dict(metadata.get("appProperties") or {}),
            now,
            now,
            user,
            shared_with=set(folder.shared_with),
        )
        self.docs[doc.id] = doc
        return self.file_json(doc, user)

    def update(
        self, doc_id: str, metadata: dict[str, Any], media: tuple[str, str] | None, user: str, query: dict[str, str]
    ) -> dict[str, Any]:
        doc = self._doc(doc_id, user, query)
        if media is not None:
            if media[0] not in IMPORTED:
                raise DriveError(400, f"The emulator imports only {', '.join(IMPORTED)} into a Doc.", "badRequest")
            doc.content = media[1]
        doc.app_properties.update({k: v for k, v in (metadata.get("appProperties") or {}).items() if v is not None})
        if "name" in metadata:
            doc.name = str(metadata["name"])
        self._modified(doc, user)
        return self.file_json(doc, user)

    def get(self, file_id: str, user: str, query: dict[str, str]) -> dict[str, Any]:
        if file_id in self.folders:
            return self.folder_json(self._folder(file_id, user, query), user)
        return self.file_json(self._doc(file_id, user, query), user)

    def export(self, doc_id: str, user: str, mime: str | None) -> str:
        doc = self._doc(doc_id, user, {"supportsAllDrives": "true"})
        if mime not in EXPORTS:
            raise DriveError(400, f"Export only supports {', '.join(EXPORTS)} in the emulator.", "badRequest")
        return doc.content if mime == "text/markdown" else plain_text(doc.content)

    def listed(self, user: str, query: dict[str, str]) -> list[dict[str, Any]]:
        all_drives = query.get("supportsAllDrives") == "true" and query.get("includeItemsFromAllDrives") == "true"
        tests = [_clause(text) for text in split_query(query.get("q", ""))]
        docs = [doc for doc in self.docs.values() if user in doc.shared_with and (all_drives or doc.drive_id is None)]
        return [self.file_json(doc, user) for doc in docs if all(test(doc) for test in tests)]

    # --- answers ------------------------------------------------------------------------------------

    def file_json(self, doc: Doc, user: str) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "kind": "drive#file",
            "id": doc.id,
            "name": doc.name,
            "mimeType": DOCUMENT_MIME,
            "parents": [doc.parent],
            "appProperties": dict(doc.app_properties),
            "version": str(doc.version),
            "createdTime": doc.created,
            "modifiedTime": doc.modified,
            "lastModifyingUser": {
                "kind": "drive#user",
                "displayName": doc.last_modifier.split("@")[0],
                "emailAddress": doc.last_modifier,
                "me": doc.last_modifier == user,
            },
            "trashed": doc.trashed,
            "webViewLink": f"https://docs.google.com/document/d/{doc.id}/edit?usp=drivesdk",
        }
        if doc.drive_id:
            answer["driveId"] = doc.drive_id
        return answer

    def folder_json(self, folder: Folder, user: str) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "kind": "drive#file",
            "id": folder.id,
            "name": folder.name,
            "mimeType": FOLDER_MIME,
            "capabilities": {"canAddChildren": user in folder.shared_with, "canEdit": user in folder.shared_with},
            "trashed": False,
        }
        if folder.drive_id:
            answer["driveId"] = folder.drive_id
        return answer

    def _folder(self, folder_id: str, user: str, query: dict[str, str]) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None or user not in folder.shared_with or (folder.drive_id and query.get("supportsAllDrives") != "true"):
            raise not_found(folder_id)  # a shared drive's items are invisible to callers that do not say they support them
        return folder

    def _doc(self, doc_id: str, user: str, query: dict[str, str]) -> Doc:
        doc = self.docs.get(doc_id)
        if doc is None or user not in doc.shared_with or (doc.drive_id and query.get("supportsAllDrives") != "true"):
            raise not_found(doc_id)
        return doc


# --- multipart bodies ---------------------------------------------------------------------------------


def upload_parts(content_type: str, body: bytes, upload_type: str | None) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """(metadata, (media type, text)) of an upload request: multipart/related, media, or metadata only."""
    if upload_type == "media":
        return {}, (content_type.split(";", 1)[0].strip(), body.decode("utf-8"))
    if upload_type != "multipart":
        return (json.loads(body) if body.strip() else {}), None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2 or parts[0].get_content_type() != "application/json":
        msg = "Multipart upload needs two parts: the JSON metadata, then the media."
        raise ApiError(400, msg)
    metadata = json.loads(_payload(parts[0]) or b"{}")
    return metadata, (parts[1].get_content_type(), _payload(parts[1]).decode(parts[1].get_content_charset() or "utf-8"))


def _payload(part: Any) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def metadata_json(content_type: str, body: bytes, upload_type: str | None) -> dict[str, Any] | None:
    """The metadata part of a request as JSON (for the discovery check); None when there is none."""
    if upload_type == "media" or not body.strip():
        return None
    return upload_parts(content_type, body, upload_type)[0]


# --- the q language, as much of it as the tool uses ----------------------------------------------------

_IN_PARENTS = re.compile(r"^'(?P<id>[^']+)'\s+in\s+parents$")
_APP_PROPERTY = re.compile(r"^appProperties\s+has\s+\{\s*key\s*=\s*'(?P<key>[^']*)'\s+and\s+value\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*\}$")
_MIME = re.compile(r"^mimeType\s*(?P<op>=|!=)\s*'(?P<value>[^']*)'$")
_TRASHED = re.compile(r"^trashed\s*=\s*(?P<value>true|false)$")


def split_query(q: str) -> list[str]:
    """Clauses joined by `and` at the top level (not inside `{ ... }`)."""
    clauses, depth, start = list[str](), 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", q):
        joint = match.group(0)
        if joint in "{}":
            depth += 1 if joint == "{" else -1
        elif depth == 0:
            clauses.append(q[start : match.start()])
            start = match.end()
    clauses.append(q[start:])
    return [clause.strip() for clause in clauses if clause.strip()]


def _clause(text: str) -> Callable[[Doc], bool]:
    if found := _IN_PARENTS.match(text):
        parent = found["id"]
        return lambda doc: doc.parent == parent
    if found := _APP_PROPERTY.match(text):
        key, value = found["key"], re.sub(r"\\(.)", r"\1", found["value"])
        return lambda doc: doc.app_properties.get(key) == value
    if found := _MIME.match(text):
        wanted = (found["value"] == DOCUMENT_MIME) == (found["op"] == "=")
        return lambda _doc: wanted
    if found := _TRASHED.match(text):
        trashed = found["value"] == "true"
        return lambda doc: doc.trashed == trashed
    raise DriveError(400, f"Invalid Value: the emulator does not understand the query clause {text!r}", "invalid")


def plain_text(markdown: str) -> str:
    """Roughly what Docs exports as text/plain: the words without Markdown's marks."""
    lines = []
    for raw in markdown.splitlines():
        line = re.sub(r"^#{1,6}\s+", "", raw)
        if re.fullmatch(r"\|?\s*:?-{3,}.*", line.strip()):
            continue
        lines.append(re.sub(r"[*_`]|\\(?=[\\|#<`&])", "", line).replace(" | ", "\t").strip("| "))
    return "\n".join(lines) + "\n"
