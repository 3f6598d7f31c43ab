"""Cardio streams: clean a recorded stream, then summarise it the same way for every format.

Pure pandas/numpy, no I/O. A *stream* is a DataFrame with one row per recorded
point and the columns of :data:`SAMPLE_COLUMNS` (the same names as
``pipelines.imports.parsers.base.SAMPLE_COLUMNS``; NaN where a channel is absent):

================= ==============================================================
``time``          datetime64[ns, UTC]
``lat``, ``lon``  degrees WGS-84
``ele_m``         metres
``hr``            beats per minute
``cadence``       rpm (ride) or steps/min (run), as the device recorded it
``power_w``       watts
``speed_mps``     m/s, as recorded by the device
``distance_m``    m, cumulative since the start of the activity, as recorded
``temperature_c`` °C
================= ==============================================================

:func:`sanitise` turns what a file recorded into a strictly time-ordered stream
of plausible values, with warnings in plain words; :func:`models.sessions.summary.summarise`
computes the figures stored for a session from it. The rules and their sources are in
the docstrings and next to the constants below.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

SAMPLE_COLUMNS: Final[tuple[str, ...]] = (
    "time",
    "lat",
    "lon",
    "ele_m",
    "hr",
    "cadence",
    "power_w",
    "speed_mps",
    "distance_m",
    "temperature_c",
)

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean radius R1 = (2a + b)/3 of the WGS-84/GRS-80 ellipsoid (Moritz 1980, Geodetic
Reference System 1980). The haversine error against the ellipsoid is below 0.5 %."""

MAX_SPEED_MPS: Final = 100.0
"""Faster than this between two positioned points is a GPS jump (360 km/h: no
human-powered sport comes near; a jump of a few hundred metres in one second does)."""

MAX_GAP_S: Final = 120.0
"""Longest interval between two points that still counts as recorded activity.

Longer gaps are pauses (the device stopped recording) and count neither as moving
time nor as time at a heart rate. Garmin *smart recording* writes a point only when
speed, direction or heart rate change; the real Garmin Connect run in our data has
gaps of 52 s and 106 s at 1.1–1.2 m/s while the runner kept moving, so a 30 or 60 s
cap would cut real running. The speed rule below already treats a stop *inside* a
gap as a stop (the real hike's 118–2,041 s gaps are all under 0.1 m/s); the cap only
guards against a paused recording across which the athlete moved (e.g. drove)."""

_RUN_THRESHOLD_MPS: Final = 1609.344 / (30 * 60)  # 0.894 m/s: a 30-minute mile
_STOPPED_MPS: Final = 1000.0 / 3600.0  # 0.278 m/s = 1 km/h
MOVING_SPEED_MPS: Final[dict[str, float]] = {
    # Strava: "The moving threshold is anything faster than a 30-minute mile pace for
    # running activities" (Strava Training Glossary for Running, support article 216917157).
    "run": _RUN_THRESHOLD_MPS,
    # No published figure for rides. Ours: 1 m/s (3.6 km/h) — a bicycle is not ridden
    # upright below walking pace, so slower "movement" is GPS drift at a standstill.
    "ride": 1.0,
    # gpxpy's get_moving_data default (1 km/h): walkers, hikers on steep ground,
    # swimmers, rowers and paddlers can be slow, so only a near standstill is a stop.
    "walk": _STOPPED_MPS,
    "hike": _STOPPED_MPS,
    "swim": _STOPPED_MPS,
    "row": _STOPPED_MPS,
    "other": _STOPPED_MPS,
}
"""Speed (m/s) at or above which an interval counts as moving, per sport."""

ELEVATION_HYSTERESIS_M: Final = 3.0
"""Climbing counts only once elevation has moved this far from the last counted level.

GoldenCheetah's default "elevation hysteresis" is 3 m (Options › General); GPS
altitude is noisy by several metres, and summing every small rise inflates the
gain by tens of percent, while a 3 m band removes the jitter and keeps real climbs."""

