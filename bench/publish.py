"""Benchmark: publishing post-mortem drafts, in google_docs mode (API requests) and git mode (time).

Run: .venv/bin/python bench/publish.py [--drafts 1 50] [--repeat 3]

google_docs: a register with N incidents that each need a post-mortem, `pmsheets generate`
against the emulator's Drive (in this process, over HTTP through google-auth), counting the
Drive requests of the first run (every Doc created), of a run with nothing changed, of a run
after a person edited one Doc, and of the read-back at the start of a check (first, then with
nothing changed). git: the same register, `pmsheets generate` into a bare repository on disk
(the real git program): the first publish of N drafts (clone, write, commit, push) and a run
with nothing changed, median wall time of --repeat runs each. Token requests are not counted
(google-auth fetches one per hour).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pmsheets import config as config_module
from pmsheets.cli.main import main
from pmsheets.outputs.publish import read_documents
from pmsheets.register.xlsx import create_register
from sheets_emulator import SheetsEmulator

AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def register(path: Path, drafts: int) -> None:
    """`drafts` P0 incidents resolved the day before, each with two actions: each needs a post-mortem."""
    start = AS_OF.replace(tzinfo=None) - timedelta(days=1)
    incidents = [
        {
            "ID": f"INC-{n:04d}",
            "Title": f"Outage number {n}",
            "Severity": "P0",
            "Detected at": start,
            "Resolved at": start + timedelta(hours=1),
            "Customer impact": "Non-trivial",
            "Impact minutes": 60,
            "Incident owner": "Priya Shah",
            "Primary responder": "Tom Okafor",
            "Summary": "Checkout returned 503 for all customers.",
        }
        for n in range(1, drafts + 1)
    ]
    actions = [
        {
            "ID": f"ACT-{n:04d}-{k}",
            "Incident ID": f"INC-{n:04d}",
            "Action": "Add a limit check",
            "Type": "Short-term",
            "Owner": "Tom Okafor",
            "Due date": AS_OF.date() + timedelta(days=14),
            "Tracking link": f"OPS-{n}",
        }
        for n in range(1, drafts + 1)
        for k in (1, 2)
    ]
    create_register(path, {"incidents": incidents, "actions": actions})


def generate(config: Path, as_of: datetime = AS_OF) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), "generate", "--as-of", as_of.isoformat()], stdout=out, stderr=err)
    if code != 0:
        msg = f"generate exited {code}: {err.getvalue()}"
        raise SystemExit(msg)
    return out.getvalue()


def drive_requests(emulator: SheetsEmulator, action: Callable[[], Any]) -> int:
    before = emulator.count("drive")
    action()
    return emulator.count("drive") - before


def bench_docs(drafts: int, folder: Path) -> dict[str, int]:
    os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
    with SheetsEmulator() as emulator:
        register(folder / "register.xlsx", drafts)
        emulator.write_key_file(folder / "key.json")
        drive_folder = emulator.create_folder()
        config = folder / "pmsheets.yaml"
        config.write_text(
            "register:\n  path: register.xlsx\npostmortems:\n  publish: google_docs\n"
            f"  google_docs:\n    folder: {drive_folder}\n    credentials: key.json\n    api_endpoint: {emulator.url}\n",
            encoding="utf-8",
        )
        loaded = config_module.load(config)
        figures = {"first run": drive_requests(emulator, lambda: generate(config))}
        figures["nothing changed"] = drive_requests(emulator, lambda: generate(config))
        first_doc = next(iter(emulator.store.docs.docs))
        emulator.edit_doc(first_doc, "# Post-mortem\n\nOur own words.\n")
        figures["one Doc edited by a person"] = drive_requests(emulator, lambda: generate(config))
        figures["read-back, first"] = drive_requests(emulator, lambda: read_documents(loaded))
        figures["read-back, nothing changed"] = drive_requests(emulator, lambda: read_documents(loaded))
        return figures


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def bench_git(drafts: int, folder: Path, repeat: int) -> dict[str, float]:
    first, again = [], []
    for attempt in range(repeat):
        run = folder / f"git-{attempt}"
        run.mkdir()
        register(run / "register.xlsx", drafts)
        git(run, "init", "--quiet", "--bare", "-b", "main", "ops.git")
        config = run / "pmsheets.yaml"
        config.write_text(
            "register:\n  path: register.xlsx\npostmortems:\n  publish: git\n  git:\n    remote: ops.git\n    cache_dir: cache\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        generate(config)
        first.append(time.perf_counter() - started)
        started = time.perf_counter()
        generate(config)
        again.append(time.perf_counter() - started)
    return {"first publish": statistics.median(first), "nothing changed": statistics.median(again)}


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--drafts", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for drafts in args.drafts:
        with tempfile.TemporaryDirectory() as temp:
            docs = bench_docs(drafts, Path(temp))
        print(f"google_docs, {drafts} draft(s): " + ", ".join(f"{name}: {n} request(s)" for name, n in docs.items()), flush=True)
    for drafts in args.drafts:
        with tempfile.TemporaryDirectory() as temp:
            times = bench_git(drafts, Path(temp), args.repeat)
        print(
            f"git, {drafts} draft(s), median of {args.repeat}: " + ", ".join(f"{name}: {s:.2f} s" for name, s in times.items()), flush=True
        )


if __name__ == "__main__":
    main_bench()
