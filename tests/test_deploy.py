"""The deployment examples in deploy/ parse and say what docs/operations.md says they do."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsheets.config import from_mapping

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "pmsheets-worker.service"
DOCKERFILE = DEPLOY / "Dockerfile"
CRONJOB = DEPLOY / "kubernetes" / "cronjob.yaml"


# --- systemd ------------------------------------------------------------------------------------------


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_systemd_unit_runs_the_worker_as_a_service_user() -> None:
    service = unit()["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["worker", "--log-format", "json"]
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "on-failure"


def test_systemd_unit_stops_with_sigterm_and_time_to_finish_the_job() -> None:
    service = unit()["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"] == "5min"


def test_systemd_unit_is_enabled_for_the_normal_boot() -> None:
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists: point it at one that does on this machine.
    true = shutil.which("true")
    assert true is not None
    text = UNIT.read_text(encoding="utf-8").replace("/opt/pmsheets/venv/bin/pmsheets", true)
    copy = tmp_path / UNIT.name
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr


# --- Dockerfile -----------------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    logical, parts = [], []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not parts and (not line.strip() or line.lstrip().startswith("#")):
            continue
        parts.append(line.rstrip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            logical.append(" ".join(part for part in parts if part))
            parts = []
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def test_dockerfile_uses_only_known_instructions() -> None:
    known = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "VOLUME", "USER", "HEALTHCHECK", "ENTRYPOINT", "CMD", "ARG", "LABEL", "EXPOSE"}
    assert {name for name, _ in instructions()} <= known
    assert instructions()[0][0] == "FROM"


def test_dockerfile_base_image_has_a_supported_python() -> None:
    image = instructions()[0][1]
    match = re.fullmatch(r"python:3\.(\d+)(?:[-.].*)?", image)
    assert match is not None
    assert int(match[1]) >= 11


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for name, args in instructions() if name == "USER"]
    assert users, "no USER instruction: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_user = max(index for index, (name, _) in enumerate(instructions()) if name == "USER")
    assert all(name != "RUN" for name, _ in instructions()[last_user:])


def test_dockerfile_copies_no_config_or_secret_into_the_image() -> None:
    sources = [word for name, args in instructions() if name == "COPY" for word in shlex.split(args)[:-1]]
    assert all((ROOT / source).exists() for source in sources), sources
    assert not any(re.search(r"pmsheets\.ya?ml|secret|key\.json|\.env", source) for source in sources)


def test_dockerfile_reads_config_and_secrets_from_mounts() -> None:
    env = " ".join(args for name, args in instructions() if name == "ENV")
    assert "PMSHEETS_CONFIG=/config/pmsheets.yaml" in env
    assert "TZ=UTC" in env
    assert ("VOLUME", '["/data"]') in instructions()


def test_dockerfile_starts_the_worker_and_checks_its_health() -> None:
    found = dict(instructions())
    assert found["ENTRYPOINT"] == '["pmsheets"]'
    assert found["CMD"] == '["worker", "--log-format", "json"]'
    assert found["HEALTHCHECK"].endswith('CMD ["pmsheets", "health"]')


# --- Kubernetes CronJob ---------------------------------------------------------------------------------


def manifests() -> dict[str, Any]:
    return {document["kind"]: document for document in yaml.safe_load_all(CRONJOB.read_text(encoding="utf-8"))}


def pod() -> dict[str, Any]:
    return dict(manifests()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"])


def test_cronjob_runs_pmsheets_run_every_hour() -> None:
    cronjob = manifests()["CronJob"]
    assert cronjob["apiVersion"] == "batch/v1"
    minute, hour, *rest = cronjob["spec"]["schedule"].split()
    assert (minute.isdigit(), hour, rest) == (True, "*", ["*", "*", "*"])
    assert "pmsheets run" in " ".join(pod()["containers"][0]["command"])


def test_cronjob_never_runs_two_cycles_of_one_register_at_once() -> None:
    spec = manifests()["CronJob"]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert pod()["restartPolicy"] in ("Never", "OnFailure")


def test_cronjob_treats_error_findings_as_success() -> None:
    script = pod()["containers"][0]["command"][-1]
    for code, expected in ((0, 0), (1, 0), (2, 2)):
        result = subprocess.run(["sh", "-c", script.replace("pmsheets run --log-format json", f"(exit {code})")], check=False, timeout=30)
        assert result.returncode == expected


def test_cronjob_runs_as_non_root_with_a_read_only_root() -> None:
    spec = pod()
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]["securityContext"]
    assert (container["readOnlyRootFilesystem"], container["allowPrivilegeEscalation"]) == (True, False)


def test_cronjob_mounts_every_volume_it_names_and_the_config_read_only() -> None:
    spec = pod()
    mounts = {mount["name"]: mount for mount in spec["containers"][0]["volumeMounts"]}
    assert set(mounts) == {volume["name"] for volume in spec["volumes"]}
    assert mounts["config"]["readOnly"] is True
    env = {item["name"]: item for item in spec["containers"][0]["env"]}
    assert env["PMSHEETS_CONFIG"]["value"].startswith(mounts["config"]["mountPath"] + "/")


def test_cronjob_takes_secrets_from_a_secret_never_from_the_manifest() -> None:
    env = {item["name"]: item for item in pod()["containers"][0]["env"]}
    config = yaml.safe_load(manifests()["ConfigMap"]["data"]["pmsheets.yaml"])
    for name in (config["register"]["credentials_env"], config["mail"]["smtp"]["password_env"]):
        assert "secretKeyRef" in env[name]["valueFrom"]


def test_cronjob_config_is_a_valid_pmsheets_config_writing_only_to_the_data_volume() -> None:
    config = from_mapping(yaml.safe_load(manifests()["ConfigMap"]["data"]["pmsheets.yaml"]))
    assert config.worker.heartbeat.is_relative_to("/data")
    assert config.reports.dir.is_relative_to("/data")


def test_cronjob_publishes_the_drafts_instead_of_keeping_them_on_the_volume() -> None:
    config = from_mapping(yaml.safe_load(manifests()["ConfigMap"]["data"]["pmsheets.yaml"]))
    env = {item["name"]: item.get("value") for item in pod()["containers"][0]["env"]}
    assert config.postmortems.publish == "google_docs"
    assert env["XDG_CACHE_HOME"].startswith("/data/")