# Plausible ranges; values outside are recording errors and become NaN (not the point).
_CHANNELS: Final[dict[str, tuple[str, float, float, str]]] = {
    "lat": ("latitude", -90.0, 90.0, "±90°"),
    "lon": ("longitude", -180.0, 180.0, "±180°"),
    "ele_m": ("elevation", -500.0, 9000.0, "−500–9,000 m"),
    "hr": ("heart-rate", 1.0, 250.0, "1–250 bpm"),
    "cadence": ("cadence", 0.0, 300.0, "0–300"),
    "power_w": ("power", 0.0, 3000.0, "0–3,000 W"),
    "speed_mps": ("speed", 0.0, MAX_SPEED_MPS, "0–100 m/s"),
    "distance_m": ("distance", 0.0, 1e8, "0–100,000 km"),
    "temperature_c": ("temperature", -60.0, 60.0, "−60–60 °C"),
}


def _report(count: int, noun: str, tail: str = "", verb: str = "removed") -> str:
    """``(2, "heart-rate value", "outside 1–250 bpm")`` → "2 heart-rate values … were removed"."""
    many = count != 1
    words = [f"{count:,} {noun}{'s' if many else ''}", tail, "were" if many else "was", verb]
    return " ".join(word for word in words if word)


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Great-circle distance in metres on a sphere of radius :data:`EARTH_RADIUS_M`.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like of shape (n,)
        Degrees. NaN in, NaN out.

    Returns
    -------
    ndarray of shape (n,)
        Metres (haversine formula, Sinnott 1984).
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def _longest_run(ns: list[int]) -> list[int]:
    """Length of the longest strictly increasing subsequence ending at each index."""
    tails: list[int] = []
    lengths = []
    for value in ns:
        k = bisect_left(tails, value)
        tails[k : k + 1] = [value]
        lengths.append(k + 1)
    return lengths


