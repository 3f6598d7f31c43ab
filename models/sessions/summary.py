"""A cleaned cardio stream's summary: the figures stored for a session (elapsed and
moving time, distance, climbing, heart rate, power, cadence, speed and pace), computed
the same way for every file format. Pure numpy; rules and sources in the docstrings and
in :mod:`models.sessions.streams` (the moving-speed, gap and hysteresis constants)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.sessions.streams import (
    ELEVATION_HYSTERESIS_M,
    MAX_GAP_S,
    MOVING_SPEED_MPS,
    FloatArray,
    elapsed_s,
    haversine_m,
)


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
    t = elapsed_s(samples)
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
