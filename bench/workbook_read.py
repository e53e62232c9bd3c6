"""Benchmark: `pmsheets validate --no-write` on a 10k-incident / 40k-action workbook, as a whole process,
next to the time openpyxl (read-only) needs just to iterate that workbook's cells. Side by side, in one run.

Run: .venv/bin/python bench/workbook_read.py [--incidents N] [--runs R]
Target (issue 16): validate's whole process <= 0.5x openpyxl's iteration alone. Each figure is the
median of R runs; each run is a fresh process. The openpyxl figure is timed inside its process
(interpreter start-up left out, which favours openpyxl); validate's is the process's wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.validate import build_tables, write_workbook

ITERATE = """
import sys, time
import openpyxl
started = time.perf_counter()
workbook = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
cells = 0
for sheet in workbook.worksheets:
    for row in sheet.iter_rows(values_only=True):
        cells += len(row)
workbook.close()
print(time.perf_counter() - started, cells)
"""


def openpyxl_iteration(path: Path) -> tuple[float, int]:
    answer = subprocess.run([sys.executable, "-c", ITERATE, str(path)], capture_output=True, text=True, check=True)
    seconds, cells = answer.stdout.split()
    return float(seconds), int(cells)


def validate_process(config: Path, reader: str) -> float:
    pmsheets = Path(sys.executable).with_name("pmsheets")
    started = time.perf_counter()
    done = subprocess.run(
        [str(pmsheets), "--config", str(config), "validate", "--no-write"],
        capture_output=True,
        text=True,
        env={"PMSHEETS_XLSX_READER": reader, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        msg = f"validate failed ({done.returncode}): {done.stderr}"
        raise SystemExit(msg)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--actions-per-incident", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.xlsx"
        write_workbook(path, build_tables(args.incidents, args.actions_per_incident))
        config = Path(folder) / "pmsheets.yaml"
        config.write_text(f"register:\n  path: {path}\n", encoding="utf-8")
        iterate, calamine, old = [], [], []
        cells = 0
        for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits all three alike
            seconds, cells = openpyxl_iteration(path)
            iterate.append(seconds)
            calamine.append(validate_process(config, "calamine"))
            old.append(validate_process(config, "openpyxl"))
    base = statistics.median(iterate)
    print(f"workbook: {args.incidents} incidents, {args.incidents * args.actions_per_incident} actions, {cells:,} cells")
    print(f"openpyxl read-only, iterating the cells (in process): {base:.2f} s  (runs: {', '.join(f'{s:.2f}' for s in iterate)})")
    for name, runs in (("calamine (default)", calamine), ("openpyxl reader", old)):
        median = statistics.median(runs)
        print(
            f"pmsheets validate --no-write, whole process, {name}: {median:.2f} s = {median / base:.2f}x  "
            f"(runs: {', '.join(f'{s:.2f}' for s in runs)})"
        )


if __name__ == "__main__":
    main()
