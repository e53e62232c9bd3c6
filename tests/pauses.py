"""Retry pauses that move the emulator's fake clock instead of sleeping, recorded for the test to check."""

from __future__ import annotations

from sheets_emulator.testing import FakeClock


class Pauses:
    """Pass as a retry loop's `sleep`: each pause is recorded in `taken` and moves `clock` on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.taken: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
        self.clock.advance(seconds)
