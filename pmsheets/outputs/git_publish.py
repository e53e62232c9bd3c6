"""Drafts published to the team's Git repository, through the real `git` program.

The tool keeps its own clone under a cache folder (postmortems.git.cache_dir, else
$XDG_CACHE_HOME/pmsheets/git, else ~/.cache/pmsheets/git). Every run starts from the
remote branch as it is now (fetch, then reset the clone to it), so the never-lose-writing
decision sees every commit a person pushed; drafts are regenerated from the register, so
nothing of value lives only in the clone. A run that changed something makes one commit and
pushes it; a push rejected because someone pushed meanwhile is retried from a fresh fetch
(never forced). Without the remote, the drafts are committed in the clone and the run fails
with one line; the next run that reaches the remote publishes them.

Why the git program and not a library: it is on every machine that can reach the team's
repository, and it brings the SSH agent, GIT_SSH_COMMAND and credential helpers with it.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pmsheets.config import GitPublishConfig
from pmsheets.core.documents import Documents
from pmsheets.errors import PmsheetsError
from pmsheets.outputs.postmortems import DocumentResult, FolderStore, read_folder
from pmsheets.outputs.publish import PublishRetry, cache_root

PUSH_ATTEMPTS = 3
"""A busy repository can move again between our fetch and our push; give up after this many tries."""
NETWORK_TIMEOUT_SECONDS = 120.0
AUTHOR_NAME, AUTHOR_EMAIL = "pmsheets", "pmsheets@localhost"


class GitUnavailable(PmsheetsError):
    """The remote cannot be reached, or git refused; the drafts stay committed in the tool's clone."""


class CloneBusy(GitUnavailable):
    """Another pmsheets process (a worker, a generate by hand) is publishing through the same clone right now."""


class PushRejected(PublishRetry):
    """Someone pushed to the branch between our fetch and our push: start again from a fresh fetch."""


@dataclass(frozen=True, slots=True)
class GitResult:
    code: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], Path, Mapping[str, str]], GitResult]
"""Runs `git <args>` in a folder with an environment; tests wrap it to act between two commands."""


