"""Where the emails' links point: the register, an item's row in it, a tracking key, a post-mortem document.

A link target is only ever an http(s) URL. Register text becomes one only when it already is
such a URL, or when it is a tracking key of a strict shape (`DATA-301`, `#123`,
`org/repo#123`) put into a URL the config gives; anything else (`javascript:`, a key of
another shape, free text) stays text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from pmsheets.model import RowRef

KEY_FIELD = "{key}"

_WEB_LINK = re.compile(r"https?://[^\s\"'<>]+$", re.IGNORECASE)
_TRACKER_KEY = re.compile(r"[A-Z][A-Z0-9_]*-\d+")
_GITHUB_REF = re.compile(r"(?:(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+))?#(?P<number>\d+)")


def web_link(link: str | None) -> str | None:
    """Only http(s) links become clickable; anything else (an issue key, javascript:) stays text."""
    if link and _WEB_LINK.match(link.strip()):
        return link.strip()
    return None


@dataclass(frozen=True, slots=True)
class Links:
    """The links a report can make. `register_url` is None for a workbook (it has no address to share)."""

    register_url: str | None = None
    sheet_ids: Mapping[str, int] = field(default_factory=dict)
    """Tab title -> the Google sheet id (`gid`) a row link names."""
    tracker_url: str | None = None
    """e.g. https://jira.example.com/browse/{key}: a key like DATA-301 is put in place of {key}."""
    github_url: str | None = None
    """`org/repo#123` links to <its host>/org/repo/issues/123; a bare `#123` only when this names a repository."""

    def row(self, ref: RowRef | None) -> str | None:
        """The register row an item was read from, selected (Google Sheets' #gid=…&range=A<row>)."""
        if self.register_url is None or ref is None or ref.tab not in self.sheet_ids:
            return None
        return f"{self.register_url}#gid={self.sheet_ids[ref.tab]}&range=A{ref.row}"

    def tracking(self, text: str | None) -> str | None:
        """A tracking link cell as a URL: a full http(s) URL as it is, a key through the tracker or GitHub."""
        if not text:
            return None
        url = web_link(text)
        if url is not None:
            return url
        value = text.strip()
        if self.tracker_url and _TRACKER_KEY.fullmatch(value):
            return self.tracker_url.replace(KEY_FIELD, quote(value, safe=""))
        github = _GITHUB_REF.fullmatch(value)
        return self._github_issue(github["repo"], github["number"]) if github and self.github_url else None

    def _github_issue(self, repo: str | None, number: str) -> str | None:
        assert self.github_url is not None
        parts = urlsplit(self.github_url)
        if repo is not None:
            return f"{parts.scheme}://{parts.netloc}/{repo}/issues/{number}"
        path = parts.path.strip("/")
        return f"{self.github_url.rstrip('/')}/issues/{number}" if path.count("/") == 1 else None

    @staticmethod
    def doc(text: str | None) -> str | None:
        """A post-mortem document: linked only when the cell holds an http(s) URL."""
        return web_link(text)


NO_LINKS = Links()
