"""The one format detector: what a file is, from its first bytes.

Used twice with the same answer: by the upload check (``POST /v1/imports`` refuses a
file that is plainly not importable with 415 and a reason, before a job is queued) and
by the worker, which picks the parser by it for the file and for each member of an
archive. The full parse (and every row-level check) happens in the worker; a file
whose header fits a layout but whose body does not is reported there.

Binary signatures first (gzip, zip, FIT), then the root element of an XML document
(GPX, TCX), then the CSV layouts of :mod:`api.imports.layouts` in their order: by
header names, then — for a header in another language — by a layout's column order
when the first data row fits it (a date, numbers where the weight and reps are).
"""

from __future__ import annotations

import csv
import io
import re

from api.imports.layouts import LAYOUTS, F, Layout, map_header, translated

HEAD_BYTES = 64 * 1024
SUPPORTED = "Strong, Hevy, FitNotes or GymBook CSV, GPX, TCX, FIT, or a .zip/.gz of them"

# Declaration, processing instructions, comments and a DOCTYPE (which the worker then
# refuses as unsafe, naming its offset) come before the root element.
_XML_ROOT = re.compile(
    r"^\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*"
    r"<(?:[\w.-]+:)?([\w.-]+)[\s/>]",
    re.DOTALL | re.IGNORECASE,
)
_XML_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_XML_FORMATS = {"gpx": "gpx", "TrainingCenterDatabase": "tcx"}
_FIRST_LINE = re.compile(r"[^\r\n]*")
"""Line 1, whatever the line ending (``\r\n``, ``\n``, or ``\r`` alone as old Mac tools wrote)."""
_NUMBER_LIKE = re.compile(r"\s*[+-]?(?:\d[\d.,'\u00a0\u202f ]*)?\s*")


def is_fit(head: bytes) -> bool:
    """True when ``head`` starts with a FIT file header (size 12 or 14, ``.FIT`` at byte 8)."""
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


def xml_root(head: bytes) -> str | None:
    """Local name of the root element at the start of ``head``, or None; never raises.

    ``head`` is the first bytes of a file (it may end anywhere). A BOM selects the
    encoding; the XML declaration, processing instructions and comments are skipped.
    """
    encoding = "utf-8"
    for bom, name in _XML_BOMS:
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    match = _XML_ROOT.match(head[:4096].decode(encoding, errors="ignore"))
    return match.group(1) if match else None


def _decode_head(head: bytes) -> str | None:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The cut at HEAD_BYTES may split a multi-byte character; only that is forgiven.
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        return None


def _rows(text: str, delimiter: str) -> tuple[list[str], list[str] | None]:
    """The header and the first non-blank data row of ``text`` split by ``delimiter``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        names = next(reader, [])
        first = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error:
        return [], None
    return names, first


def _fits(layout: Layout, width: int, first: list[str] | None) -> bool:
    """Whether a translated header's first data row fits one of the layout's column orders."""
    if first is None or len(first) != width:
        return False
    for order in layout.positional:
        if len(order) != width:
            continue
        index = map_header(layout, order).index
        cell = {key: first[i] for key, i in index.items()}
        if len(re.findall(r"\d+", cell[F.DATE])) < 3:
            continue
        if F.WORKOUT_NO in cell and not cell[F.WORKOUT_NO].strip().isdigit():
            continue
        if all(_NUMBER_LIKE.fullmatch(cell[key]) for key in (F.WEIGHT, F.REPS)):
            return True
    return False


def csv_layout(text: str) -> str | None:
    """The name of the CSV layout whose header starts ``text``, else None; never raises."""
    first_line = _FIRST_LINE.match(text).group()  # type: ignore[union-attr]
    for layout in LAYOUTS.values():
        for delimiter in layout.delimiters:
            try:
                names = next(csv.reader([first_line], delimiter=delimiter), [])
            except csv.Error:
                continue
            if not map_header(layout, names).problems:
                return layout.name
    for layout in LAYOUTS.values():
        for delimiter in layout.delimiters:
            names, first = _rows(text, delimiter)
            if names and translated(layout, names) and _fits(layout, len(names), first):
                return layout.name
    return None


def detect_format(content: bytes) -> str | tuple[str, str]:
    """The format of a file from its first :data:`HEAD_BYTES`.

    Returns
    -------
    str or tuple of str
        ``"gzip"``, ``"zip"``, ``"fit"``, ``"gpx"``, ``"tcx"`` or a layout name
        (``"strong"``, ``"hevy"``, ``"fitnotes"``, ``"gymbook"``); or ``(code, message)``
        saying why it is refused: ``empty_file``, ``binary_file``, ``encoding`` or
        ``unsupported_format``.
    """
    if not content.strip():
        return ("empty_file", "the file is empty")
    head = content[:HEAD_BYTES]
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if is_fit(head):
        return "fit"
    root = xml_root(head)
    if root is not None:
        if root in _XML_FORMATS:
            return _XML_FORMATS[root]
        return ("unsupported_format", f"an XML file that is neither GPX nor TCX ({SUPPORTED})")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return ("encoding", "the file is UTF-16 text; export it again as UTF-8 CSV")
    if b"\x00" in head:
        return ("binary_file", f"the file is binary but not a FIT or archive ({SUPPORTED})")
    text = _decode_head(head)
    if text is None:
        return ("encoding", "the file is not UTF-8 text")
    if text.lstrip().startswith("<"):
        return ("unsupported_format", f"an XML file that is neither GPX nor TCX ({SUPPORTED})")
    layout = csv_layout(text)
    if layout is not None:
        return layout
    return ("unsupported_format", f"not a recognised export: expected {SUPPORTED}")
