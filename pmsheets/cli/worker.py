"""The `run`, `worker` and `health` subcommands: build the parts from the config, hand them to worker.py.

This is the only place that reads the real clock, the host's identity, the environment's
secrets (to redact them) and installs signal handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, TextIO

from pmsheets import config as config_module
from pmsheets.cli.options import add_as_of, as_of
from pmsheets.cli.session import open_backend
from pmsheets.errors import ExitCode
from pmsheets.ops.cycle import CycleState, run_cycle
from pmsheets.ops.events import EventLog, Redactor
from pmsheets.ops.heartbeat import DEFAULT_MAX_AGE, health, read_beat
from pmsheets.ops.lease import lease_for
from pmsheets.ops.loop import Timing, Worker

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def add_worker_commands(commands: Any) -> None:
    """`commands` is the parser's subparsers object."""
    run = commands.add_parser(
        "run",
        help="one full cycle: check, write Findings, write due post-mortem drafts, send due weekly reports",
        description="Do once what the worker does on every tick: read the register once, check it, write the Findings tab, "
        "write the post-mortem drafts that are due (and link them), and send the weekly reports that are due and not yet in "
        "the Report log. For cron or a Kubernetes CronJob. Logs one line per event on stderr. "
        "Exit 0: done, no error finding; 1: done, the register has error findings; 2: a step failed, or a usage or config problem.",
    )
    add_as_of(run, "run")
    run.set_defaults(handler=cmd_run)

    worker = commands.add_parser(
        "worker",
        help="run cycles on a schedule until stopped (SIGTERM/SIGINT finish the job in hand, then exit 0)",
        description="Run a cycle at once, then every worker.sync_every_minutes, and at reports.weekly.day/time in the config's "
        "time zone; send a weekly report missed while down when back (late) unless reports.weekly.max_late_hours passed. "
        "Writes the heartbeat file worker.heartbeat. See docs/operations.md.",
    )
    worker.set_defaults(handler=cmd_worker)

    check = commands.add_parser(
        "health",
        help="exit 0 when the worker's heartbeat is fresh, 2 when it is stale or missing (a liveness probe)",
        description="Read the heartbeat file (worker.heartbeat in the config) and exit 0 when the worker beat recently, "
        "2 when it is stale, missing or the worker stopped.",
    )
    check.add_argument(
        "--max-age",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_MAX_AGE.total_seconds(),
        help=f"how old the last beat may be (default: {DEFAULT_MAX_AGE.total_seconds():.0f})",
    )
    check.set_defaults(handler=cmd_health)


def real_clock() -> datetime:
    return datetime.now(UTC)


def holder_id() -> str:
    """Names this process in the sending lease (in Kubernetes the host name is the pod's name)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def secret_values(config: config_module.Config, environ: Mapping[str, str]) -> list[str]:
    """Values that must never appear in a log line: whatever the config names as a secret's variable."""
    names = [config.register.credentials_env, config.mail.smtp.password_env if config.mail.smtp else None]
    values = [environ[name] for name in names if name and environ.get(name)]
    for value in list(values):
        try:
            key = json.loads(value)
        except ValueError:
            continue
        if isinstance(key, dict) and isinstance(key.get("private_key"), str):
            values.append(key["private_key"])
    return values


def event_log(args: argparse.Namespace, config: config_module.Config, err: TextIO) -> EventLog:
    redact = Redactor(secret_values(config, os.environ))
    return EventLog(err, clock=real_clock, json_lines=args.log_format == "json", redact=redact)


# --- commands ----------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, _out: TextIO, err: TextIO) -> ExitCode:
    from pmsheets.cli.report_job import transport_for

    config = config_module.load(config_module.config_path(args.config))
    events = event_log(args, config, err)
    now = as_of(args.as_of, config.effective_timezone())
    backend = open_backend(config)
    result = run_cycle(
        backend=backend, lease=lease_for(backend, holder_id()), mailer=transport_for(config), config=config, now=now, events=events
    )
    return result.exit_code


def cmd_worker(args: argparse.Namespace, _out: TextIO, err: TextIO) -> ExitCode:
    worker, events = build_worker(args, err)
    stop = threading.Event()
    with stop_on_signals(stop) as received:

        def should_stop() -> bool:
            if stop.is_set() and received:
                events.info("worker.stopping", f"{received.pop(0)} received; no job is running, stopping")
            return stop.is_set()

        worker.run(should_stop=should_stop, sleep=stop.wait)
    return ExitCode.OK


def build_worker(args: argparse.Namespace, err: TextIO) -> tuple[Worker, EventLog]:
    """The worker of `pmsheets worker` with its parts from the config; a config or credentials problem stops it here."""
    from pmsheets.cli.report_job import transport_for

    config = config_module.load(config_module.config_path(args.config))
    events = event_log(args, config, err)
    backend = open_backend(config)
    lease, mailer, state = lease_for(backend, holder_id()), transport_for(config), CycleState(idle_when_unchanged=True)

    def cycle(now: datetime) -> Any:
        return run_cycle(backend=backend, lease=lease, mailer=mailer, config=config, now=now, events=events, state=state)

    worker = Worker(cycle=cycle, clock=real_clock, timing=Timing.from_config(config), heartbeat=config.worker.heartbeat, events=events)
    return worker, events


def cmd_health(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    config = config_module.load(config_module.config_path(args.config))
    path = config.worker.heartbeat
    verdict = health(read_beat(path), now=real_clock(), max_age=timedelta(seconds=args.max_age), path=path)
    print(verdict.message, file=out if verdict.healthy else err)
    return ExitCode.OK if verdict.healthy else ExitCode.FAILURE


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[str]]:
    """SIGTERM and SIGINT only set `stop`: the loop checks it between jobs, so the job in hand finishes."""
    received: list[str] = []

    def handle(number: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(number).name)  # no logging here: the handler may interrupt a log write
        stop.set()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
