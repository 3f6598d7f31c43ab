"""Which parser reads an upload: archives expanded, each file detected by its content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.parsers import strong
from pipelines.parsers.base import (
    DistanceUnit,
    ImportFormatError,
    ParseResult,
    ProgressCallback,
    WeightUnit,
)


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """What the request and the profile say about zone-less times and unit-less values."""

    time_zone: str
    weight_unit: WeightUnit | None
    distance_unit: DistanceUnit | None


Parser = Callable[[bytes, ParseOptions, ProgressCallback | None], ParseResult]


def _strong(data: bytes, options: ParseOptions, progress: ProgressCallback | None) -> ParseResult:
    return strong.parse_strong(
        data,
        time_zone=options.time_zone,
        weight_unit=options.weight_unit,
        distance_unit=options.distance_unit,
        on_progress=progress,
    )


def detect(data: bytes) -> tuple[str, Parser]:
    """The format name and parser for one file; ``ImportFormatError`` when none fits."""
    head = data[:65536]
    if strong.sniff_strong(head):
        return "strong", _strong
    raise ImportFormatError("unsupported_format", "not a recognised export (Strong CSV expected)")


@dataclass(slots=True)
class FileResult:
    """One file of an upload: its name, and what parsing it gave or why it failed."""

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
    members = [(name or "upload", data)]
    if len(members) == 1:
        fmt, parser = detect(members[0][1])
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
