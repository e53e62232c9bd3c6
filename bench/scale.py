"""Benchmark: `pmsheets run` and `pmsheets export` on a register at the Sheets limit of 10,000,000 cells.

Run: .venv/bin/python bench/scale.py [--incidents 170000] [--actions-per-incident 4] [--timeline 68000]
(`make bench-large`). Takes about ten minutes and 4 GiB of memory (the tool peaks near 1.3 GiB,
the emulator near 1.5 GiB). Figures and what they mean: BENCHMARKS.md.

The register is the validate benchmark's (bench/validate.py: varied rows that trip most rules),
plus Timeline entries and a People tab, served by `pmsheets emulator` in its own process. At
the default size its grid, with the Findings tab the run writes (1.2 million findings, of which
the tab shows the ~24,000 that fit in one request), the Report log and the sending lease, comes
to just under the 10,000,000-cell limit; the figure is printed, read back from the emulator
after the runs. `--incidents 100000 --timeline 40000` is the issue's example size.

Loading: an .xlsx of this size takes minutes to write and to load with openpyxl, so the sheet is
built through the emulator's own API, as a client would build it: spreadsheets.create, the
tool's own `init --sheet` layout (SheetsRegister.initialize), grids resized, then
values:batchUpdate with USER_ENTERED input in batches of 250,000 cells, dates typed as
ISO text (so the emulator stores serial numbers with date formats, as Sheets does). Seeding is
not counted.

Measured, each as a separate `pmsheets` process with a config pointing at the emulator
(backend google, mail transport file, everything in a temporary folder):
- `run --as-of` (first): read, check, Findings write, first post-mortem drafts, and the weekly
  reports (due at the --as-of time: config weekly day friday 09:00), with the snapshot attached
  to the escalation email, as config.example.yaml has it;
- `run --as-of` (again): a worker's cycle after the register changed (here: the first run's own
  draft links, which change 4,655 messages); the drafts exist and the week's reports are logged,
  so it is read, check, Findings write and the drafts comparison;
- `run --as-of` (third): the same register once more: read, check, the Findings tab found
  unchanged (no write) and the drafts comparison (a worker would skip even this: its idle cycle
  asks Drive for the version only);
- `export --as-of`: the Excel snapshot;
- then a real `pmsheets worker` (a cycle a minute, on the machine's clock, no weekly report asked
  for, so no day of the week matters): the cycles it runs until the register is quiet (after its own
  Findings write the next cycle reads once more and finds nothing to do), the CPU it spends over an
  idle minute, and the cycle after a PM fills one blank Tracking link through the API. `--no-worker`
  leaves this out (it takes three to five minutes, as the worker keeps its minute).
For each run: wall time, the tool process's max RSS (from wait4), and the time of each step as the
tool logged it (JSON log lines, time-stamped as they arrive). On Google Sheets the Findings
write runs on a thread beside drafts and reports, so the steps are listed as they end. The emulator's RSS (VmHWM/VmRSS)
is printed too: it is not the tool's. `--tracemalloc` adds a third, steady-state run in-process
under tracemalloc for the peak of Python allocations (several times slower).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from validate import AS_OF, build_tables

from pmsheets.core.schema import PEOPLE, TIMELINE

CELL_LIMIT = 10_000_000
CELLS_PER_REQUEST = 250_000  # about 4 MB of JSON: the service refuses bodies over 10 MiB
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RUN_AS_OF = AS_OF.isoformat()  # a Friday, 09:00 UTC: the config's weekly slot
PEOPLE_ROWS = [
    ["Owner A", "owner.a@example.com", "Platform", "lead.a@example.com"],
    ["Owner E", "owner.e@example.com", "Payments", "lead.e@example.com"],
    ["Responder B", "responder.b@example.com", "Platform", "lead.a@example.com"],
]


def build_register(incidents: int, per_incident: int, timeline: int) -> dict[str, list[list[Any]]]:
    tables = build_tables(incidents, per_incident)
    entries: list[list[Any]] = [[c.header for c in TIMELINE.columns]]
    base = AS_OF.replace(tzinfo=None)
    for n in range(timeline):
        i = (n * 7919) % incidents  # spread over the incidents, several entries for some
        entries.append(
            [f"INC-{i:06d}", base - timedelta(hours=7 * (i % 400), minutes=50 - n % 40), f"Timeline event {n}: alert fired, paged on-call"]
        )
    tables["Timeline"] = entries
    tables["People"] = [[c.header for c in PEOPLE.columns], *PEOPLE_ROWS]
    return tables


# --- the emulator, in its own process ---------------------------------------------------------------


def start_emulator(key_file: Path) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([sys.executable, "-m", "pmsheets", "emulator", "--key-out", str(key_file)], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().split(" at ")[1].strip()
    return server, url


def memory_of(pid: int) -> dict[str, float]:
    """VmHWM (peak) and VmRSS of a running process, in MiB."""
    fields: dict[str, float] = {}
    with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def _typed(value: Any) -> Any:
    """A cell as a person types it (USER_ENTERED): dates as ISO text, blanks left out."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def api_session(url: str, key_file: Path) -> Any:
    """An authorized HTTP session to the emulator, as the emulator's service account (the bench's own calls)."""
    from google.oauth2 import service_account

    from pmsheets.register.google_session import EndpointSession

    return EndpointSession(service_account.Credentials.from_service_account_file(str(key_file), scopes=SCOPES), url)


