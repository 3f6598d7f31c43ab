"""The one cardio stream builder shared by the GPX, TCX and FIT parsers.

A parser reads its format into *records*, one per recorded point: a mapping keyed by
:data:`base.SAMPLE_COLUMNS` (missing keys are NaN) or a tuple in that order. Values
are as the file wrote them — numbers, or text that :func:`models.sessions.streams.sanitise`
reads and counts when unreadable. ``time`` is a :class:`datetime` (naive = UTC), an
ISO 8601 text, anything else (FIT seconds since power-on) or None. From there:

1. :func:`timed_points` keeps the points with a usable time, from
   :data:`base.EARLIEST_START` to now + :data:`base.FUTURE_SLACK`, and counts the
   others by reason; several *parts* (GPX tracks and routes) are ordered by their
   first kept time.
2. :func:`clean_stream` optionally merges consecutive points sharing a time (FIT
   devices split one instant across messages), then runs ``models.sessions.streams.sanitise``
   (numbers, ranges, repeated and backward times, GPS jumps).
3. :func:`cardio_workout` wraps a clean stream as a workout with its summary.

:func:`build_stream` is 1 + 2 in one call. Each parser words its own warnings from
the counters (their texts are part of each format's documented behaviour).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.sessions.streams import sanitise
from models.sessions.summary import summarise
from pipelines.imports.parsers import base

Record = Mapping[str, Any] | Sequence[Any]
"""One recorded point: keyed by :data:`base.SAMPLE_COLUMNS`, or a tuple in that order."""

_COLUMNS = list(base.SAMPLE_COLUMNS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_KEPT, _UNTIMED, _UNREADABLE, _EARLY, _LATE = range(5)


@dataclass(frozen=True, slots=True)
class TimedPoints:
    """The points with a usable time, and why the others were left out.

    ``frame`` has :data:`base.SAMPLE_COLUMNS`, shape (kept, 10): ``time``
    datetime64[ns, UTC] (in recording order within a part, parts ordered by their
    first time), other values as the records gave them. ``per_part`` is the number
    kept of each part, in the order the parts were given.
    """

    frame: pd.DataFrame
    per_part: tuple[int, ...]
    untimed: int = 0
    """No time at all (None, NaN, a missing key)."""
    unreadable: int = 0
    """A time that is no date: text that is not ISO 8601, a number (FIT relative time)."""
    too_early: int = 0
    """Dated before :data:`base.EARLIEST_START` (1900)."""
    too_late: int = 0
    """Dated more than :data:`base.FUTURE_SLACK` (24 h) after now."""
    first_too_late: datetime | None = None
    """The earliest of the too-late times (UTC), for a warning."""

    @property
    def kept(self) -> int:
        """Points kept, all parts together."""
        return len(self.frame)

    @property
    def dropped(self) -> int:
        """Points left out for their time, whatever the reason."""
        return self.untimed + self.unreadable + self.too_early + self.too_late


@dataclass(frozen=True, slots=True)
class CleanStream:
    """A sanitised stream: ``frame`` shape (m, 10), ``time`` strictly increasing
    datetime64[ns, UTC], other columns float64 in the units of
    :data:`base.SAMPLE_COLUMNS`; ``merged`` points folded into the one before (same
    time); ``warnings`` what ``sanitise`` changed, one line a kind, counted."""

    frame: pd.DataFrame
    merged: int
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class Stream:
    """What :func:`build_stream` made: the timed points and their clean stream."""

    timed: TimedPoints
    clean: CleanStream

    @property
    def frame(self) -> pd.DataFrame:
        """The clean stream, shape (m, 10)."""
        return self.clean.frame


def _classify(
    values: Sequence[Any], latest: datetime
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8], datetime | None]:
    """Each time's nanoseconds since the epoch (0 when not kept), its reason code, and
    the earliest too-late time. Text is parsed at once, as pandas does (ISO 8601)."""
    ns = np.zeros(len(values), dtype=np.int64)
    code = np.full(len(values), _UNREADABLE, dtype=np.int8)
    texts: list[int] = []
    late: list[datetime] = []
    for i, value in enumerate(values):
        if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            code[i] = _UNTIMED
        elif isinstance(value, str):
            texts.append(i)
        elif isinstance(value, datetime):
            when = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            if when < base.EARLIEST_START:
                code[i] = _EARLY
            elif when > latest:
                code[i] = _LATE
                late.append(when)
            else:
                code[i], ns[i] = _KEPT, (when - _EPOCH) // _US * 1000
    if texts:
        where = np.asarray(texts)
        parsed = pd.to_datetime(
            pd.Series([values[i] for i in texts]), utc=True, errors="coerce", format="ISO8601"
        )
        early = (parsed < pd.Timestamp(base.EARLIEST_START)).to_numpy()
        after = (parsed > pd.Timestamp(latest)).to_numpy()
        ok = parsed.notna().to_numpy() & ~early & ~after
        code[where[early]], code[where[after]], code[where[ok]] = _EARLY, _LATE, _KEPT
        # In range, so a nanosecond count cannot overflow (a year-2999 text could).
        ns[where[ok]] = pd.DatetimeIndex(parsed[ok]).as_unit("ns").asi8
        late += list(parsed[after])
    return ns, code, min(late, default=None)


def timed_points(parts: Iterable[Sequence[Record]], *, now: datetime | None = None) -> TimedPoints:
    """Keep the points with a usable time (step 1 of the module docstring).

    Parameters
    ----------
    parts : iterable of sequences of records
        One sequence per part of the recording (a GPX track or route; one for TCX
        and FIT). Parts are ordered by the time of their first kept point (a stable
        sort: ties keep the given order); a part without one adds no rows.
    now : datetime, optional
        Aware UTC "now" for the future limit; the clock when omitted.

    Returns
    -------
    TimedPoints
        The kept points as one frame and the counts of those left out.
    """
    latest = (now or datetime.now(UTC)) + base.FUTURE_SLACK
    frames: list[tuple[int, pd.DataFrame]] = []
    per_part: list[int] = []
    counts = np.zeros(5, dtype=np.int64)
    late: list[datetime] = []
    for records in parts:
        records = list(records)  # any iterable, read once
        # The times straight from the records: a frame column could turn them into
        # pandas values (NaT, Timestamps) first.
        times = [r.get("time") if isinstance(r, Mapping) else r[0] for r in records]
        frame = pd.DataFrame.from_records(cast(Any, records), columns=_COLUMNS)
        ns, code, first_late = _classify(times, latest)
        counts += np.bincount(code, minlength=5)
        late += [first_late] if first_late is not None else []
        kept = code == _KEPT
        per_part.append(int(kept.sum()))
        if kept.any():
            frame = frame.loc[kept].reset_index(drop=True)
            frame["time"] = pd.to_datetime(ns[kept], utc=True)
            frames.append((int(ns[kept][0]), frame))
    frames.sort(key=lambda pair: pair[0])
    if frames:
        joined = pd.concat([frame for _, frame in frames], ignore_index=True)
    else:
        joined = pd.DataFrame({column: pd.Series(dtype="float64") for column in _COLUMNS})
        joined["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    return TimedPoints(
        frame=joined,
        per_part=tuple(per_part),
        untimed=int(counts[_UNTIMED]),
        unreadable=int(counts[_UNREADABLE]),
        too_early=int(counts[_EARLY]),
        too_late=int(counts[_LATE]),
        first_too_late=min(late, default=None),
    )


def clean_stream(samples: pd.DataFrame, *, merge_same_time: bool = False) -> CleanStream:
    """Sanitise timed points into a stream (step 2 of the module docstring).

    Parameters
    ----------
    samples : pandas.DataFrame, shape (n, 10)
        Timed points, e.g. :attr:`TimedPoints.frame` or a slice of it.
    merge_same_time : bool
        Fold each run of consecutive points sharing a time into its first, filling
        its missing values from the others (FIT: Strava writes position and distance
        in separate records). Otherwise ``sanitise`` drops the repeats.

    Returns
    -------
    CleanStream
    """
    merged = 0
    if merge_same_time:
        run = (samples["time"] != samples["time"].shift()).cumsum()
        folded = samples.groupby(run, sort=False).first().reset_index(drop=True)
        merged, samples = len(samples) - len(folded), folded
    frame, warnings = sanitise(samples)
    return CleanStream(frame=frame, merged=merged, warnings=warnings)


def build_stream(
    parts: Iterable[Sequence[Record]], *, merge_same_time: bool = False, now: datetime | None = None
) -> Stream:
    """Records in, clean stream out: :func:`timed_points` then :func:`clean_stream`."""
    timed = timed_points(parts, now=now)
    return Stream(timed=timed, clean=clean_stream(timed.frame, merge_same_time=merge_same_time))


def has_duration(frame: pd.DataFrame) -> bool:
    """True when a clean stream has at least two points spanning one second or more."""
    times = frame["time"]
    return len(frame) >= 2 and (times.iloc[-1] - times.iloc[0]) >= pd.Timedelta(seconds=1)


def require_duration(frame: pd.DataFrame) -> None:
    """Raise ``ImportFormatError("no_times")`` unless :func:`has_duration`."""
    if not has_duration(frame):
        first = frame["time"].iloc[0].isoformat() if len(frame) else "no time"
        raise base.ImportFormatError(
            "no_times",
            f"the points' times do not span a second (first: {first}): the device recorded "
            "no usable clock, so there is no duration to import",
        )


def cardio_workout(
    frame: pd.DataFrame,
    *,
    sport: base.Sport,
    sport_label: str | None,
    title: str,
    zone: ZoneInfo,
    line: int,
    warnings: list[str],
    device: dict[str, float] | None = None,
    source_id: str | None = None,
    notes: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> base.ParsedWorkout:
    """Wrap a clean stream as a workout (step 3 of the module docstring).

    ``started_at``/``ended_at`` default to the stream's first and last times (UTC);
    the session's elapsed time and distance are ``summarise``'s, or the
    ``device``'s own when the stream has fewer than two points. The label is kept
    stripped, at most 64 characters.
    """
    times = frame["time"]
    if started_at is None:
        started_at = times.iloc[0].as_unit("us", round_ok=True).to_pydatetime()
    if ended_at is None:
        ended_at = times.iloc[-1].as_unit("us", round_ok=True).to_pydatetime()
    device = device or {}
    summary = summarise(frame, sport=sport) if len(frame) >= 2 else None
    session = base.CardioSession(
        sport=sport,
        sport_label=(sport_label or "").strip()[:64] or None,
        samples=frame,
        device=device,
        warnings=warnings,
        elapsed_s=summary["elapsed_s"] if summary else device.get("elapsed_s"),
        distance_m=summary["distance_m"] if summary else device.get("distance_m"),
    )
    return base.ParsedWorkout(
        line=line,
        started_at=started_at,
        local_start=started_at.astimezone(zone).replace(tzinfo=None),
        time_zone=zone.key,
        title=title,
        ended_at=ended_at,
        notes=notes,
        cardio=session,
        source_id=source_id,
    )
