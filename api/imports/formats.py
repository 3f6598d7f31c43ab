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
_STRONG_COLUMNS = {"date", "workout name", "exercise name", "set order"}


def _decode_head(head: bytes) -> str | None:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The cut at HEAD_BYTES may split a multi-byte character; only that is forgiven.
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        return None


def detect_format(content: bytes) -> str | tuple[str, str]:
    """The format name (``"strong"``), or ``(code, message)`` saying why it is refused."""
    if not content.strip():
        return ("empty_file", "the file is empty")
    head = content[:HEAD_BYTES]
    if b"\x00" in head:
        return (
            "binary_file",
            "the file is binary, not a CSV export (NUL byte in the first 64 KiB)",
        )
    text = _decode_head(head)
    if text is None:
        return ("encoding", "the file is not UTF-8 text")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    names = {h.strip().casefold() for h in header}
    if _STRONG_COLUMNS <= names:
        return "strong"
    # A Strong export with a translated header keeps the classic 12 columns and RPE last.
    second = lines[1] if len(lines) > 1 else ""
    if len(header) == 12 and header[-1].strip() == "RPE" and _DATE_START.match(second):
        return "strong"
    return (
        "unsupported_format",
        "not a recognised export: expected a Strong CSV whose header has "
        "Date, Workout Name, Exercise Name and Set Order",
    )
