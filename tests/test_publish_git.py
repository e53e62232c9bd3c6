"""postmortems.publish: git, against a real bare repository on disk and a second clone playing the PM.

Every git command is the real program; a test that needs someone to push "meanwhile" wraps the
runner so the PM's push happens between the tool's fetch and its push.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from pmsheets import config as config_module
from pmsheets.cli.session import check_register
from pmsheets.config import GitPublishConfig
from pmsheets.ops.cycle import Status
from pmsheets.ops.lease import lease_for
from pmsheets.outputs.git_publish import GitPublisher, GitResult, clone_name, run_git, web_folder
from pmsheets.outputs.publish import Drafted, draft_and_link
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import AS_OF, write_workbook
from tests.cli_helpers import run
from tests.postmortem_fixtures import LINK_BASE, sample_tables
from tests.troubleshooting_doc import DOCUMENTED, shape
from tests.worker_fixtures import Cycles, worker_config

P0_DOC = "docs/postmortems/2026-11-20-inc-1-checkout-api-outage.md"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "PM",
    "GIT_AUTHOR_EMAIL": "pm@example.com",
    "GIT_COMMITTER_NAME": "PM",
    "GIT_COMMITTER_EMAIL": "pm@example.com",
}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git program")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository whose main branch already holds a README, as a team's repository does."""
    bare = tmp_path / "ops.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(bare), str(seed))
    (seed / "README.md").write_text("ops\n", encoding="utf-8")
    git(seed, "add", "README.md")
    git(seed, "commit", "--quiet", "-m", "start")
    git(seed, "push", "--quiet", "origin", "HEAD:main")
    return bare


class PM:
    """The PM's own clone of the team's repository."""

    def __init__(self, remote: Path, folder: Path) -> None:
        git(folder.parent, "clone", "--quiet", str(remote), str(folder))
        self.folder = folder

    def pull(self) -> None:
        git(self.folder, "pull", "--quiet", "--rebase", "origin", "main")

    def edit_and_push(self, path: str, text: str, message: str = "PM edit") -> None:
        self.pull()
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        git(self.folder, "add", path)
        git(self.folder, "commit", "--quiet", "-m", message)
        git(self.folder, "push", "--quiet", "origin", "HEAD:main")


@pytest.fixture
def pm(remote: Path, tmp_path: Path) -> PM:
    return PM(remote, tmp_path / "pm")


def project(tmp_path: Path, remote: Path | str, extra: str = "") -> Path:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    config = tmp_path / "pmsheets.yaml"
    config.write_text(
        f"register:\n  path: register.xlsx\npostmortems:\n  publish: git\n{extra}  git:\n    remote: {remote}\n    cache_dir: cache\n",
        encoding="utf-8",
    )
    return config


def generate(config: Path, *args: str) -> tuple[int, str, str]:
    return run("--config", str(config), "generate", "--as-of", AS_OF.isoformat(), *args)


def remote_file(remote: Path, path: str) -> str:
    return git(remote, "show", f"main:{path}")


def remote_log(remote: Path) -> list[str]:
    return git(remote, "log", "--format=%s", "main").splitlines()


def draft_with(config: Path, run: object) -> Drafted:
    """The draft-and-link step with a GitPublisher whose git runner is `run`."""
    checked = check_register(config_module.load(config), AS_OF)
    settings = checked.config.postmortems
    assert settings.git is not None
    publisher = GitPublisher(settings.git, settings.link_base, run=run)  # type: ignore[arg-type]
    return draft_and_link(
        checked.config,
        checked.backend,
        checked.raw.tables,
        checked.validation.register,
        as_of=AS_OF,
        policy=checked.config.policy_in(checked.timezone),
        publisher=publisher,
    )


