"""The config keys of `pmsheets generate`: templates_dir and the postmortems section."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmsheets import config
from pmsheets.errors import ConfigError
from tests.cli_helpers import write_config


def test_postmortems_dir_defaults_to_docs_postmortems_beside_the_config(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, ""))
    assert loaded.postmortems.dir == tmp_path / "docs" / "postmortems"


def test_postmortems_defaults_write_nothing_into_the_register(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, ""))
    assert (loaded.postmortems.link_base, loaded.postmortems.set_status_draft) == (None, False)


def test_postmortems_keys_are_read(tmp_path: Path) -> None:
    text = "postmortems:\n  dir: pm\n  link_base: https://git.example.com/ops/blob/main/pm/\n  set_status_draft: true\n"
    loaded = config.load(write_config(tmp_path, text))
    assert loaded.postmortems.dir == tmp_path / "pm"
    assert loaded.postmortems.link_base == "https://git.example.com/ops/blob/main/pm"
    assert loaded.postmortems.set_status_draft is True


def test_templates_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, "templates_dir: my-templates\n"))
    assert loaded.templates_dir == tmp_path / "my-templates"


def test_templates_dir_defaults_to_none(tmp_path: Path) -> None:
    assert config.load(write_config(tmp_path, "")).templates_dir is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("postmortems:\n  folder: x\n", "unknown key 'postmortems.folder'", id="unknown-key"),
        pytest.param(
            "postmortems:\n  set_status_draft: yes please\n", "'postmortems.set_status_draft' must be true or false", id="not-a-bool"
        ),
        pytest.param("postmortems:\n  link_base: docs/postmortems\n", "'postmortems.link_base' must be an http(s) URL", id="not-a-url"),
        pytest.param("templates_dir: 3\n", "'templates_dir' must be a non-empty text", id="templates-dir-not-text"),
        pytest.param("postmortems:\n  publish: wiki\n", "'postmortems.publish' must be 'local' or 'git' or 'google_docs'", id="publish"),
        pytest.param("postmortems:\n  publish: git\n", "'postmortems.git.remote' is required", id="git-without-remote"),
        pytest.param(
            "postmortems:\n  git:\n    remote: x\n    path: ../up\n", "'postmortems.git.path' must be a folder inside", id="path-out"
        ),
        pytest.param(
            "postmortems:\n  git:\n    remote: x\n    branch: a b\n", "'postmortems.git.branch' must be a branch name", id="branch"
        ),
        pytest.param(
            "postmortems:\n  git:\n    remote: x\n    token: abc\n", "'postmortems.git.token' looks like a secret", id="token-in-config"
        ),
        pytest.param("postmortems:\n  publish: google_docs\n", "'postmortems.google_docs.folder' is required", id="docs-without-folder"),
        pytest.param(
            "postmortems:\n  google_docs:\n    folder: a/b\n", "'postmortems.google_docs.folder' must be a Drive folder id", id="folder"
        ),
    ],
)
def test_bad_postmortems_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        config.load(write_config(tmp_path, text))


def references_section(environment_references: tuple[str, ...] | None) -> list[str]:
    from pmsheets.core.policy import Policy, policy_context
    from pmsheets.outputs.postmortem_doc import build_view, render_body
    from pmsheets.outputs.postmortems import template_environment
    from tests.postmortem_fixtures import AS_OF, register_of, sample_tables

    register = register_of(sample_tables())
    environment = template_environment(None) if environment_references is None else template_environment(None, environment_references)
    body = render_body(build_view(register.incidents[0], policy_context(register, AS_OF, Policy())), environment)
    section = body.split("## References", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.strip()]


def test_a_draft_references_only_the_policy_by_default() -> None:
    assert references_section(None) == ["- Post-mortem policy: POSTMORTEM_PROCESS.md"]


def test_a_draft_references_what_postmortems_references_lists(tmp_path: Path) -> None:
    text = 'postmortems:\n  references:\n    - "Runbooks: https://wiki.example.com/runbooks"\n'
    loaded = config.load(write_config(tmp_path, text))
    assert references_section(loaded.postmortems.references) == ["- Runbooks: https://wiki.example.com/runbooks"]


def test_publish_defaults_to_local(tmp_path: Path) -> None:
    assert config.load(write_config(tmp_path, "")).postmortems.publish == "local"


def test_git_keys_take_their_defaults(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, "postmortems:\n  publish: git\n  git:\n    remote: git@github.com:acme/ops.git\n"))
    git = loaded.postmortems.git
    assert git is not None
    assert (git.remote, git.branch, git.path, git.token_env, git.cache_dir) == (
        "git@github.com:acme/ops.git",
        "main",
        "docs/postmortems",
        None,
        None,
    )


def test_git_remote_given_as_a_path_is_relative_to_the_config(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, "postmortems:\n  git:\n    remote: repos/ops.git\n"))
    assert loaded.postmortems.git is not None
    assert loaded.postmortems.git.remote == str(tmp_path / "repos" / "ops.git")


def test_drive_folder_url_is_reduced_to_its_id(tmp_path: Path) -> None:
    text = "postmortems:\n  google_docs:\n    folder: https://drive.google.com/drive/folders/0AbC_d-9?usp=sharing\n"
    docs = config.load(write_config(tmp_path, text)).postmortems.google_docs
    assert docs is not None
    assert docs.folder == "0AbC_d-9"