def run_git(args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> GitResult:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=NETWORK_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        msg = "postmortems.publish is git but the git program is not installed (or not on PATH)."
        raise GitUnavailable(msg) from None
    except subprocess.TimeoutExpired:
        return GitResult(124, "", f"git {args[0]} took more than {NETWORK_TIMEOUT_SECONDS:g} s")
    return GitResult(done.returncode, done.stdout, done.stderr)


class GitPublisher:
    """Opens the clone for generate (a FolderStore on `path` inside it), then commits and pushes."""

    attempts = PUSH_ATTEMPTS

    def __init__(
        self, settings: GitPublishConfig, link_base: str | None, *, environ: Mapping[str, str] | None = None, run: Runner = run_git
    ) -> None:
        self.settings = settings
        self.environ = dict(os.environ if environ is None else environ)
        self.run = run
        self.link_base = link_base
        self.web_base = link_base or web_folder(settings.remote, settings.branch, settings.path)
        cache = settings.cache_dir or cache_root(self.environ) / "git"
        self.clone = cache / clone_name(settings.remote, settings.branch)
        self.offline: str | None = None
        self.token = self._token()

    @property
    def where(self) -> str:
        return f"{self.settings.path}/ of {display_remote(self.settings.remote)} ({self.settings.branch})"

    @property
    def links(self) -> bool:
        return self.web_base is not None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One process at a time in the clone: another's fetch and reset would wipe the drafts this one has
        written but not yet committed, and the register would link to files never pushed. The lock file sits
        beside the clone, out of reach of `git clean` and of a fresh start; the lock goes with the process."""
        self.clone.parent.mkdir(parents=True, exist_ok=True)
        lock = self.clone.parent / f"{self.clone.name}.lock"
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                msg = (
                    f"another pmsheets process is publishing through {self.clone} right now (it holds {lock.name}); "
                    "nothing was written. Run this again in a minute: the drafts go out then (a worker does so by itself)."
                )
                raise CloneBusy(msg) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def open(self) -> FolderStore:
        """The clone at the remote branch as it is now; offline, as the last run left it."""
        self._ensure_clone()
        self.offline = None
        branch = self.settings.branch
        fetched = self._git("fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}", check=False)
        if fetched.code == 0:
            self._git("checkout", "--quiet", "-B", branch, f"refs/remotes/origin/{branch}")
            self._git("reset", "--quiet", "--hard", f"refs/remotes/origin/{branch}")
            self._git("clean", "--quiet", "-fdx")
        elif "couldn't find remote ref" in fetched.stderr:
            self._start_branch_afresh()  # an empty repository, or a branch nobody created yet
        else:
            self.offline = self._one_line(fetched)
        return FolderStore(self.clone / self.settings.path, self._link)

    def finish(self, results: Sequence[DocumentResult]) -> str:
        """One commit naming the incidents whose drafts changed, pushed; '' when nothing changed."""
        if (self.clone / self.settings.path).exists():
            self._git("add", "--all", "--", self.settings.path)
        staged = self._git("diff", "--cached", "--quiet", check=False).code != 0
        written = [result.incident_id for result in results if result.outcome.writes]
        if staged:
            self._git("commit", "--quiet", "--no-verify", "-m", commit_message(written))
        if self.offline is not None:
            kept = f"{len(written)} draft(s) are kept in {self.clone} and" if staged else "Drafts"
            msg = f"could not reach postmortems.git.remote {display_remote(self.settings.remote)}: {self.offline}. {kept} published by the next run that reaches it."
            raise GitUnavailable(msg)
        if not staged:
            return ""
        self._push()
        return f"pushed {len(written)} draft(s) to {display_remote(self.settings.remote)} ({self.settings.branch})"

    def read_documents(self) -> Documents:
        """The folder as the remote branch has it now; offline, the clone's copy from the last run, said so."""
        try:
            with self.exclusive():
                store = self.open()
                prefix = f"{self.web_base}/" if self.web_base else None
                documents = read_folder(store.folder, store.link_of, prefix)
        except CloneBusy:
            return Documents(
                problem=f"another pmsheets process is publishing through {self.clone} right now; the documents were not checked"
            )
        if self.offline is None:
            return documents
        problem = f"could not reach postmortems.git.remote {display_remote(self.settings.remote)} ({self.offline}); the documents were not checked"
        return Documents(problem=problem)

    def check(self) -> str:
        """The remote answers and has the branch (or is empty); pushing is only proven by a push."""
        self.clone.parent.mkdir(parents=True, exist_ok=True)
        listed = self.run(("ls-remote", "--heads", self.settings.remote, self.settings.branch), self.clone.parent, self._environment())
        if listed.code != 0:
            msg = f"cannot reach postmortems.git.remote {display_remote(self.settings.remote)}: {self._scrubbed(self._one_line(listed))}"
            raise GitUnavailable(msg)
        branch = "has branch" if listed.stdout.strip() else "is reachable; its first run creates branch"
        return f"{display_remote(self.settings.remote)} {branch} {self.settings.branch}; drafts go to {self.settings.path}/"

    # --- git ---------------------------------------------------------------------------------------

    def _push(self) -> None:
        pushed = self._git("push", "--porcelain", "origin", f"HEAD:refs/heads/{self.settings.branch}", check=False)
        if pushed.code == 0:
            return
        if any(line.startswith("!") for line in pushed.stdout.splitlines()):
            msg = f"{display_remote(self.settings.remote)} ({self.settings.branch}) moved while publishing; {self._one_line(pushed)}"
            raise PushRejected(msg)
        msg = f"could not push to postmortems.git.remote {display_remote(self.settings.remote)}: {self._one_line(pushed)}. Drafts are kept in {self.clone} and published by the next run."
        raise GitUnavailable(msg)

    def _ensure_clone(self) -> None:
        if (self.clone / ".git").is_dir():
            return
        self.clone.mkdir(parents=True, exist_ok=True)
        self._git("init", "--quiet")
        self._git("remote", "add", "origin", self.settings.remote)
        # A fallback identity for the tool's commits; GIT_AUTHOR_NAME and friends still win.
        self._git("config", "user.name", AUTHOR_NAME)
        self._git("config", "user.email", AUTHOR_EMAIL)

    def _start_branch_afresh(self) -> None:
        shutil.rmtree(self.clone)
        self._ensure_clone()
        self._git("symbolic-ref", "HEAD", f"refs/heads/{self.settings.branch}")

    def _git(self, *args: str, check: bool = True) -> GitResult:
        done = self.run(args, self.clone, self._environment())
        done = GitResult(done.code, self._scrubbed(done.stdout), self._scrubbed(done.stderr))
        if check and done.code != 0:
            msg = f"git {args[0]} failed in {self.clone}: {self._one_line(done)}"
            raise GitUnavailable(msg)
        return done

    def _scrubbed(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _environment(self) -> dict[str, str]:
        env = {**self.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        # Never wait for a passphrase nobody will type; a configured GIT_SSH_COMMAND is the team's choice.
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        if self.token:
            # Through the environment, not the command line: other users can read a process's arguments.
            user = "oauth2" if "gitlab" in self.settings.remote else "x-access-token"
            basic = base64.b64encode(f"{user}:{self.token}".encode()).decode("ascii")
            env.update(
                {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader", "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"}
            )
        return env

    def _token(self) -> str | None:
        name = self.settings.token_env
        if name is None:
            return None
        token = self.environ.get(name, "").strip()
        if not token:
            msg = f"environment variable {name} (named by postmortems.git.token_env) is not set or empty. Put the HTTPS token in it."
            raise GitUnavailable(msg)
        return token

    def _one_line(self, done: GitResult) -> str:
        lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
        chosen = next((line for line in lines if line.startswith(("fatal:", "error:", "remote: error"))), lines[-1] if lines else "")
        return chosen.removeprefix("fatal: ").removeprefix("error: ") or f"git exited with {done.code}"

    def _link(self, name: str) -> str | None:
        return f"{self.web_base}/{quote(name)}" if self.web_base else None


# --- names and links -------------------------------------------------------------------------------

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>github\.com|gitlab\.com):(?P<repo>[^/].*?)(?:\.git)?/?$")
_URL_LIKE = re.compile(r"^(?:https|ssh|git)://(?:[^@/]+@)?(?P<host>github\.com|gitlab\.com)(?::\d+)?/(?P<repo>.+?)(?:\.git)?/?$")


def web_folder(remote: str, branch: str, path: str) -> str | None:
    """The folder's web address on github.com or gitlab.com; None for any other remote."""
    found = _SCP_LIKE.match(remote) or _URL_LIKE.match(remote)
    if found is None:
        return None
    where = f"{quote(branch)}/{quote(path)}"
    if found["host"] == "gitlab.com":
        return f"https://gitlab.com/{found['repo']}/-/blob/{where}"
    return f"https://github.com/{found['repo']}/blob/{where}"


def display_remote(remote: str) -> str:
    """The remote as messages show it: any user or password part of a URL left out."""
    return re.sub(r"^([a-z+]+://)[^/@]*@", r"\1", remote)


def clone_name(remote: str, branch: str) -> str:
    tail = re.sub(r"[^A-Za-z0-9_-]+", "-", remote.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")).strip("-") or "repository"
    digest = hashlib.sha256(f"{remote}\n{branch}".encode()).hexdigest()[:10]
    return f"{tail[:40]}-{digest}"


def commit_message(incident_ids: Sequence[str]) -> str:
    shown = ", ".join(incident_ids[:10]) + (f" and {len(incident_ids) - 10} more" if len(incident_ids) > 10 else "")
    subject = f"Post-mortem drafts: {shown}" if incident_ids else "Post-mortem drafts"
    return f"{subject}\n\nWritten by pmsheets from the register. Edit freely: an edited draft is never overwritten."