class PushesFirst:
    """A git runner that lets the PM push (`times` times) just before the tool's push."""

    def __init__(self, pm: PM, path: str, times: int = 1) -> None:
        self.pm, self.path, self.left, self.pushes = pm, path, times, 0

    def __call__(self, args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> GitResult:
        if args[0] == "push":
            self.pushes += 1
            if self.left:
                self.left -= 1
                self.pm.edit_and_push(self.path, f"written meanwhile, {self.left}\n", message=f"meanwhile {self.left}")
        return run_git(args, cwd, env)


# --- publishing ------------------------------------------------------------------------------------


def test_generate_pushes_the_drafts_into_the_repository_folder(tmp_path: Path, remote: Path) -> None:
    code, out, _ = generate(project(tmp_path, remote))
    assert code == 0, out
    assert remote_file(remote, P0_DOC).startswith("---\n")


def test_one_commit_per_run_names_the_incidents(tmp_path: Path, remote: Path) -> None:
    generate(project(tmp_path, remote))
    assert remote_log(remote) == ["Post-mortem drafts: INC-1, INC-2, INC-3", "start"]


def test_run_with_nothing_changed_makes_no_commit(tmp_path: Path, remote: Path) -> None:
    config = project(tmp_path, remote)
    generate(config)
    code, out, _ = generate(config)
    assert (code, len(remote_log(remote))) == (0, 2), out


def test_generate_says_where_it_pushed(tmp_path: Path, remote: Path) -> None:
    _, out, _ = generate(project(tmp_path, remote))
    assert f"Pushed 3 draft(s) to {remote} (main)." in out


def test_draft_the_pm_edited_and_pushed_is_never_overwritten(tmp_path: Path, remote: Path, pm: PM) -> None:
    config = project(tmp_path, remote)
    generate(config)
    pm.pull()
    edited = (pm.folder / P0_DOC).read_text(encoding="utf-8").replace("_To write._", "The pager was silent.", 1)
    pm.edit_and_push(P0_DOC, edited)
    _, out, _ = generate(config, "--as-of", "2026-12-24T09:00+00:00")  # later: the P0's actions turn overdue
    assert "kept, edited by hand" in out
    assert remote_file(remote, P0_DOC) == edited


def test_force_replaces_the_edited_draft_and_pushes_its_bak(tmp_path: Path, remote: Path, pm: PM) -> None:
    config = project(tmp_path, remote)
    generate(config)
    pm.edit_and_push(P0_DOC, "A PM's own text\n")
    generate(config, "--force", "--incident", "INC-1")
    assert remote_file(remote, P0_DOC + ".bak") == "A PM's own text\n"


def test_push_raced_by_another_push_is_replayed_on_top_of_it(tmp_path: Path, remote: Path, pm: PM) -> None:
    drafted = draft_with(project(tmp_path, remote), PushesFirst(pm, "NOTES.md"))
    assert drafted.problem is None
    assert remote_log(remote) == ["Post-mortem drafts: INC-1, INC-2, INC-3", "meanwhile 0", "start"]


def test_edit_pushed_between_fetch_and_push_is_kept(tmp_path: Path, remote: Path, pm: PM) -> None:
    drafted = draft_with(project(tmp_path, remote), PushesFirst(pm, P0_DOC))
    assert remote_file(remote, P0_DOC) == "written meanwhile, 0\n"
    assert {result.incident_id: str(result.outcome) for result in drafted.results}["INC-1"] == "kept, edited by hand"


def test_push_raced_every_time_gives_up_after_three_attempts_without_forcing(tmp_path: Path, remote: Path, pm: PM) -> None:
    racing = PushesFirst(pm, "NOTES.md", times=10)
    drafted = draft_with(project(tmp_path, remote), racing)
    assert racing.pushes == 3
    assert "Gave up after 3 attempts" in str(drafted.problem)
    assert remote_log(remote)[:3] == ["meanwhile 7", "meanwhile 8", "meanwhile 9"]  # every push of the PM is still there


# --- two processes, one clone ----------------------------------------------------------------------


class ReadBackBeforeCommit:
    """A git runner that, once the drafts are written (at the tool's `git add`), has another process read the
    documents back through the same clone: a worker's check step, while a PM runs generate by hand."""

    def __init__(self, config: Path) -> None:
        self.config, self.problem = config, ""

    def __call__(self, args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> GitResult:
        if args[0] == "add" and not self.problem:
            settings = config_module.load(self.config).postmortems.git
            assert settings is not None
            self.problem = str(GitPublisher(settings, None).read_documents().problem)
        return run_git(args, cwd, env)


def test_a_read_back_by_another_process_cannot_reset_the_clone_under_drafts_being_published(tmp_path: Path, remote: Path) -> None:
    config = project(tmp_path, remote)
    other = ReadBackBeforeCommit(config)
    drafted = draft_with(config, other)
    assert "is publishing through" in other.problem
    assert (drafted.problem, drafted.published) == (None, f"pushed 3 draft(s) to {remote} (main)")
    assert remote_file(remote, P0_DOC).startswith("---\n")  # committed and pushed, not wiped by the other's reset


@pytest.fixture
def held_clone(tmp_path: Path, remote: Path) -> Iterator[Path]:
    """The config, while another process holds the clone's lock (a worker in the middle of publishing)."""
    config = project(tmp_path, remote)
    lock = tmp_path / "cache" / f"{clone_name(str(remote), 'main')}.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield config


def test_generate_while_another_process_publishes_exits_2_with_one_documented_line(held_clone: Path, remote: Path) -> None:
    code, _, err = generate(held_clone)
    assert (code, err.count("\n")) == (2, 1)
    assert "another pmsheets process is publishing through" in err
    assert "Run this again in a minute" in err
    assert shape(err.rstrip("\n")) in DOCUMENTED
    assert remote_log(remote) == ["start"]


def test_read_back_while_another_process_publishes_is_skipped_with_a_warning(held_clone: Path) -> None:
    from pmsheets.outputs.publish import read_documents

    documents = read_documents(config_module.load(held_clone))
    assert "is publishing through" in str(documents.problem)
    assert "the documents were not checked" in str(documents.problem)


# --- an unreachable remote -------------------------------------------------------------------------


def test_unreachable_remote_exits_2_with_one_line(tmp_path: Path) -> None:
    code, _, err = generate(project(tmp_path, tmp_path / "nowhere.git"))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("pmsheets: error: could not reach postmortems.git.remote")


def test_unreachable_remote_keeps_the_drafts_in_the_tool_clone(tmp_path: Path) -> None:
    generate(project(tmp_path, tmp_path / "nowhere.git"))
    clone = tmp_path / "cache" / clone_name(str(tmp_path / "nowhere.git"), "main")
    assert (clone / P0_DOC).is_file()
    assert git(clone, "log", "--format=%s").splitlines() == ["Post-mortem drafts: INC-1, INC-2, INC-3"]


def test_drafts_kept_while_the_remote_was_away_are_published_by_the_next_run(tmp_path: Path, remote: Path) -> None:
    config = project(tmp_path, remote)
    away = remote.rename(tmp_path / "away.git")
    assert generate(config)[0] == 2
    away.rename(remote)
    code, _, _ = generate(config)
    assert code == 0
    assert remote_file(remote, P0_DOC).startswith("---\n")


def test_unreachable_remote_writes_no_link_into_the_register(tmp_path: Path) -> None:
    config = project(tmp_path, tmp_path / "nowhere.git", extra=f"  link_base: {LINK_BASE}\n")
    generate(config)
    assert "checkout-api-outage.md" not in str(XlsxRegister(tmp_path / "register.xlsx").read().tables["Incidents"])


def test_empty_repository_gets_its_branch_with_the_first_drafts(tmp_path: Path) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    assert generate(project(tmp_path, bare))[0] == 0
    assert remote_log(bare) == ["Post-mortem drafts: INC-1, INC-2, INC-3"]


# --- links -----------------------------------------------------------------------------------------


def test_link_base_links_each_pushed_draft(tmp_path: Path, remote: Path) -> None:
    generate(project(tmp_path, remote, extra=f"  link_base: {LINK_BASE}\n"))
    cells = str(XlsxRegister(tmp_path / "register.xlsx").read().tables["Incidents"])
    assert f"{LINK_BASE}/2026-11-20-inc-1-checkout-api-outage.md" in cells


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:acme/ops.git", "https://github.com/acme/ops/blob/main/docs/postmortems"),
        ("https://github.com/acme/ops.git", "https://github.com/acme/ops/blob/main/docs/postmortems"),
        ("ssh://git@github.com/acme/ops", "https://github.com/acme/ops/blob/main/docs/postmortems"),
        ("git@gitlab.com:acme/infra/ops.git", "https://gitlab.com/acme/infra/ops/-/blob/main/docs/postmortems"),
    ],
)
def test_github_and_gitlab_remotes_link_to_the_file_on_the_branch(remote: str, expected: str) -> None:
    assert web_folder(remote, "main", "docs/postmortems") == expected


