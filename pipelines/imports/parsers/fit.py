"""Garmin FIT activity files, decoded with fitdecode, read into :class:`ParseResult`.

One workout per ``session`` message (a multisport file gives several); the
``record`` messages go to the session whose time range holds them. A file without
a session message gives one workout from its records. ``device`` keeps the
session's own totals; moving time is the device's ``total_timer_time``, and the
number of timer stops (auto-pause) is said in the warnings. Developer fields and
undocumented message numbers are skipped.

Damaged files, one policy (DESIGN §2, invariant 4). FIT cannot be resynchronised
after a bad message, so decoding stops at the first one. What was read whole
before that byte is imported *if it is usable* (at least two points with real
times spanning more than 0 s), and every workout then carries a warning naming
the byte offset and the decoder's reason. Otherwise the file is refused with
``ImportFormatError("corrupt_fit")`` naming the offset. Points without a real
time (seconds since power-on, or more than 24 h in the future, like the 2085
date just before the break in the Strava file) are dropped with a warning. A
checksum mismatch, or bytes after the end of complete FIT data, are warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import fitdecode
import pandas as pd

from api.imports.formats import is_fit
from pipelines.imports.parsers import base, sports, streams
from pipelines.imports.parsers import values as v

FORMAT = "fit"

_SEMICIRCLE_DEG = 180.0 / 2**31
_SLACK = timedelta(seconds=60)
"""Points this close outside a session's times still belong to it (devices round)."""
_PROGRESS_EVERY = 2000
_DEVICE_FIELDS = {
    "elapsed_s": "total_elapsed_time", "moving_s": "total_timer_time",
    "distance_m": "total_distance", "avg_hr": "avg_heart_rate", "max_hr": "max_heart_rate",
    "avg_power_w": "avg_power", "elev_gain_m": "total_ascent",
}  # fmt: skip
"""``device`` keys ← FIT ``session`` fields."""