def _in_order(ns: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Mask of the longest strictly increasing subsequence of ``ns`` (O(n log n)).

    Among equally long ones, the one with the earliest indices: in ``0, 10, 5, 20`` the
    5 s point, earlier than the one before it, is the one out of order.
    """
    keep = np.ones(ns.size, dtype=bool)
    if ns.size < 2 or bool(np.all(np.diff(ns) > 0)):
        return keep
    values = ns.tolist()
    ending = _longest_run(values)
    starting = _longest_run([-v for v in reversed(values)])[::-1]
    best = max(ending)
    keep[:] = False
    need, last = 1, None
    for i, value in enumerate(values):
        on_a_longest = ending[i] + starting[i] - 1 == best
        if on_a_longest and ending[i] == need and (last is None or value > last):
            keep[i], need, last = True, need + 1, value
    return keep


def _jumps(seconds: FloatArray, lat: FloatArray, lon: FloatArray) -> npt.NDArray[np.bool_]:
    """Mask of points reached from the last kept positioned point faster than MAX_SPEED_MPS."""
    drop = np.zeros(seconds.size, dtype=bool)
    idx = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if idx.size < 2:
        return drop

    def speed(i: int, j: int) -> float:
        metres = haversine_m(lat[i], lon[i], lat[j], lon[j])
        return float(metres) / max(seconds[j] - seconds[i], 1e-9)

    step = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
    if not np.any(step / np.diff(seconds[idx]) > MAX_SPEED_MPS):
        return drop
    start = 0
    # A bad first fix (cold start) would otherwise make every point after it a "jump".
    if idx.size > 2 and speed(idx[0], idx[1]) > MAX_SPEED_MPS >= speed(idx[1], idx[2]):
        drop[idx[0]], start = True, 1
    anchor = int(idx[start])
    for j in idx[start + 1 :].tolist():
        if speed(anchor, j) > MAX_SPEED_MPS:
            drop[j] = True
        else:
            anchor = j
    return drop


def sanitise(samples: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Clean a recorded stream into a strictly time-ordered one of plausible values.

    In this order:

    1. Channels are made numeric; text, ±inf and values outside a plausible range
       (heart rate 1–250 bpm, power 0–3,000 W, … see ``_CHANNELS``) become NaN — the
       value, not the point. A position needs both coordinates.
    2. Points without a time are dropped.
    3. Points repeating the previous point's timestamp are dropped (the first is kept).
    4. Points out of time order are dropped: the longest run of points with increasing
       times, in recording order, is kept (a clock stepping back, or one point stamped
       far in the future, loses that point, not everything after it). If that would
       drop more than half the points the input was simply not in recording order: it
       is sorted by time instead (then repeated timestamps keep the first).
    5. GPS jumps are dropped: a positioned point reached from the last kept one
       faster than :data:`MAX_SPEED_MPS` (100 m/s).

    Parameters
    ----------
    samples : pandas.DataFrame, shape (n, k)
        Columns of :data:`SAMPLE_COLUMNS` (missing ones are added as NaN, others ignored);
        ``time`` anything ``pandas.to_datetime`` reads, naive values taken as UTC.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The clean stream, shape (m, 10), m ≤ n, index 0…m−1, ``time`` strictly
        increasing datetime64[ns, UTC], other columns float64; and one warning per kind
        of change, with its count, in words a user understands.
    """
    frame = pd.DataFrame(index=range(len(samples)))
    warnings: list[str] = []
    raw_time = samples["time"].to_numpy() if "time" in samples else [pd.NaT] * len(samples)
    frame["time"] = pd.to_datetime(pd.Series(raw_time, dtype=object), utc=True, errors="coerce")
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    for column, (noun, low, high, span) in _CHANNELS.items():
        raw = pd.Series(samples[column].to_numpy() if column in samples else np.nan, frame.index)
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()
        unreadable = ~np.isfinite(values) & raw.notna().to_numpy()
        outside = np.isfinite(values) & ((values < low) | (values > high))
        if unreadable.any():
            warnings.append(_report(int(unreadable.sum()), f"non-numeric or infinite {noun} value"))
        if outside.any():
            warnings.append(_report(int(outside.sum()), f"{noun} value", f"outside {span}"))
        values[unreadable | outside] = np.nan
        frame[column] = values
    half = frame["lat"].isna() != frame["lon"].isna()
    if half.any():
        warnings.append(_report(int(half.sum()), "position", "missing a coordinate"))
        frame.loc[half, ["lat", "lon"]] = np.nan

    def drop(mask: npt.NDArray[np.bool_], noun: str, tail: str) -> None:
        nonlocal frame
        if mask.any():
            warnings.append(_report(int(mask.sum()), noun, tail, "dropped"))
            frame = frame.loc[~mask].reset_index(drop=True)

    drop(frame["time"].isna().to_numpy(), "point", "without a time")
    drop(
        np.r_[False, np.diff(timestamps_ns(frame)) == 0],
        "point",
        "repeating the previous timestamp",
    )
    in_order = _in_order(timestamps_ns(frame))
    if in_order.sum() * 2 < len(frame):
        frame = frame.iloc[np.argsort(timestamps_ns(frame), kind="stable")].reset_index(drop=True)
        warnings.append("the points were not in time order and were sorted by time")
        drop(
            np.r_[False, np.diff(timestamps_ns(frame)) == 0],
            "point",
            "repeating an earlier timestamp",
        )
    else:
        drop(~in_order, "point", "whose time goes backwards")
    jumps = _jumps(elapsed_s(frame), frame["lat"].to_numpy(), frame["lon"].to_numpy())
    drop(jumps, "point", "after a GPS jump at an impossible speed (over 100 m/s)")
    _distance_jumps(frame, warnings)
    return frame, warnings


def _distance_jumps(frame: pd.DataFrame, warnings: list[str]) -> None:
    """6. A device distance counter that leaps faster than :data:`MAX_SPEED_MPS` between
    two recorded values: the leap is taken out (the later values shift down by it)."""
    distance = frame["distance_m"].to_numpy(dtype=float).copy()
    recorded = np.flatnonzero(np.isfinite(distance))
    if recorded.size < 2:
        return
    steps = np.diff(distance[recorded])
    seconds = np.diff(elapsed_s(frame)[recorded])
    leaps = steps > MAX_SPEED_MPS * np.maximum(seconds, 1.0)
    if not leaps.any():
        return
    steps[leaps] = 0.0
    distance[recorded] = distance[recorded[0]] + np.r_[0.0, np.cumsum(steps)]
    frame["distance_m"] = distance
    warnings.append(
        _report(int(leaps.sum()), "jump of the distance counter", "faster than 100 m/s", "ignored")
    )


def timestamps_ns(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The stream's ``time`` column as int64 nanoseconds since the epoch (UTC)."""
    return frame["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)


def elapsed_s(frame: pd.DataFrame) -> FloatArray:
    """Seconds since the stream's first point (float; empty for an empty stream)."""
    ns = timestamps_ns(frame)
    return (ns - ns[0]).astype(float) / 1e9 if ns.size else np.zeros(0)