def test_other_hosts_have_no_web_link_without_link_base() -> None:
    assert web_folder("git@git.example.com:acme/ops.git", "main", "docs/postmortems") is None


# --- credentials -----------------------------------------------------------------------------------

TOKEN = "ghp_NotARealTokenButLongEnough123456"


def test_https_token_goes_to_git_through_the_environment_only(tmp_path: Path) -> None:
    seen: list[tuple[Sequence[str], Mapping[str, str]]] = []

    def spy(args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> GitResult:
        seen.append((args, env))
        return run_git(args, cwd, env)

    settings = GitPublishConfig(remote="https://127.0.0.1:9/acme/ops.git", token_env="OPS_GIT_TOKEN", cache_dir=tmp_path)
    GitPublisher(settings, None, environ={**os.environ, "OPS_GIT_TOKEN": TOKEN}, run=spy).open()
    fetch_env = next(env for args, env in seen if args[0] == "fetch")
    assert fetch_env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert all(TOKEN not in " ".join(args) for args, _ in seen)


def test_token_never_appears_in_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_GIT_TOKEN", TOKEN)
    config = project(tmp_path, "https://127.0.0.1:9/acme/ops.git")
    config.write_text(config.read_text(encoding="utf-8") + "    token_env: OPS_GIT_TOKEN\n", encoding="utf-8")
    code, out, err = generate(config)
    assert code == 2
    assert TOKEN not in out + err


def test_remote_url_holding_a_password_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    config = project(tmp_path, f"https://bot:{TOKEN}@github.com/acme/ops.git")
    code, _, err = generate(config)
    assert "postmortems.git.remote" in err
    assert (code, TOKEN in err) == (2, False)


# --- the worker ------------------------------------------------------------------------------------


def test_worker_cycle_publishes_to_the_configured_repository(tmp_path: Path, remote: Path) -> None:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    backend = XlsxRegister(tmp_path / "register.xlsx")
    config = worker_config(tmp_path, postmortems={"publish": "git", "git": {"remote": str(remote), "cache_dir": "cache"}})
    result = Cycles(backend, lease_for(backend, "worker-a"), config).run()
    assert result.step("drafts").status is Status.OK, result.step("drafts").detail
    assert remote_file(remote, P0_DOC).startswith("---\n")


# --- doctor ----------------------------------------------------------------------------------------


def doctor(config: Path) -> tuple[int, str]:
    code, out, _ = run("--config", str(config), "doctor")
    return code, out


def test_doctor_reaches_the_remote_and_its_branch(tmp_path: Path, remote: Path) -> None:
    code, out = doctor(project(tmp_path, remote))
    assert f"ok    post-mortems: {remote} has branch main; drafts go to docs/postmortems/" in out
    assert code == 0


def test_doctor_fails_on_an_unreachable_remote(tmp_path: Path) -> None:
    code, out = doctor(project(tmp_path, tmp_path / "nowhere.git"))
    assert "FAIL  post-mortems: cannot reach postmortems.git.remote" in out
    assert code == 2  # doctor: a failed check


# --- reading the documents back --------------------------------------------------------------------


def test_read_back_sees_the_status_a_pm_pushed(tmp_path: Path, remote: Path, pm: PM) -> None:
    from pmsheets.core.documents import DocumentFacts
    from pmsheets.outputs.publish import read_documents

    config = project(tmp_path, remote)
    generate(config)
    pm.pull()
    text = (pm.folder / P0_DOC).read_text(encoding="utf-8").replace("| Status | Not started |", "| Status | Reviewed |")
    pm.edit_and_push(P0_DOC, text)
    found = read_documents(config_module.load(config)).by_incident["INC-1"]
    assert isinstance(found, DocumentFacts)
    assert found.status == "Reviewed"


def test_read_back_of_an_unreachable_remote_says_so_once(tmp_path: Path) -> None:
    from pmsheets.outputs.publish import read_documents

    documents = read_documents(config_module.load(project(tmp_path, tmp_path / "nowhere.git")))
    assert "could not reach postmortems.git.remote" in str(documents.problem)
    assert documents.by_incident == {}


# --- the read-back checks through validate -----------------------------------------------------------


def validate_json(config: Path) -> tuple[int, list[dict[str, str]], str]:
    import json

    code, out, err = run("--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--format", "json", "--no-write")
    return code, json.loads(out)["findings"], err


def test_validate_reports_an_action_the_pm_pushed_that_the_register_does_not_track(tmp_path: Path, remote: Path, pm: PM) -> None:
    config = project(tmp_path, remote)
    generate(config)
    pm.pull()
    text = (
        (pm.folder / P0_DOC)
        .read_text(encoding="utf-8")
        .replace("| ACT-3 |", "| ACT-99 | Page the DBA | Tom | 2026-12-01 | OPS-9 | Open |\n| ACT-3 |", 1)
    )
    pm.edit_and_push(P0_DOC, text)
    _, findings, _ = validate_json(config)
    assert [f["incident"] for f in findings if f["rule"] == "doc-action-untracked"] == ["INC-1"]


def test_validate_with_the_remote_unreachable_warns_once_and_still_checks_the_register(tmp_path: Path) -> None:
    code, findings, err = validate_json(project(tmp_path, tmp_path / "nowhere.git"))
    assert err.startswith("pmsheets: warning: post-mortem documents not checked: could not reach postmortems.git.remote")
    assert (code, err.count("\n"), any(f["rule"] == "postmortem-required" for f in findings)) == (1, 1, True)


def test_worker_cycle_logs_documents_it_could_not_read(tmp_path: Path) -> None:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    backend = XlsxRegister(tmp_path / "register.xlsx")
    config = worker_config(tmp_path, postmortems={"publish": "git", "git": {"remote": str(tmp_path / "nowhere.git"), "cache_dir": "cache"}})
    cycles = Cycles(backend, lease_for(backend, "worker-a"), config)
    cycles.run()
    assert len(cycles.events.named("documents.unread")) == 1
