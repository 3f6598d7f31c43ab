"""Reading uploaded XML (GPX, TCX) without trusting it.

Two independent guards (belt and braces):

1. :func:`refuse_declarations` looks at the raw bytes before any XML parser does
   and refuses a document containing ``<!DOCTYPE`` or ``<!ENTITY`` anywhere
   (case-insensitive, also in UTF-16/32, where NUL bytes separate the letters).
   No activity format needs a DTD, and a DTD is what entity expansion ("billion
   laughs") and external entities (local files, network fetches) need.
   A comment that merely mentions ``<!DOCTYPE`` is refused too: a false alarm is cheap.
2. :func:`parse_xml` then parses with :mod:`defusedxml.ElementTree`, which refuses
   DTDs, entities and external references itself.

A document that is not well-formed, or nests elements deeper than
:data:`MAX_DEPTH` (TCX needs 8 levels; deeper only serves to exhaust the recursion of
whatever walks the tree), gives ``ImportFormatError("malformed")`` naming line,
column and byte offset.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET
import numpy as np

from pipelines.imports.parsers.base import ImportFormatError

MAX_DEPTH = 64
"""Deepest element nesting accepted."""

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class _TooDeep(Exception):
    pass


class _Builder(ET.TreeBuilder):
    """A tree builder that refuses nesting deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag: Any, attrs: Any) -> ET.Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep
        return super().start(tag, attrs)

    def end(self, tag: Any) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def refuse_declarations(data: bytes) -> None:
    """Raise ``unsafe_xml`` if the bytes contain a ``<!DOCTYPE`` or ``<!ENTITY`` declaration.

    Raises
    ------
    ImportFormatError
        ``unsafe_xml``, naming the declaration and its byte offset in the file.
    """
    if b"\x00" in data:
        # UTF-16/32 (with or without a BOM): look at the bytes with the NULs removed and
        # map the hit back to its offset in the file.
        kept = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) != 0)
        match = _DECLARATION.search(data.replace(b"\x00", b""))
        offset = int(kept[match.start()]) if match else -1
    else:
        match = _DECLARATION.search(data)
        offset = match.start() if match else -1
    if match is not None:
        kind = match.group(1).decode("ascii").upper()
        raise ImportFormatError(
            "unsafe_xml",
            f"the file contains a <!{kind} declaration at byte offset {offset:,}; "
            "activity files never need one, and it can make an XML parser read other "
            "files or expand text without limit, so the file was not read",
        )


def parse_xml(data: bytes, *, root: str | None = None) -> ET.Element:
    """Parse an uploaded XML document safely and return its root element.

    Parameters
    ----------
    data : bytes
        The whole file, in the encoding its XML declaration or BOM names (UTF-8 default).
    root : str, optional
        The local name the root element must have (``"gpx"``), if any.

    Raises
    ------
    ImportFormatError
        ``empty_file``; ``unsafe_xml`` (see :func:`refuse_declarations`; also when
        defusedxml finds something the byte check did not); ``malformed`` when the
        document is not well-formed XML (line, column, byte offset);
        ``unsupported_format`` when the root is not ``root``.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        raise ImportFormatError("empty_file", "the file is empty")
    refuse_declarations(data)
    parser = DET.DefusedXMLParser(
        target=_Builder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    expat = getattr(parser, "parser", None)
    try:
        parser.feed(data)
        element = parser.close()
    except _TooDeep:
        line = getattr(expat, "CurrentLineNumber", 0)
        offset = getattr(expat, "CurrentByteIndex", -1)
        raise ImportFormatError(
            "malformed",
            f"elements are nested more than {MAX_DEPTH} deep at line {line:,} "
            f"(byte offset {offset:,}); no activity file needs that",
        ) from None
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden) as exc:
        raise ImportFormatError("unsafe_xml", f"the file declares a DTD or entity: {exc}") from None
    except defusedxml.DefusedXmlException as exc:
        raise ImportFormatError("unsafe_xml", f"the file refers to outside data: {exc}") from None
    except ET.ParseError as exc:
        line, column = exc.position
        offset = getattr(expat, "ErrorByteIndex", -1)
        where = f"line {line:,}, column {column + 1:,}"
        if offset >= 0:
            where += f" (byte offset {offset:,} of {len(data):,})"
        reason = str(exc).split(":")[0]
        hint = " — the file looks cut off" if offset >= len(data) - 1 else ""
        raise ImportFormatError(
            "malformed", f"the file is not well-formed XML: {reason} at {where}{hint}"
        ) from None
    if root is not None and local_name(element.tag) != root:
        raise ImportFormatError(
            "unsupported_format", f"the XML root is <{local_name(element.tag)}>, not <{root}>"
        )
    return element


def local_name(tag: object) -> str:
    """``"{namespace}Trackpoint"`` → ``"Trackpoint"`` (also a prefixed or plain name)."""
    return str(tag).rsplit("}", 1)[-1].rsplit(":", 1)[-1]
