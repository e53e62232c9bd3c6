"""`pmsheets worker`: cycles on the `schedule` library's timetable, a heartbeat, a graceful stop.

Jobs (an explicit list, see `Worker.start`):
- `sync`: a cycle at once on start, then every `worker.sync_every_minutes`;
- `weekly`: a cycle at `reports.weekly.day`/`.time` in the config's time zone, so the
  reports go out on the minute (any cycle would send a due report; this one is punctual);
- `heartbeat`: the heartbeat file, every minute while idle (and after every cycle).

A job that raises is logged with its traceback and backs off (1, 2, 4 ... 60 minutes);
the other jobs and the next ticks go on. Stopping (SIGTERM/SIGINT set `should_stop`)
lets the job in hand finish: the loop only checks between jobs.
"""

from __future__ import annotations

import datetime as datetime_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import schedule

from pmsheets.config import Config
from pmsheets.errors import PmsheetsError
from pmsheets.ops.cycle import Backoff, CycleResult
from pmsheets.ops.events import Clock, EventLog
from pmsheets.ops.heartbeat import Beat, write_beat

IDLE_BEAT_SECONDS = 60
"""The heartbeat's period while idle, and so the longest the loop ever sleeps."""


@dataclass(frozen=True, slots=True)
class Timing:
    sync_seconds: int
    weekly_day: str
    weekly_time: str
    timezone: str

    @classmethod
    def from_config(cls, config: Config) -> Timing:
        return cls(
            sync_seconds=max(1, round(config.worker.sync_every_minutes * 60)),
            weekly_day=config.reports.weekly_day,
            weekly_time=config.reports.weekly_time,
            timezone=str(config.effective_timezone()),
        )


@contextmanager
def scheduler_clock(clock: Clock) -> Iterator[None]:
    """Run `schedule` on `clock` for the length of the block.

    schedule reads `datetime.datetime.now()` itself and takes no clock, so while the worker
    calls into it, its module's `datetime` is one whose now() asks `clock`. Production
    passes the real clock through the same path, so tests exercise the code that runs.
    Not thread-safe: one worker loop per process.
    """
    namespace = vars(schedule)  # the module's globals, where its functions look `datetime` up on every call
    original = namespace["datetime"]
    namespace["datetime"] = SimpleNamespace(
        datetime=_clocked_datetime(clock), timedelta=timedelta, time=datetime_module.time, date=datetime_module.date
    )
    try:
        yield
    finally:
        namespace["datetime"] = original


def _clocked_datetime(clock: Clock) -> type[datetime]:
    def now(_cls: type, tz: Any = None) -> datetime:
        moment = clock()
        # schedule keeps naive times in the machine's local zone (astimezone() with no zone).
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

    return type("ClockedDatetime", (datetime,), {"now": classmethod(now)})


class Worker:
    def __init__(
        self, *, cycle: Callable[[datetime], CycleResult], clock: Clock, timing: Timing, heartbeat: Path, events: EventLog
    ) -> None:
        self._cycle = cycle
        self._clock = clock
        self._timing = timing
        self._heartbeat = heartbeat
        self._events = events
        self._scheduler = schedule.Scheduler()
        self._backoff = Backoff()
        self._last_cycle: str | None = None
        self._cycled_at: datetime | None = None
        self._written: tuple[str, str | None] | None = None

    def start(self) -> None:
        t = self._timing
        with scheduler_clock(self._clock):
            self._scheduler.every(t.sync_seconds).seconds.do(self._job, "sync", self._run_cycle)
            weekly = getattr(self._scheduler.every(), t.weekly_day)
            weekly.at(t.weekly_time, t.timezone).do(self._job, "weekly", self._run_cycle)
            self._scheduler.every(IDLE_BEAT_SECONDS).seconds.do(self._job, "heartbeat", self._idle_beat)
        self._events.info(
            "worker.started",
            f"worker started: a cycle every {t.sync_seconds} s, weekly reports {t.weekly_day} {t.weekly_time} {t.timezone}",
            next_weekly=self.next_weekly().isoformat(),
        )
        self._job("sync", self._run_cycle)

    def tick(self) -> None:
        with scheduler_clock(self._clock):
            self._scheduler.run_pending()

    def run(self, *, should_stop: Callable[[], bool], sleep: Callable[[float], Any]) -> None:
        """Tick until `should_stop`; `sleep` is how time passes (a fake clock's advance in tests)."""
        self.start()
        while not should_stop():
            sleep(self.pause())
            if not should_stop():
                self.tick()
        self.stop()

    def pause(self) -> float:
        with scheduler_clock(self._clock):
            idle = self._scheduler.idle_seconds
        return max(0.0, min(idle if idle is not None else IDLE_BEAT_SECONDS, IDLE_BEAT_SECONDS))

    def stop(self) -> None:
        try:
            self._beat("stopped")
        except PmsheetsError as error:
            self._events.error("heartbeat.failed", str(error))  # stopping cleanly matters more
        self._events.info("worker.stopped", "worker stopped")

    def next_weekly(self) -> datetime:
        job = next(job for job in self._scheduler.jobs if job.start_day is not None)
        assert job.next_run is not None
        return job.next_run.astimezone().astimezone(UTC)  # schedule's naive local time, made explicit

    # --- jobs ----------------------------------------------------------------------------------------

    def _job(self, name: str, work: Callable[[datetime], None]) -> None:
        now = self._clock()
        if not self._backoff.ready(name, now):
            return
        try:
            work(now)
        except Exception as error:  # noqa: BLE001  a job never kills the worker; the traceback goes to the log
            retry_at = self._backoff.failed(name, now)
            self._events.exception(
                "job.failed", f"job {name} raised {type(error).__name__}: {error}", error, job=name, retry_at=retry_at.isoformat()
            )
        else:
            self._backoff.succeeded(name)

    def _run_cycle(self, now: datetime) -> None:
        if self._cycled_at == now:
            return  # the weekly job and the sync job fell on the same tick: one cycle serves both
        self._cycled_at = now
        result = self._cycle(now)
        self._last_cycle = f"{result.at.isoformat(timespec='seconds')} {result.verdict()}"
        self._beat("cycle done")

    def _idle_beat(self, _now: datetime) -> None:
        self._beat("idle")

    def _beat(self, state: str) -> None:
        beat = Beat(self._clock(), state, self._last_cycle)
        write_beat(self._heartbeat, beat, unchanged=(state, self._last_cycle) == self._written)
        self._written = (state, self._last_cycle)
