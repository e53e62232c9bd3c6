"""Colours as the service stores them: 8 bits per channel, printed as float32, zeros left out."""

from __future__ import annotations

import math
import struct
from typing import Any

_CHANNELS = frozenset({"red", "green", "blue", "alpha"})
_VALUES = frozenset({"userEnteredValue", "effectiveValue"})
_SCALARS = frozenset({str, int, float, bool})


def normalise_colours(value: Any) -> Any:
    """`value` with nulls dropped (proto3 JSON reads null as "not set") and every Color object
    as the API would echo it back (0.5 → 0.49803922), in one pass: large updateCells bodies
    make this walk the emulator's hot spot. Unchanged parts are returned as they are."""
    if type(value) is list:
        for index, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                cleaned = normalise_colours(item)
                if cleaned is not item:  # copy only from the first change on: most cells have none
                    return [*value[:index], cleaned, *(normalise_colours(v) for v in value[index + 1 :])]
        return value
    if type(value) is not dict:
        return value
    if value and value.keys() <= _CHANNELS and all(isinstance(v, (int, float)) for v in value.values()):
        return {k: _channel(v) for k, v in value.items() if _channel(v) != 0}
    for index, (key, item) in enumerate(value.items()):
        if key in _VALUES and type(item) is dict and len(item) == 1:
            kind, scalar = next(iter(item.items()))
            if type(scalar) in _SCALARS and kind not in _CHANNELS:
                continue  # a cell value as typed ({"stringValue": ...}): the bulk of an updateCells, nothing to do
        cleaned = normalise_colours(item) if type(item) is dict or type(item) is list else item
        if item is None or cleaned is not item:  # copy only from the first change on
            keys = list(value)
            copy = {k: value[k] for k in keys[:index]}
            if cleaned is not None:
                copy[key] = cleaned
            copy.update((k, normalise_colours(value[k])) for k in keys[index + 1 :] if value[k] is not None)
            return copy
    return value


def _channel(value: float) -> float | int:
    # The service truncates to 8 bits (0.5 → 127/255); the epsilon absorbs float noise like 65.99999.
    quantised = math.floor(value * 255 + 1e-6) / 255
    if quantised.is_integer():
        return int(quantised)
    return _shortest_float32(quantised)


def _shortest_float32(value: float) -> float:
    single: float = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(6, 10):
        candidate = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == single:
            return candidate
    return single