def seed(url: str, key_file: Path, tables: dict[str, list[list[Any]]]) -> str:
    """Build the spreadsheet through the emulator's API, as a client would; returns its key."""
    from pmsheets.register.google_session import client_for
    from pmsheets.register.sheets import SheetsRegister

    session = api_session(url, key_file)
    credentials = session.credentials

    def call(method: str, path: str, body: Any = None, **params: str) -> Any:
        response = session.request(method, f"{url}/v4/spreadsheets{path}", json=body, params=params, timeout=600)
        if response.status_code != 200:
            msg = f"seeding failed: {method} {path}: {response.status_code} {response.text[:300]}"
            raise SystemExit(msg)
        return response.json()

    key = call("POST", "", {"properties": {"title": "pmsheets scale register", "timeZone": "Etc/GMT"}})["spreadsheetId"]
    SheetsRegister(client_for(credentials, url), key).initialize()  # `pmsheets init --sheet`: tabs, formats, dropdowns
    sheets = call("GET", f"/{key}", fields="sheets.properties(sheetId,title,gridProperties)")["sheets"]
    ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in sheets}
    requests: list[dict[str, Any]] = [{"deleteSheet": {"sheetId": ids.pop("Sheet1")}}] if "Sheet1" in ids else []
    for title, rows in tables.items():
        grid = {"rowCount": max(len(rows), 1000)}
        requests.append(
            {"updateSheetProperties": {"properties": {"sheetId": ids[title], "gridProperties": grid}, "fields": "gridProperties.rowCount"}}
        )
    call("POST", f"/{key}:batchUpdate", {"requests": requests})
    for title, rows in tables.items():
        step = max(CELLS_PER_REQUEST // max(len(rows[0]), 1), 1)
        for start in range(1, len(rows), step):
            values = [[_typed(v) for v in row] for row in rows[start : start + step]]
            data = [{"range": f"'{title}'!A{start + 1}", "values": values}]
            call("POST", f"/{key}/values:batchUpdate", {"valueInputOption": "USER_ENTERED", "data": data})
    return key


def grid_cells(url: str, key_file: Path, key: str) -> dict[str, int]:
    answer = (
        api_session(url, key_file)
        .get(f"{url}/v4/spreadsheets/{key}", params={"fields": "sheets.properties(title,gridProperties)"}, timeout=600)
        .json()
    )
    cells = {}
    for sheet in answer["sheets"]:
        grid = sheet["properties"]["gridProperties"]
        cells[sheet["properties"]["title"]] = grid["rowCount"] * grid["columnCount"]
    return cells


# --- the tool, in its own process ---------------------------------------------------------------------


def write_config(folder: Path, url: str, key: str, key_file: Path, *, weekly: bool = True) -> Path:
    """The runs' config; `weekly=False` (the worker's) asks for no weekly report, so its cycles depend on no day of the week."""
    recipients = (["team-leads@example.com"], ["ops-review@example.com"]) if weekly else ([], [])
    config = {
        "timezone": "UTC",
        "register": {
            "backend": "google",
            "spreadsheet": key,
            "credentials": str(key_file),
            "api_endpoint": url,
            # One read of ~6 million cells takes the emulator longer than the default 30 s answer time.
            "timeout_seconds": 600,
        },
        "postmortems": {"dir": "postmortems"},
        "mail": {"transport": "file", "from": "pmsheets <pmsheets@example.com>", "outbox": "outbox"},
        "reports": {
            "dir": "reports",
            "weekly": {"day": "friday", "time": "09:00", "max_late_hours": 48},
            "overdue": {"to": recipients[0]},
            "escalation": {"to": recipients[1], "attach_snapshot": True},
        },
        "worker": {"heartbeat": "worker.heartbeat"},
    }
    path = folder / ("pmsheets.yaml" if weekly else "worker.yaml")
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def tool_command(config: Path, profile: Path | None, name: str) -> list[str]:
    """The pmsheets process to time; under cProfile (stats in `profile`/`name`.prof) when asked."""
    if profile is None:
        return [sys.executable, "-m", "pmsheets", "--config", str(config)]
    profile.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-m", "cProfile", "-o", str(profile / f"{name}.prof"), "-m", "pmsheets", "--config", str(config)]


def timed(command: Sequence[str]) -> dict[str, Any]:
    """Run a tool process: wall time, exit code, max RSS (wait4), JSON log lines stamped on arrival,
    and its RSS sampled every 0.1 s (so each step's peak can be told)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def collect() -> None:
        assert process.stderr is not None
        lines.extend((time.perf_counter() - started, line.rstrip("\n")) for line in process.stderr)

    def sample() -> None:
        while not done.wait(0.1):
            try:
                samples.append((time.perf_counter() - started, memory_of(process.pid)["VmRSS"]))
            except (OSError, KeyError):
                return

    threads = [threading.Thread(target=collect, daemon=True), threading.Thread(target=sample, daemon=True)]
    for thread in threads:
        thread.start()
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    for thread in threads:
        thread.join()
    return {"wall": wall, "exit": process.returncode, "rss_mib": usage.ru_maxrss / 1024, "log": lines, "rss": samples, "out": out.strip()}


def step_times(log: list[tuple[float, str]], rss: list[tuple[float, float]]) -> list[tuple[str, float, float, str]]:
    """(step, seconds since the previous step ended, peak RSS sampled meanwhile, status) from the `step` events."""
    steps, previous = [], 0.0
    for at, line in log:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "step":
            peak = max((mib for when, mib in rss if previous <= when <= at), default=0.0)
            steps.append((event["step"], at - previous, peak, f"{event['status']}: {event['message'].split(': ', 1)[-1][:80]}"))
            previous = at
    return steps


def report(name: str, result: dict[str, Any]) -> None:
    print(f"\n{name}: {result['wall']:.1f} s wall, max RSS {result['rss_mib']:,.0f} MiB, exit {result['exit']}")
    steps = step_times(result["log"], result["rss"])
    if steps:
        print("  step     seconds peak RSS  (each: since the line above ended; read: from the process start, so with imports,")
        print("                             config and token; findings is written beside drafts and reports, listed when it ends)")
    for step, seconds, peak, detail in steps:
        shown = f"{peak:>7,.0f} MiB" if peak else "      - MiB"
        print(f"  {step:<9}{seconds:>7.1f} s {shown}  {detail}")
    if result["out"]:
        print(f"  {result['out'][:200]}")
    problems = [line for _, line in result["log"] if '"level": "error"' in line]
    for line in problems[:5]:
        print(f"  ! {line[:300]}")


def traced_run(config: Path) -> None:
    """In-process `pmsheets run` under tracemalloc: peak Python allocations (several times slower)."""
    import tracemalloc

    from pmsheets.cli.main import main

    tracemalloc.start()
    with Path(os.devnull).open("w", encoding="utf-8") as sink:
        sys.stderr = sink
        code = main(["--config", str(config), "run", "--as-of", RUN_AS_OF, "--log-format", "json"])
        sys.stderr = sys.__stderr__
    _, peak = tracemalloc.get_traced_memory()
    print(f"\nrun under tracemalloc (in-process, exit {code}): peak traced {peak / 2**20:,.0f} MiB")


# --- a real worker at the limit ---------------------------------------------------------------------


class WorkerLog:
    """A `pmsheets worker` process; its JSON log lines, stamped (monotonic) as they arrive."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: list[tuple[float, dict[str, Any]]] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._arrived:
                self.events.append((time.monotonic(), event))
                self._arrived.notify_all()

    def next_cycle(self, after: int, timeout: float = 600) -> tuple[int, float, dict[str, Any]]:
        """The first `cycle` event (idle or done) from index `after` on: (its index, arrival, event)."""
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: any(e.get("event") == "cycle" for _, e in self.events[after:]) or self.process.poll() is not None, timeout
            )
            for index in range(after, len(self.events)):
                if self.events[index][1].get("event") == "cycle":
                    return index, *self.events[index]
        msg = f"the worker logged no cycle ({'exited ' + str(self.process.returncode) if found else 'timed out'})"
        raise SystemExit(msg)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def blank_tracking_link(url: str, key_file: Path, key: str) -> str:
    """An Actions cell a PM would fill: the first blank Tracking link (A1 notation)."""
    from pmsheets.core.schema import ACTIONS, column_letter

    letter = column_letter([c.header for c in ACTIONS.columns].index("Tracking link"))
    answer = api_session(url, key_file).get(f"{url}/v4/spreadsheets/{key}/values/Actions!{letter}:{letter}", timeout=600).json()
    values = answer.get("values", [])
    row = next((number for number, cells in enumerate(values[1:], start=2) if not cells or not cells[0]), len(values) + 1)
    return f"Actions!{letter}{row}"