def _num(value: object) -> float:
    """A finite float from a decoded value; NaN for anything else (None, text, bytes)."""
    if isinstance(value, tuple):
        value = next((x for x in value if x is not None), None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    number = float(value)
    return number if math.isfinite(number) else math.nan


def _when(value: object) -> datetime | None:
    """A real UTC time; None when missing or counted from power-on (fitdecode leaves an int)."""
    return value if isinstance(value, datetime) else None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _span(seconds: float) -> str:
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {sec:02d} s"


def _offset(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _fields(frame: Any) -> dict[str, Any]:
    """Profile fields of a data message by name; developer fields left out."""
    out: dict[str, Any] = {}
    for fd in frame.fields:
        if fd.value is not None and not (fd.field_def is not None and fd.field_def.is_dev):
            out.setdefault(fd.name, fd.value)
    return out


def _point(f: dict[str, Any]) -> tuple[Any, ...]:
    """One ``record`` as a row of :data:`SAMPLE_COLUMNS` (time still as decoded)."""
    return (
        f.get("timestamp"),  # fitdecode also fills it from compressed-timestamp headers
        _num(f.get("position_lat")) * _SEMICIRCLE_DEG,
        _num(f.get("position_long")) * _SEMICIRCLE_DEG,
        _num(f.get("enhanced_altitude", f.get("altitude"))),
        _num(f.get("heart_rate")),
        _num(f.get("cadence")),
        _num(f.get("power")),
        _num(f.get("enhanced_speed", f.get("speed"))),
        _num(f.get("distance")),
        _num(f.get("temperature")),
    )


@dataclass
class _Session:
    index: int
    fields: dict[str, Any]
    source: str | None
    start: datetime = datetime.min.replace(tzinfo=UTC)
    end: datetime = datetime.min.replace(tzinfo=UTC)


@dataclass
class _Decoded:
    points: list[tuple[Any, ...]] = field(default_factory=list)
    sessions: list[_Session] = field(default_factory=list)
    timer_stops: list[tuple[datetime, bool]] = field(default_factory=list)
    source: str | None = None
    file_type: object = None
    sport: str | None = None
    local_offset: timedelta | None = None
    notes: list[str] = field(default_factory=list)
    break_at: int | None = None
    break_reason: str = ""

    def take(self, frame: Any) -> None:
        name = frame.name
        if name == "record":
            self.points.append(_point(_fields(frame)))
            return
        f = _fields(frame)
        if name == "session":
            self.sessions.append(_Session(len(self.sessions), f, self.source))
        elif name == "event" and f.get("event") == "timer":
            when = _when(f.get("timestamp"))
            if when is not None and str(f.get("event_type", "")).startswith("stop"):
                self.timer_stops.append((when, f.get("timer_trigger") == "auto"))
        elif name == "file_id":
            created = _when(f.get("time_created"))
            serial = f.get("serial_number") or ""
            maker = f.get("manufacturer", "")
            self.source = f"fit:{maker}:{serial}:{created:%Y%m%dT%H%M%SZ}" if created else None
            self.file_type = f.get("type")
        elif name in ("sport", "lap") and self.sport is None and f.get("sport") is not None:
            self.sport = str(f["sport"])
        elif name == "activity":
            utc, local = _when(f.get("timestamp")), _when(f.get("local_timestamp"))
            if utc is not None and local is not None:
                self.local_offset = local - utc


def _reason(exc: Exception) -> str:
    if isinstance(exc, fitdecode.FitEOFError):
        return f"the file ends in the middle of a message: {exc}"
    if isinstance(exc, fitdecode.FitParseError):
        return str(exc).split(": ", 1)[-1]
    return str(exc) if isinstance(exc, fitdecode.FitError) else f"{type(exc).__name__}: {exc}"


def _decode(data: bytes, on_progress: base.ProgressCallback | None) -> _Decoded:
    out = _Decoded()
    reader = fitdecode.FitReader(
        data,
        check_crc=fitdecode.CrcCheck.READONLY,  # computed and compared here, never raised
        error_handling=fitdecode.ErrorHandling.IGNORE,  # undeclared developer fields → bytes
        keep_raw_chunks=True,  # for the byte offsets
    )
    end, complete = 0, False  # just past the last frame read whole; was it a CRC footer?
    try:
        for count, frame in enumerate(reader, 1):
            end = frame.chunk.offset + len(frame.chunk.bytes)
            complete = isinstance(frame, fitdecode.FitCRC)
            if isinstance(frame, fitdecode.FitDataMessage):
                out.take(frame)
            elif isinstance(frame, fitdecode.FitHeader) and frame.crc_matched is False:
                out.notes.append(f"the FIT header checksum at byte {frame.chunk.offset} is wrong")
            elif complete and not frame.matched:
                out.notes.append(
                    f"the file's checksum at byte {frame.chunk.offset} does not match its "
                    "content: the data may be damaged; imported as read"
                )
            if on_progress is not None and count % _PROGRESS_EVERY == 0:
                on_progress(0.9 * end / len(data))
    except Exception as exc:  # noqa: BLE001 — hostile bytes make fitdecode raise anything
        if complete:
            out.notes.append(f"ignored {len(data) - end} bytes after the FIT data (byte {end})")
        else:
            out.break_at, out.break_reason = end, _reason(exc)
    finally:
        reader.close()
    return out


def _samples(decoded: _Decoded, notes: list[str]) -> tuple[pd.DataFrame, int]:
    """Points with a real, not-future time as a DataFrame, and how many were dropped."""
    timed = streams.timed_points([decoded.points])
    relative = timed.untimed + timed.unreadable  # fitdecode leaves a relative time an int
    if relative:
        notes.append(f"dropped {_count(relative, 'point')} without a real time (clock not set)")
    if timed.first_too_late is not None:
        first = timed.first_too_late.strftime("%Y-%m-%d %H:%M:%S")
        notes.append(f"dropped {_count(timed.too_late, 'point')} dated in the future ({first} UTC)")
    return timed.frame, timed.dropped


def _timed_sessions(decoded: _Decoded, notes: list[str]) -> tuple[list[_Session], int]:
    """Sessions with a start and an end, in time order, and the number of repeats dropped."""
    timed: dict[tuple[Any, ...], _Session] = {}
    seen, limit = 0, datetime.now(UTC) + base.FUTURE_SLACK
    for s in decoded.sessions:
        elapsed = _num(s.fields.get("total_elapsed_time"))
        start, stamp = _when(s.fields.get("start_time")), _when(s.fields.get("timestamp"))
        if start is None and stamp is not None and not math.isnan(elapsed):
            start = stamp - timedelta(seconds=elapsed)
        if start is None or start > limit:
            notes.append(f"session {s.index + 1} has no usable start time and was ignored")
            continue
        end = start + timedelta(seconds=0 if math.isnan(elapsed) else elapsed)
        s.start, s.end = start, max(end, stamp or end)
        seen += 1
        timed.setdefault(tuple(sorted((k, repr(x)) for k, x in s.fields.items())), s)
    ordered = sorted(timed.values(), key=lambda s: s.start)
    return ordered, seen - len(ordered)


def _split(samples: pd.DataFrame, sessions: list[_Session]) -> tuple[list[pd.DataFrame], int]:
    """Each session's points, from its start to its end (± slack, up to the next start)."""
    times, claimed, groups = samples["time"], pd.Series(False, index=samples.index), []
    for i, s in enumerate(sessions):
        low = s.start - _SLACK if i == 0 else s.start
        mask = (times >= low) & (times <= s.end + _SLACK)
        if i + 1 < len(sessions):
            mask &= times < sessions[i + 1].start
        groups.append(samples[mask & ~claimed])
        claimed |= mask
    return groups, int((~claimed).sum())


def _clean(samples: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Merge consecutive records sharing a time (FIT devices split one instant across
    messages: Strava writes position and distance apart), then sanitise."""
    stream = streams.clean_stream(samples, merge_same_time=True)
    if stream.merged:
        notes.append(
            f"merged {_count(stream.merged, 'record')} written at the same time as the one before"
        )
    notes.extend(stream.warnings)
    return stream.frame


def _workout(
    line: int,
    samples: pd.DataFrame,
    session: _Session | None,
    decoded: _Decoded,
    notes: list[str],
    zone: ZoneInfo,
) -> base.ParsedWorkout:
    f = session.fields if session else {}
    name = str(f.get("sport", decoded.sport or "")) or None
    sport = sports.fit_sport(name)
    label = name if f.get("sub_sport") in (None, "generic") else f"{name}/{f['sub_sport']}"
    device = {k: _num(f.get(key)) for k, key in _DEVICE_FIELDS.items()}
    device = {k: x for k, x in device.items() if not math.isnan(x)}
    first = samples["time"].iloc[0].to_pydatetime() if len(samples) else None
    last = samples["time"].iloc[-1].to_pydatetime() if len(samples) else None
    started, ended = (session.start, session.end) if session else (first, last)
    assert started is not None and ended is not None
    stops = [auto for when, auto in decoded.timer_stops if started <= when <= ended + _SLACK]
    if len(stops) > 1:
        notes.append(
            f"the device timer stopped {len(stops)} times ({sum(stops)} by auto-pause); "
            "moving time is computed from the recorded speeds (the device's own timer "
            "total is kept alongside)"
        )
    if decoded.break_at is not None and first and last and "elapsed_s" in device:
        covered = (last - first).total_seconds()
        if covered < device["elapsed_s"] - _SLACK.total_seconds():
            notes.append(
                f"the readable points cover {_span(covered)} of the "
                f"{_span(device['elapsed_s'])} the device recorded"
            )
    zone_offset = started.astimezone(zone).utcoffset()
    if decoded.local_offset is not None and zone_offset is not None:
        if abs(decoded.local_offset - zone_offset) > timedelta(minutes=1):
            notes.append(
                f"the device's clock was at UTC{_offset(decoded.local_offset)} but {zone.key} "
                f"was at UTC{_offset(zone_offset)}; local times follow {zone.key}"
            )
    source = session.source if session else decoded.source
    if source is not None and session is not None and session.index > 0:
        source = f"{source}/{session.index}"
    title = sports.SPORT_TITLES.get(sport) or (name or "activity").replace("_", " ")
    return streams.cardio_workout(
        samples,
        sport=sport,
        sport_label=label,
        title=title[:1].upper() + title[1:],
        zone=zone,
        line=line,
        warnings=notes,
        device=device,
        source_id=source,
        started_at=started,
        ended_at=ended,
    )


def parse_fit(
    data: bytes, *, time_zone: str, on_progress: base.ProgressCallback | None = None
) -> base.ParseResult:
    """Read a FIT activity file (``time_zone``: the IANA zone it happened in).

    ``rows`` counts the ``record`` messages decoded, ``rows_rejected`` the points
    dropped (no real time, in the future, outside every session); a workout's
    ``line`` is its ordinal in the file (1 = first session). ``on_progress`` gets
    the fraction of the file decoded.

    Raises
    ------
    ImportFormatError
        ``empty_file``; ``unsupported_format`` (not FIT, or a course/settings
        file); ``corrupt_fit`` (damaged before any usable points; the message
        names the byte offset); ``no_rows`` (complete, but no timed activity).
    """
    zone = v.load_zone(time_zone)
    if not data:
        raise base.ImportFormatError("empty_file", "the file is empty")
    if not is_fit(data):
        if data[0] in (12, 14) and len(data) < 12:
            raise base.ImportFormatError(
                "corrupt_fit", f"the file ends at byte {len(data)}, inside the FIT header"
            )
        raise base.ImportFormatError("unsupported_format", "not a FIT file (no .FIT header)")
    decoded = _decode(data, on_progress)
    broken = decoded.break_at is not None
    if isinstance(decoded.file_type, str) and decoded.file_type != "activity" and not broken:
        raise base.ImportFormatError(
            "unsupported_format", f"this is a FIT {decoded.file_type} file, not an activity"
        )
    notes = list(decoded.notes)
    if broken:
        notes.insert(
            0,
            f"the file is damaged: it cannot be read past byte {decoded.break_at} of "
            f"{len(data)} ({decoded.break_reason}); the points before it were imported",
        )
    samples, rejected = _samples(decoded, notes)
    sessions, repeats = _timed_sessions(decoded, notes)
    groups: list[tuple[_Session | None, pd.DataFrame]] = [(None, samples)]
    if sessions:
        parts, outside = _split(samples, sessions)
        groups = list(zip(sessions, parts, strict=True))
        if outside:
            notes.append(f"dropped {_count(outside, 'point')} recorded outside the sessions")
            rejected += outside
    workouts: list[base.ParsedWorkout] = []
    unusable = 0
    for session, group in groups:
        own = list(notes)
        clean = _clean(group, own)
        if not streams.has_duration(clean):  # FIT times are whole seconds
            if broken or session is None:
                unusable += 1
                continue
            own.append(f"the session has {_count(len(clean), 'recorded point')}")
        workouts.append(_workout(len(workouts) + 1, clean, session, decoded, own, zone))
    if not workouts:
        if broken:
            raise base.ImportFormatError(
                "corrupt_fit",
                f"the FIT file is damaged at byte {decoded.break_at} of {len(data)} "
                f"({decoded.break_reason}) and fewer than 2 timed points come before it",
            )
        raise base.ImportFormatError("no_rows", "the FIT file holds no timed activity records")
    for w in workouts if unusable else []:
        assert w.cardio is not None
        w.cardio.warnings.append(f"skipped {_count(unusable, 'session')} without readable points")
    if on_progress is not None:
        on_progress(1.0)
    return base.ParseResult(
        format=FORMAT,
        rows=len(decoded.points),
        workouts=workouts,
        errors=[],
        duplicates_collapsed=repeats,
        rows_rejected=rejected,
    )
