"""Colours as the service stores them: 8 bits per channel, printed as float32, zeros left out."""

from __future__ import annotations

import math
import struct
from typing import Any

_CHANNELS = frozenset({"red", "green", "blue", "alpha"})


def normalise_colours(value: Any) -> Any:
    """`value` with nulls dropped (proto3 JSON reads null as "not set") and every Color object
    as the API would echo it back (0.5 → 0.49803922), in one pass: large updateCells bodies
    make this walk the emulator's hot spot. Unchanged parts are returned as they are."""
    if type(value) is list:
        cleaned = [normalise_colours(v) for v in value]
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if type(value) is not dict:
        return value
    if value and value.keys() <= _CHANNELS and all(isinstance(v, (int, float)) for v in value.values()):
        return {k: _channel(v) for k, v in value.items() if _channel(v) != 0}
    changed = False
    cleaned_dict = {}
    for key, item in value.items():
        if item is None:
            changed = True
            continue
        cleaned_item = normalise_colours(item) if type(item) in (dict, list) else item
        changed = changed or cleaned_item is not item
        cleaned_dict[key] = cleaned_item
    return cleaned_dict if changed else value


def _channel(value: float) -> float | int:
    # The service truncates to 8 bits (0.5 → 127/255); the epsilon absorbs float noise like 65.99999.
    quantised = math.floor(value * 255 + 1e-6) / 255
    if quantised.is_integer():
        return int(quantised)
    return _shortest_float32(quantised)


def _shortest_float32(value: float) -> float:
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(6, 10):
        candidate = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == single:
            return candidate
    return single