def fill(url: str, key_file: Path, key: str, cell: str, value: str) -> None:
    answer = api_session(url, key_file).put(
        f"{url}/v4/spreadsheets/{key}/values/{cell}", params={"valueInputOption": "USER_ENTERED"}, json={"values": [[value]]}, timeout=60
    )
    if answer.status_code != 200:
        msg = f"the edit of {cell} failed: {answer.status_code} {answer.text[:200]}"
        raise SystemExit(msg)


def worker_phase(folder: Path, url: str, key_file: Path, key: str, profile: Path | None) -> None:
    """A real worker, as production runs it (a cycle a minute, on the clock, no --as-of): its cycles until
    the register is quiet, the CPU of an idle minute, and the cycle after a PM fills one cell."""
    config = write_config(folder, url, key, key_file, weekly=False)
    cell = blank_tracking_link(url, key_file, key)
    worker = WorkerLog([*tool_command(config, profile, "worker"), "worker", "--log-format", "json"])
    started = time.monotonic()
    print("\npmsheets worker (a cycle a minute, on the clock; no weekly report asked for):")
    try:
        index, at, event = worker.next_cycle(0)
        # Its own write changes the register's version, so the cycle after a write is a full one that finds nothing to do.
        while event.get("status") != "idle":
            print(f"  cycle ended {at - started:6.1f} s after the start: {event['message'][:100]}")
            index, at, event = worker.next_cycle(index + 1)
        print(f"  cycle ended {at - started:6.1f} s after the start: {event['message'][:100]}")
        cpu = cpu_seconds(worker.process.pid)
        index, idle_at, event = worker.next_cycle(index + 1)
        print(
            f"  the next, a minute later: {event['status']}; the worker's CPU over that minute {(cpu_seconds(worker.process.pid) - cpu) * 1000:.0f} ms (counted in 10 ms ticks)"
        )
        fill(url, key_file, key, cell, "https://tracker.example.com/PM-1")
        edited = time.monotonic()
        _, done_at, event = worker.next_cycle(index + 1)
        # The schedule starts a cycle a minute after the last one ended: the idle line's arrival plus 60 s.
        print(f"  a PM fills {cell}; the next cycle: {event['message'][:100]}")
        print(f"    that cycle took about {done_at - idle_at - 60:.1f} s; from the edit to its end {done_at - edited:.1f} s")
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=170_000)
    parser.add_argument("--actions-per-incident", type=int, default=4)
    parser.add_argument(
        "--timeline", type=int, default=68_000, help="Timeline entries (the defaults fill the grid to just under 10M cells)"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also run once more in-process under tracemalloc (slow)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (config, drafts, outbox, snapshot)")
    parser.add_argument("--no-worker", action="store_true", help="leave out the real worker's cycles (about three minutes)")
    parser.add_argument("--profile", type=Path, help="run each tool process under cProfile, its stats saved in this folder (slower)")
    args = parser.parse_args()
    started = time.perf_counter()
    tables = build_register(args.incidents, args.actions_per_incident, args.timeline)
    data_cells = sum(len(rows) * len(rows[0]) for rows in tables.values())
    print(
        f"register: {args.incidents:,} incidents, {args.incidents * args.actions_per_incident:,} actions, "
        f"{args.timeline:,} timeline entries; {data_cells:,} cells of data incl. headers (built in {time.perf_counter() - started:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        key_file = folder / "key.json"
        server, url = start_emulator(key_file)
        try:
            started = time.perf_counter()
            key = seed(url, key_file, tables)
            del tables
            seeded = memory_of(server.pid)
            print(
                f"seeded through the emulator's API in {time.perf_counter() - started:.1f} s (not counted); emulator RSS {seeded['VmRSS']:,.0f} MiB"
            )
            config = write_config(folder, url, key, key_file)
            runs = {
                "pmsheets run (first: drafts written, weekly reports sent)": (
                    "first",
                    ["run", "--as-of", RUN_AS_OF, "--log-format", "json"],
                ),
                "pmsheets run (again: steady state)": ("steady", ["run", "--as-of", RUN_AS_OF, "--log-format", "json"]),
                "pmsheets run (third: nothing changed)": ("unchanged", ["run", "--as-of", RUN_AS_OF, "--log-format", "json"]),
                "pmsheets export": ("export", ["export", "--as-of", RUN_AS_OF, "--out", str(folder / "snapshot.xlsx")]),
            }
            for name, (short, command) in runs.items():
                report(name, timed([*tool_command(config, args.profile, short), *command]))
            if not args.no_worker:
                worker_phase(folder, url, key_file, key, args.profile)
            if args.tracemalloc:
                traced_run(config)
            cells = grid_cells(url, key_file, key)
            emulator = memory_of(server.pid)
        finally:
            server.terminate()
            server.wait()
            if server.stdout is not None:
                server.stdout.close()
    total = sum(cells.values())
    print(f"\ngrid after the runs: {total:,} cells of the {CELL_LIMIT:,} limit ({', '.join(f'{t} {n:,}' for t, n in cells.items())})")
    print(f"emulator process (not the tool): peak RSS {emulator['VmHWM']:,.0f} MiB, now {emulator['VmRSS']:,.0f} MiB")


if __name__ == "__main__":
    main()
