"""Benchmark: one validate-and-write cycle against the Sheets emulator, through gspread over HTTP.

Run: .venv/bin/python bench/sheets_cycle.py [--sizes 1000 10000 50000]
For each size (number of actions; incidents = actions / 4), the register is written to a
workbook and served by `pmsheets emulator` in a separate process, so the figures are the
tool's own: wall time of read + parse + check + Findings write, API requests, and the tool
process's peak memory (tracemalloc peak and max RSS).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate import AS_OF, build_tables, write_workbook

from pmsheets.config import RegisterConfig
from pmsheets.core.check import (
    findings_rows,
    validate,
)
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.register.google import open_sheets_register


def serve(workbook: Path, key_file: Path) -> tuple[subprocess.Popen[str], str, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "pmsheets", "emulator", "--load", str(workbook), "--key-out", str(key_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().split(" at ")[1].strip()
    key = server.stdout.readline().split(": ")[1].strip()
    return server, url, key


def cycle(url: str, key: str, key_file: Path) -> dict[str, float]:
    """Read, check, write Findings; API requests are counted as the client sends them (token fetch excluded)."""
    register = RegisterConfig(backend="google", spreadsheet=key, credentials=key_file, api_endpoint=url)
    started = time.perf_counter()
    backend = open_sheets_register(register)
    methods: list[str] = []
    backend._http.session.hooks["response"].append(lambda response, *_a, **_k: methods.append(response.request.method))
    raw = backend.read()
    read_s = time.perf_counter() - started
    result = validate(raw.tables, as_of=AS_OF, policy=Policy(), settings=ParseSettings())
    checked_s = time.perf_counter() - started
    backend.write_findings(findings_rows(result.findings))
    total_s = time.perf_counter() - started
    reads = methods.count("GET")
    return {
        "read": read_s,
        "checked": checked_s,
        "total": total_s,
        "findings": len(result.findings),
        "reads": reads,
        "writes": len(methods) - reads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    print(f"{'actions':>8} {'incidents':>9} {'read s':>7} {'+check s':>8} {'total s':>8} {'requests':>8} {'findings':>8} {'peak MiB':>8}")
    for actions in args.sizes:
        incidents = max(actions // 4, 1)
        with tempfile.TemporaryDirectory() as folder:
            workbook, key_file = Path(folder) / "register.xlsx", Path(folder) / "key.json"
            write_workbook(workbook, build_tables(incidents, max(actions // incidents, 1)))
            server, url, key = serve(workbook, key_file)
            try:
                tracemalloc.start()
                timings = cycle(url, key, key_file)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                # Timed again without tracemalloc, which slows allocation-heavy code.
                timings = cycle(url, key, key_file)
            finally:
                server.terminate()
                server.wait()
                if server.stdout is not None:
                    server.stdout.close()
        requests = f"{timings['reads']}r+{timings['writes']}w"
        print(
            f"{actions:>8} {incidents:>9} {timings['read']:>7.2f} {timings['checked']:>8.2f} {timings['total']:>8.2f} "
            f"{requests:>8} {int(timings['findings']):>8} {peak / 2**20:>8.0f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tool process max RSS over the run: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
