"""GPX 1.0/1.1 activity files (Garmin, Strava, GPSBabel …) read into one cardio workout.

The bytes pass :mod:`pipelines.imports.parsers.xmlsafe` first (no DTD or entity, parsed by
defusedxml); values gpxpy would choke on (``<ele>abc</ele>``, ``lat="x"``) are
blanked and counted, and the checked tree is handed to **gpxpy**.

* **One workout per file.** Every timed point of every track segment and route
  becomes one stream, tracks and routes ordered by their first time. A file holding several
  tracks (a GPS handheld's "ACTIVE LOG" plus saved copies) is one outing; waypoints
  are not part of the stream.
* **Times are UTC** (GPX 1.0 and 1.1 both say so; a time without a zone is read as
  UTC, one with an offset converted). The request's ``time_zone`` only names the
  zone the workout happened in, which sets its local day.
* **Untimed points.** No usable time on any point, fewer than 2, or all within one
  second (a device without a clock stamps 1901-12-13T20:45:52Z everywhere) →
  ``no_times``. When fewer than half the points have a time the timed ones do not
  describe the outing (the "no timestamps" hike keeps 5 of 296) → ``no_times`` too.
  Otherwise the timed points are imported and the untimed ones counted in a warning
  (a handheld's saved tracks carry no time but repeat the timed log's geometry).
* **Channels** from the usual extensions, by local name: Garmin TrackPointExtension
  ``hr``/``cad``/``atemp``/``wtemp``/``speed``, Cluetrust ``heartrate``/``cadence``/``temp``,
  ``power``/``watts`` (Strava, Garmin PowerExtension ``PowerInWatts``), ``distance``;
  GPX 1.0 ``<speed>``.
* **Sport** from the first ``<type>`` of a track or route (see :func:`.sports.sport_of`);
  the raw label is kept. **Title**: the name of the first track or route with timed
  points, else the file's name, else the sport.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import gpxpy
import gpxpy.gpx

from pipelines.imports.parsers import base, sports, streams, values
from pipelines.imports.parsers.xmlsafe import local_name, parse_xml

FORMAT = "gpx"

_POINTS = frozenset({"wpt", "trkpt", "rtept"})
_FLOATS = frozenset(
    {"ele", "magvar", "geoidheight", "hdop", "vdop", "pdop", "ageofdgpsdata", "course", "speed"}
)
_INTS = frozenset({"sat", "dgpsid", "number"})
_EXTENSION_CHANNELS = {
    **dict.fromkeys(["hr", "heartrate"], "hr"),
    **dict.fromkeys(["cad", "cadence", "runcadence"], "cadence"),
    **dict.fromkeys(["power", "watts", "powerinwatts"], "power_w"),
    **dict.fromkeys(["atemp", "wtemp", "temp", "temperature"], "temperature_c"),
    "speed": "speed_mps",
    "distance": "distance_m",
}
_TRACK_START = re.compile(rb"<(?:[\w.-]+:)?(?:trk|rte)[\s>/]")


def parse_gpx(
    data: bytes, *, time_zone: str, on_progress: base.ProgressCallback | None = None
) -> base.ParseResult:
    """Read a GPX file (``time_zone``: the IANA zone it happened in) into one workout.

    The zone sets the workout's local day (GPX times are UTC). ``rows`` counts the track
    and route points read; there are no row errors (per-point problems are sanitised and
    reported in ``cardio.warnings``). ``on_progress`` gets the fraction done (0–1).

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone``, ``empty_file``, ``unsafe_xml``, ``malformed``,
        ``unsupported_format`` (not GPX), ``no_points``, ``no_times``.
    """
    zone = values.load_zone(time_zone)
    root = parse_xml(data, root="gpx")
    problems = _blank_unreadable(root)
    label = next((t for t in _types(root) if t), None)
    if on_progress is not None:
        on_progress(0.3)
    try:
        gpx = gpxpy.parse(_serialise(root))
    except gpxpy.gpx.GPXException as exc:
        raise base.ImportFormatError("malformed", f"gpxpy cannot read the GPX: {exc}") from None
    if on_progress is not None:
        on_progress(0.6)
    parts: list[tuple[str | None, list[Any]]] = [
        (t.name, [p for s in t.segments for p in s.points]) for t in gpx.tracks
    ]
    parts += [(r.name, list(r.points)) for r in gpx.routes]
    rows = sum(len(points) for _, points in parts)
    if rows == 0:
        raise base.ImportFormatError("no_points", "the GPX file has no track or route points")
    stream = streams.build_stream([[_record(p) for p in points] for _, points in parts])
    timed = stream.timed.kept
    if timed < 2 or timed * 2 < rows:
        raise base.ImportFormatError(
            "no_times",
            f"only {timed:,} of the {rows:,} points have a usable time: there is no "
            "duration to import (record the activity with a clock, or export it again "
            "with times)",
        )
    streams.require_duration(stream.frame)
    title = next(
        (
            (name or "").strip()
            for (name, _), kept in zip(parts, stream.timed.per_part, strict=True)
            if kept and (name or "").strip()
        ),
        None,
    )
    notes = [
        f"the unreadable position of {count:,} point{'s' * (count != 1)} was removed"
        if what == "position"
        else f"{count:,} unreadable {what} value{'s were' if count != 1 else ' was'} removed"
        for what, count in problems.items()
    ]
    untimed = stream.timed.untimed + stream.timed.unreadable
    if untimed:
        has, was = ("has", "was") if untimed == 1 else ("have", "were")
        notes.append(
            f"{untimed:,} of the {rows:,} points {has} no readable time and {was} not imported"
        )
    outside = stream.timed.too_early + stream.timed.too_late
    if outside:
        point, was = ("point", "was") if outside == 1 else ("points", "were")
        notes.append(
            f"{outside:,} {point} dated before 1900 or more than a day ahead {was} not imported"
        )
    match = _TRACK_START.search(data)
    sport = sports.sport_of(label)
    workout = streams.cardio_workout(
        stream.frame,
        sport=sport,
        sport_label=label,
        title=title or (gpx.name or "").strip() or sports.SPORT_TITLES.get(sport, "Activity"),
        zone=zone,
        line=data.count(b"\n", 0, match.start()) + 1 if match else 1,
        warnings=[*notes, *stream.clean.warnings],
    )
    if on_progress is not None:
        on_progress(1.0)
    return base.ParseResult(format=FORMAT, rows=rows, workouts=[workout], errors=[])


def _record(point: Any) -> dict[str, Any]:
    """One stream record of a track or route point (see :mod:`.streams`); extension
    values stay text, so that sanitise counts unreadable ones."""
    row: dict[str, Any] = {
        "time": point.time,
        "lat": point.latitude,
        "lon": point.longitude,
        "ele_m": point.elevation,
        "speed_mps": getattr(point, "speed", None),  # GPX 1.0 track points only
    }
    for extension in point.extensions:
        for element in extension.iter():
            channel = _EXTENSION_CHANNELS.get(local_name(element.tag).lower())
            if channel is not None and row.get(channel) is None and element.text:
                row[channel] = element.text.strip()
    return row


def _types(root: ET.Element) -> list[str]:
    """``<type>`` texts of the tracks and routes in document order (gpxpy skips them in 1.0)."""
    return [
        (child.text or "").strip()
        for parent in root
        if local_name(parent.tag) in ("trk", "rte")
        for child in parent
        if local_name(child.tag) == "type"
    ]


def _number(text: str | None, kind: type = float) -> bool:
    if text is None or not text.strip():
        return True
    try:
        kind(text.strip())
    except ValueError:
        return False
    return True


def _blank_unreadable(root: ET.Element) -> Counter[str]:
    """Make the tree safe for gpxpy's float()/int() and count what had to be blanked.

    gpxpy rejects a whole file over one unreadable number; here an unreadable
    coordinate becomes NaN (the point loses its position), an unreadable elevation or
    speed NaN, other unreadable numbers (``hdop``, ``sat``, ``bounds`` …) are removed.
    """
    counts: Counter[str] = Counter()
    for parent in root.iter():
        kind = local_name(parent.tag)
        if kind in _POINTS:
            if not all(_number(parent.get(axis)) and parent.get(axis) for axis in ("lat", "lon")):
                parent.set("lat", "nan")
                parent.set("lon", "nan")
                if kind != "wpt":
                    counts["position"] += 1
        dropped = []
        for child in parent:
            name = local_name(child.tag)
            if kind in _POINTS and name in _FLOATS and not _number(child.text):
                if name in ("ele", "speed"):
                    child.text = "nan"
                    counts["elevation" if name == "ele" else "speed"] += 1
                else:
                    dropped.append(child)
            elif (
                kind in _POINTS | {"trk", "rte"} and name in _INTS and not _number(child.text, int)
            ):
                dropped.append(child)
            elif name == "bounds" and not all(_number(v) for v in child.attrib.values()):
                dropped.append(child)
        if dropped:  # rebuilt at once: removing one by one is quadratic in a long list
            gone = {id(child) for child in dropped}
            parent[:] = [child for child in parent if id(child) not in gone]
    return +counts


def _serialise(root: ET.Element) -> str:
    """The checked tree as text for gpxpy, GPX elements without a namespace.

    gpxpy strips the default ``xmlns`` and then looks for plain tag names; ElementTree
    cannot write a default namespace when attributes are unqualified (``lat``), so the
    GPX namespace is taken off the element names instead. Extensions keep theirs.
    """
    prefix = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else None
    if prefix:
        for element in root.iter():
            if element.tag.startswith(prefix):
                element.tag = element.tag[len(prefix) :]
    return ET.tostring(root, encoding="unicode")
