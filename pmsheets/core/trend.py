"""The weekly trend: each ISO week's headline figures, as the Report log remembers them.

A week with no figures (no report was logged) is a gap, never a zero: "nothing was measured"
and "nothing was overdue" must not look alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from pmsheets.core.overdue import Compliance, Headline, iso_week

TREND_WEEKS = 12


class OnTime(NamedTuple):
    """The compliance shares as whole percentages; None where nothing was due yet."""

    drafted: int | None
    reviewed: int | None
    actions_done: int | None

    @classmethod
    def of(cls, compliance: Compliance) -> OnTime:
        return cls(compliance.drafted_on_time.percent, compliance.reviewed_on_time.percent, compliance.actions_done_on_time.percent)


NOT_MEASURED = OnTime(None, None, None)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    headline: Headline
    on_time: OnTime = NOT_MEASURED


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of the trend: its label, how to read a week's figures, and how a value is shown."""

    label: str
    value: Callable[[WeekFigures], int | None]
    percent: bool
    colour: str


FIGURES = (
    Figure("Overdue actions", lambda f: f.headline.overdue_actions, percent=False, colour="#de350b"),
    Figure("Late post-mortems", lambda f: f.headline.overdue_postmortems, percent=False, colour="#ff8b00"),
    Figure("Actions not tracked", lambda f: f.headline.not_tracked, percent=False, colour="#6554c0"),
    Figure("Post-mortems drafted on time", lambda f: f.on_time.drafted, percent=True, colour="#00875a"),
    Figure("Post-mortems reviewed on time", lambda f: f.on_time.reviewed, percent=True, colour="#0065ff"),
    Figure("Actions done on time", lambda f: f.on_time.actions_done, percent=True, colour="#00a3bf"),
)

BAR_PIXELS = 34


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    percent: bool
    colour: str
    weeks: tuple[str, ...]
    values: tuple[int | None, ...]

    def show(self, value: int | None) -> str:
        if value is None:
            return "n/a"
        return f"{value}%" if self.percent else f"{value:,}"

    @property
    def latest(self) -> int | None:
        return next((v for v in reversed(self.values) if v is not None), None)

    @property
    def latest_week(self) -> str | None:
        return next((w for w, v in zip(reversed(self.weeks), reversed(self.values), strict=True) if v is not None), None)

    @property
    def bars(self) -> tuple[tuple[str, int | None, int], ...]:
        """(week, value, bar height in px): a percentage against 100, a count against the largest; a zero is 1 px."""
        top = 100 if self.percent else max((v for v in self.values if v is not None), default=0) or 1
        return tuple(
            (w, v, max(1, round(BAR_PIXELS * v / top)) if v is not None else 0) for w, v in zip(self.weeks, self.values, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Trend:
    weeks: tuple[str, ...]
    """The ISO weeks shown, oldest first, ending with the report's own week."""
    figures: tuple[WeekFigures | None, ...]

    @property
    def series(self) -> tuple[Series, ...]:
        return tuple(
            Series(f.label, f.percent, f.colour, self.weeks, tuple(None if w is None else f.value(w) for w in self.figures))
            for f in FIGURES
        )

    @property
    def rows(self) -> tuple[tuple[str, WeekFigures | None], ...]:
        return tuple(zip(self.weeks, self.figures, strict=True))


def weeks_up_to(week: str, count: int = TREND_WEEKS) -> tuple[str, ...]:
    """The `count` ISO weeks ending with `week` (e.g. 2026-W48), oldest first."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return tuple(iso_week(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1))


def trend_of(by_week: dict[str, WeekFigures], *, week: str, current: WeekFigures, count: int = TREND_WEEKS) -> Trend:
    """The trend ending at `week`, whose figures are `current` (what this report measured now)."""
    weeks = weeks_up_to(week, count)
    figures: Sequence[WeekFigures | None] = [current if w == week else by_week.get(w) for w in weeks]
    return Trend(weeks, tuple(figures))
