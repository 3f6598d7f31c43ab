"""Which parser reads an upload: archives expanded, each file detected by its content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.imports.formats import HEAD_BYTES, SUPPORTED, detect_format
from api.imports.layouts import LAYOUTS
from pipelines.imports.parsers import archives, csv_export, fit, gpx, tcx, xmlsafe
from pipelines.imports.parsers.base import (
    DistanceUnit,
    ImportFormatError,
    ParseResult,
    ProgressCallback,
    WeightUnit,
)
from pipelines.imports.parsers.dates import DateOrder


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """What the request and the profile say about zone-less times and unit-less values."""

    time_zone: str
    weight_unit: WeightUnit | None
    distance_unit: DistanceUnit | None
    date_order: DateOrder | None = None
    """How to read a file's dates when they read in more than one order."""


Parser = Callable[[bytes, ParseOptions, ProgressCallback | None], ParseResult]


def _csv(layout: str) -> Parser:
    def parse(data: bytes, options: ParseOptions, progress: ProgressCallback | None) -> ParseResult:
        return csv_export.parse_csv(
            data,
            layout=layout,
            time_zone=options.time_zone,
            weight_unit=options.weight_unit,
            distance_unit=options.distance_unit,
            date_order=options.date_order,
            on_progress=progress,
        )

    return parse


def _activity(parse_file: Callable[..., ParseResult]) -> Parser:
    def parse(data: bytes, options: ParseOptions, progress: ProgressCallback | None) -> ParseResult:
        return parse_file(data, time_zone=options.time_zone, on_progress=progress)

    return parse


_ACTIVITIES: dict[str, Callable[..., ParseResult]] = {
    "fit": fit.parse_fit,
    "gpx": gpx.parse_gpx,
    "tcx": tcx.parse_tcx,
}


def detect(data: bytes) -> tuple[str, Parser]:
    """The format name and parser for one file, by the upload check's own detector.

    Raises
    ------
    ImportFormatError
        With the detector's code (``unsupported_format``, ``empty_file``,
        ``binary_file``, ``encoding``), or ``unsafe_xml`` for XML with a DOCTYPE or
        entity (refused by name and byte offset before anything reads it).
    """
    head = data[:HEAD_BYTES]
    if head.lstrip()[:1] == b"<" or head.startswith(b"\xef\xbb\xbf<"):
        xmlsafe.refuse_declarations(data)
    found = detect_format(data)
    if isinstance(found, tuple):
        raise ImportFormatError(*found)
    if found in _ACTIVITIES:
        return found, _activity(_ACTIVITIES[found])
    if found in LAYOUTS:
        return found, _csv(found)
    raise ImportFormatError(
        "unsupported_format", f"a {found} archive inside an archive is not read ({SUPPORTED})"
    )


@dataclass(slots=True)
class FileResult:
    """One file of an upload: its name, and what parsing gave or why it failed."""

    name: str
    result: ParseResult | None = None
    error: ImportFormatError | None = None


def parse_upload(
    data: bytes,
    *,
    name: str | None,
    options: ParseOptions,
    on_progress: ProgressCallback | None = None,
) -> list[FileResult]:
    """Parse an upload: one file, or every file of a ``.zip``/``.gz`` archive.

    A single file that cannot be read raises ``ImportFormatError``; inside an
    archive each file's failure is reported on its own and the others still count.
    """
    members = archives.expand(data, name=name)
    if len(members) == 1:
        _, parser = detect(members[0][1])
        return [FileResult(members[0][0], parser(members[0][1], options, on_progress))]
    results = []
    for index, (member, content) in enumerate(members):

        def scaled(fraction: float, i: int = index) -> None:
            if on_progress is not None:
                on_progress((i + fraction) / len(members))

        try:
            _, parser = detect(content)
            results.append(FileResult(member, parser(content, options, scaled)))
        except ImportFormatError as exc:
            results.append(FileResult(member, error=exc))
    return results
