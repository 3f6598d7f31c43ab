"""Storing parsed cardio sessions: summary, load, stream — and each session counted once.

The same run may arrive as a FIT from the watch and a GPX or TCX from a service.
A new session that overlaps a stored one of the same sport by at least half of the
shorter one is the same session: the richer recording (more points × channels) is
kept, the other is reported as a duplicate (Forma's rule; see ``MIN_OVERLAP``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from api.analytics.markers import mark_stale
from models.sessions.load import Physiology, session_load
from models.sessions.summary import summarise
from models.vocabulary import local_day
from pipelines.imports import cardio_store as store
from pipelines.imports import store as import_store
from pipelines.imports.parsers.base import ParsedWorkout, ParseResult

MIN_OVERLAP = 0.5

_SUMMARY_KEYS = (
    "elapsed_s", "moving_s", "distance_m", "elev_gain_m", "elev_loss_m", "avg_hr", "max_hr",
    "avg_power_w", "avg_cadence", "avg_speed_mps", "pace_s_per_km",
)  # fmt: skip


def cardio_fingerprint(fmt: str, workout: ParsedWorkout) -> str:
    key = workout.source_id or workout.started_at.isoformat()
    sport = workout.cardio.sport if workout.cardio else ""
    return hashlib.sha256(f"{fmt}|cardio|{key}|{sport}".encode()).hexdigest()


def _who(profile: dict[str, Any], metrics: pd.DataFrame, day: date) -> Physiology:
    """The athlete on ``day``: the latest body metrics on or before it, else the profile."""
    hr_rest, hr_max = profile.get("resting_hr"), profile.get("max_hr")
    if not metrics.empty:
        known = metrics[metrics["measured_on"] <= day]
        rest = known["resting_hr"].dropna()
        peak = known["max_hr"].dropna()
        hr_rest = float(rest.iloc[-1]) if len(rest) else hr_rest
        hr_max = float(peak.iloc[-1]) if len(peak) else hr_max
    birth = profile.get("birth_year")
    return Physiology(
        hr_rest=float(hr_rest) if hr_rest is not None else None,
        hr_max=float(hr_max) if hr_max is not None else None,
        sex=profile.get("sex"),
        age_years=(day.year - birth) if birth else None,
    )


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _summary(workout: ParsedWorkout) -> tuple[pd.DataFrame | None, dict[str, Any], list[str]]:
    session = workout.cardio
    assert session is not None
    # The parser has sanitised the stream already (the CardioSession contract), and its
    # warnings say so; a second pass here would only repeat the work on every point.
    samples, warnings = session.samples, list(session.warnings)
    summary: dict[str, Any] = {}
    if samples is not None and len(samples) >= 2:
        summary = summarise(samples, sport=session.sport)
    else:
        samples = None
        summary = {"elapsed_s": session.elapsed_s, "distance_m": session.distance_m, "points": 0}
    return samples, summary, warnings


def store_cardio(
    conn: Connection,
    job_id: uuid.UUID,
    user_id: uuid.UUID,
    result: ParseResult,
    change_seq: int,
) -> dict[str, int]:
    """Insert (or upgrade to) the result's cardio sessions; returns the counts it adds."""
    profile, metrics = store.physiology(conn, user_id)
    created = duplicates = 0
    days: list[date] = []
    for workout in result.workouts:
        if workout.cardio is None:
            continue
        samples, summary, warnings = _summary(workout)
        start: datetime = workout.started_at
        end: datetime = workout.ended_at or start
        if samples is not None:
            start = samples["time"].iloc[0].to_pydatetime()
            end = samples["time"].iloc[-1].to_pydatetime()
        points = int(summary.get("points") or 0)
        mine = store.richness(points, summary)
        same = [
            e
            for e in store.overlapping(
                conn, user_id=user_id, sport=workout.cardio.sport, start=start, end=end
            )
            if _overlap(start, end, e.started_at, e.ended_at or e.started_at) >= MIN_OVERLAP
        ]
        if same and all(e.richness >= mine for e in same):
            duplicates += 1
            continue
        if same:  # this recording is richer: the stored session takes it over
            target = max(same, key=lambda e: e.richness).workout_id
            store.replace_stream_owner(
                conn,
                workout_id=target,
                start=start,
                end=end,
                change_seq=change_seq,
                source=result.format,
                import_job_id=job_id,
            )
            duplicates += 1
        else:
            target = uuid.uuid4()
            inserted = import_store.insert_workouts(
                conn,
                [
                    {
                        "id": target,
                        "user_id": user_id,
                        "started_at": start,
                        "ended_at": end,
                        "time_zone": workout.time_zone,
                        "title": (workout.title or workout.cardio.sport.title())[:200],
                        "notes": workout.notes,
                        "session_rpe": workout.session_rpe,
                        "source": result.format,
                        "source_fingerprint": cardio_fingerprint(result.format, workout),
                        "import_job_id": job_id,
                        "change_seq": change_seq,
                    }
                ],
            )
            if not inserted:  # the same file (or this session from it) imported before
                duplicates += 1
                continue
            created += 1
        day = local_day(start, workout.time_zone)
        days.append(day)
        minutes = (summary.get("moving_s") or summary.get("elapsed_s") or 0) / 60 or None
        hr_seconds = hr = None
        if samples is not None:
            hr_seconds = (samples["time"] - samples["time"].iloc[0]).dt.total_seconds().to_numpy()
            hr = samples["hr"].to_numpy(dtype=float)
        load = session_load(
            minutes=minutes,
            who=_who(profile, metrics, day),
            hr_seconds=hr_seconds,
            hr=hr,
            hr_avg=_clean(workout.cardio.device.get("avg_hr")),
            session_rpe=workout.session_rpe,
        )
        store.insert_session(
            conn,
            {
                "workout_id": target,
                "user_id": user_id,
                "sport": workout.cardio.sport,
                "sport_label": workout.cardio.sport_label,
                **{key: _clean(summary.get(key)) for key in _SUMMARY_KEYS},
                "points": points,
                "trimp": load.trimp,
                "srpe_load": load.srpe_load,
                "load": load.load,
                "load_method": load.method,
                "load_assumptions": load.assumptions,
                "device": {k: _clean(v) for k, v in workout.cardio.device.items()},
                "warnings": warnings,
                "source_id": workout.source_id,
            },
        )
        store.copy_samples(conn, workout_id=target, user_id=user_id, samples=samples)
    if days:
        conn.execute(mark_stale(user_id, min(days)))
    return {"workouts_created": created, "sets_created": 0, "duplicates_skipped": duplicates}


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    """Shared time as a fraction of the shorter span (1.0 for two identical instants)."""
    shared = (min(a1, b1) - max(a0, b0)).total_seconds()
    shorter = min((a1 - a0).total_seconds(), (b1 - b0).total_seconds())
    if shorter <= 0:
        return 1.0 if shared >= 0 else 0.0
    return max(0.0, shared) / shorter
