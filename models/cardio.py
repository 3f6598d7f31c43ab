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
of plausible values, with warnings in plain words; :func:`summarise` computes the
figures stored for a session (elapsed and moving time, distance, climbing,
heart rate, power, cadence, speed and pace). The rules and their sources are in
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
    drop(np.r_[False, np.diff(_ns(frame)) == 0], "point", "repeating the previous timestamp")
    in_order = _in_order(_ns(frame))
    if in_order.sum() * 2 < len(frame):
        frame = frame.iloc[np.argsort(_ns(frame), kind="stable")].reset_index(drop=True)
        warnings.append("the points were not in time order and were sorted by time")
        drop(np.r_[False, np.diff(_ns(frame)) == 0], "point", "repeating an earlier timestamp")
    else:
        drop(~in_order, "point", "whose time goes backwards")
    jumps = _jumps(_seconds(frame), frame["lat"].to_numpy(), frame["lon"].to_numpy())
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
    seconds = np.diff(_seconds(frame)[recorded])
    leaps = steps > MAX_SPEED_MPS * np.maximum(seconds, 1.0)
    if not leaps.any():
        return
    steps[leaps] = 0.0
    distance[recorded] = distance[recorded[0]] + np.r_[0.0, np.cumsum(steps)]
    frame["distance_m"] = distance
    warnings.append(
        _report(int(leaps.sum()), "jump of the distance counter", "faster than 100 m/s", "ignored")
    )


def _ns(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    return frame["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _seconds(frame: pd.DataFrame) -> FloatArray:
    ns = _ns(frame)
    return (ns - ns[0]).astype(float) / 1e9 if ns.size else np.zeros(0)


def _time_weighted(values: FloatArray, dt: FloatArray) -> float | None:
    """Trapezoidal time average over intervals of at most MAX_GAP_S with both ends known."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    ok = finite[:-1] & finite[1:] & (dt > 0) & (dt <= MAX_GAP_S)
    if not ok.any():
        return float(np.mean(values[finite]))
    mid = (values[:-1] + values[1:]) / 2
    return float(np.sum(mid[ok] * dt[ok]) / np.sum(dt[ok]))


def _climb(elevations: FloatArray) -> tuple[float | None, float | None]:
    """Gain and loss (m) with a ±ELEVATION_HYSTERESIS_M band around the last counted level."""
    ele = elevations[np.isfinite(elevations)].tolist()
    if len(ele) < 2:
        return None, None
    gain = loss = 0.0
    level = ele[0]
    for value in ele[1:]:
        if value - level >= ELEVATION_HYSTERESIS_M:
            gain, level = gain + value - level, value
        elif level - value >= ELEVATION_HYSTERESIS_M:
            loss, level = loss + level - value, value
    return gain, loss


def _device_distance(distance: FloatArray) -> FloatArray | None:
    finite = distance[np.isfinite(distance)]
    if finite.size < 2 or bool(np.any(np.diff(finite) < -1e-6)):
        return None
    return finite


def summarise(samples: pd.DataFrame, *, sport: str) -> dict[str, Any]:
    """Summary figures of a clean stream (the output of :func:`sanitise`).

    Parameters
    ----------
    samples : pandas.DataFrame, shape (n, 10)
        A sanitised stream: ``time`` strictly increasing, values plausible.
    sport : str
        ``run``, ``ride``, ``walk``, ``hike``, ``swim``, ``row`` or ``other``; sets the
        moving-speed threshold (:data:`MOVING_SPEED_MPS`; unknown sports use ``other``).

    Returns
    -------
    dict
        * ``elapsed_s`` — last time − first time, s (0 for fewer than 2 points).
        * ``moving_s`` — sum of the intervals (s) between consecutive points that are at
          most :data:`MAX_GAP_S` long and whose speed is at least the sport's threshold.
          The speed of an interval is the device's speed at its end point when recorded,
          else the growth of the device's cumulative distance over it, else the haversine
          distance between its positions, divided by its length; an interval with no
          speed at all (indoor, no sensor) counts as moving when short enough.
        * ``distance_m`` — the device's cumulative distance at the last point when it is
          recorded (≥ 2 values, never decreasing); else the haversine sum over
          consecutive positioned points; None without either.
        * ``elev_gain_m`` / ``elev_loss_m`` — with a :data:`ELEVATION_HYSTERESIS_M` band;
          None with fewer than 2 elevations.
        * ``avg_hr``, ``avg_power_w``, ``avg_cadence`` — time-weighted (trapezoidal) over
          intervals of at most :data:`MAX_GAP_S` with both ends recorded, so that a point
          standing for 10 s of smart recording weighs ten times one standing for 1 s;
          zeros count (coasting is part of a ride). Plain mean when no such interval.
          ``max_hr`` the highest value. None when the channel is absent.
        * ``avg_speed_mps`` — distance covered in the moving intervals / moving time; None
          when either is missing or 0 (a gap's distance would otherwise inflate it).
        * ``pace_s_per_km`` — moving time / that distance in km; None when either is 0.
        * ``points`` — n.
    """
    n = len(samples)
    t = _seconds(samples)
    dt = np.diff(t)
    lat, lon = samples["lat"].to_numpy(float), samples["lon"].to_numpy(float)
    device = samples["distance_m"].to_numpy(float)
    cumulative = _device_distance(device)
    speed = samples["speed_mps"].to_numpy(float)[1:].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        by_distance = np.diff(device) / dt if cumulative is not None else np.full(dt.size, np.nan)
        by_position = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / dt
    speed = np.where(np.isfinite(speed), speed, by_distance)
    speed = np.where(np.isfinite(speed), speed, by_position)
    threshold = MOVING_SPEED_MPS.get(sport, MOVING_SPEED_MPS["other"])
    moving = (dt <= MAX_GAP_S) & ~(speed < threshold)  # NaN speed: unknown, counts
    moving_s = float(np.sum(dt[moving])) if n > 1 else 0.0

    distance_m: float | None
    if cumulative is not None:
        distance_m = float(cumulative[-1])
    else:
        fixed = np.isfinite(lat) & np.isfinite(lon)
        if fixed.sum() >= 2:
            la, lo = lat[fixed], lon[fixed]
            distance_m = float(np.sum(haversine_m(la[:-1], lo[:-1], la[1:], lo[1:])))
        else:
            distance_m = None
    # Speed and pace use the distance covered while moving: a long gap (GPS outage, a
    # pause) is out of moving time, so its distance must not inflate the speed.
    step = by_distance * dt if cumulative is not None else by_position * dt
    moving_distance = float(np.nansum(step[moving])) if n > 1 else 0.0
    gain, loss = _climb(samples["ele_m"].to_numpy(float))
    hr = samples["hr"].to_numpy(float)
    has_hr = bool(np.isfinite(hr).any())
    moved = distance_m is not None and moving_s > 0
    return {
        "elapsed_s": float(t[-1]) if n > 1 else 0.0,
        "moving_s": moving_s,
        "distance_m": distance_m,
        "elev_gain_m": gain,
        "elev_loss_m": loss,
        "avg_hr": _time_weighted(hr, dt),
        "max_hr": float(np.nanmax(hr)) if has_hr else None,
        "avg_power_w": _time_weighted(samples["power_w"].to_numpy(float), dt),
        "avg_cadence": _time_weighted(samples["cadence"].to_numpy(float), dt),
        "avg_speed_mps": moving_distance / moving_s if moved else None,
        "pace_s_per_km": moving_s / (moving_distance / 1000) if moved and moving_distance else None,
        "points": n,
    }
