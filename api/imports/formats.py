"""Upload-time detection: what can be told from the first bytes, before a job is queued.

The full parse (and every row-level check) happens in the import task; this only
refuses files that are plainly not importable, with 415 and a reason.
"""

from __future__ import annotations

import csv
import io
import re

HEAD_BYTES = 64 * 1024
_DATE_START = re.compile(r'^"?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}')


def _decode_head(head: bytes) -> str | None:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The cut at HEAD_BYTES may split a multi-byte character; only that is forgiven.
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        return None


_CSV_SIGNATURES = {
    "strong": {"date", "workout name", "exercise name", "set order"},
    "hevy": {"title", "start_time", "exercise_title", "set_index"},
    "fitnotes": {"date", "exercise", "category"},
    "gymbook": {"data", "programma", "esercizio"},
}
SUPPORTED = "Strong, Hevy, FitNotes or GymBook CSV, GPX, TCX, FIT, or a .zip/.gz of them"


def _binary_format(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT":
        return "fit"
    return None


def detect_format(content: bytes) -> str | tuple[str, str]:
    """The format name, or ``(code, message)`` saying why it is refused."""
    if not content.strip():
        return ("empty_file", "the file is empty")
    head = content[:HEAD_BYTES]
    binary = _binary_format(head)
    if binary is not None:
        return binary
    if b"\x00" in head:
        return ("binary_file", f"the file is binary but not a FIT or archive ({SUPPORTED})")
    text = _decode_head(head)
    if text is None:
        return ("encoding", "the file is not UTF-8 text")
    stripped = text.lstrip()
    if stripped.startswith("<"):
        if "<gpx" in stripped[:4096]:
            return "gpx"
        if "<TrainingCenterDatabase" in stripped[:4096]:
            return "tcx"
        return ("unsupported_format", f"an XML file that is neither GPX nor TCX ({SUPPORTED})")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    names = {h.strip().casefold() for h in header}
    for name, signature in _CSV_SIGNATURES.items():
        if signature <= names:
            return name
    if any(n.startswith("weight (") for n in names) and {"date", "exercise"} <= names:
        return "fitnotes"
    # A Strong export with a translated header keeps the classic 12 columns and RPE last.
    second = lines[1] if len(lines) > 1 else ""
    if len(header) == 12 and header[-1].strip() == "RPE" and _DATE_START.match(second):
        return "strong"
    return ("unsupported_format", f"not a recognised export: expected {SUPPORTED}")
