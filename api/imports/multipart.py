"""A streaming ``multipart/form-data`` reader for uploads: the file part goes to a sink.

Nothing is spooled: the request body is read from the ASGI stream in the pieces the
server hands over, parsed with python-multipart's push parser, and the file part's
bytes are passed on as they arrive. The whole body and the file are counted while
they stream, so an oversized upload is cut off as soon as it passes the cap, whether
or not it declared a Content-Length.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Protocol

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from api.schemas import check_text

ENVELOPE_BYTES = 64 * 1024
"""What a body may carry beyond the file: boundaries, part headers and the small fields."""
MAX_FIELD_BYTES = 1024


class UploadRefused(Exception):
    """The body breaks a limit or is not a form; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class FieldRefused(Exception):
    """One part of the form is not acceptable: ``name`` names it (``None``: it has no name)."""

    def __init__(self, name: str | None, message: str, *, kind: str = "value_error") -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.kind = kind


class FileSink(Protocol):
    """Where the file part's bytes go."""

    async def start(self, filename: str | None) -> None:
        """The file part begins (its headers are read)."""

    async def write(self, data: bytes) -> None:
        """The next bytes of the file."""


@dataclass
class UploadedForm:
    """What the form carried besides the file's bytes."""

    fields: dict[str, str] = field(default_factory=dict)
    has_file: bool = False
    file_bytes: int = 0


def boundary_of(content_type: str | None) -> bytes | None:
    """The boundary of a ``multipart/form-data`` content type, else ``None``."""
    if not content_type:
        return None
    media, options = parse_options_header(content_type)
    if media != b"multipart/form-data":
        return None
    return options.get(b"boundary") or None


def _disposition(raw: bytes) -> tuple[str | None, str | None]:
    _, options = parse_options_header(raw)
    name, filename = options.get(b"name"), options.get(b"filename")
    return (
        name.decode("utf-8", "replace") if name is not None else None,
        filename.decode("utf-8", "replace") if filename is not None else None,
    )


def _text_field(
    name: str | None,
    filename: str | None,
    file_field: str,
    field_names: Collection[str],
    seen: Collection[str],
) -> str:
    """The name of a text part about to be read, or :class:`FieldRefused` saying why not."""
    if name is None:
        raise FieldRefused(None, "a form part has no name")
    try:
        check_text(name)
    except ValueError as exc:
        raise FieldRefused(name, f"the field name {exc}") from exc
    if name == file_field:
        raise FieldRefused(name, "must be a file (a part with a filename)")
    if name not in field_names:
        expected = ", ".join(f"`{known}`" for known in (file_field, *field_names))
        raise FieldRefused(name, f"unknown form field; expected {expected}", kind="extra_forbidden")
    if filename is not None:
        raise FieldRefused(name, "must be a text field, not a file")
    if name in seen:
        raise FieldRefused(name, "is sent more than once")
    return name


class _Parts:
    """python-multipart callbacks turned into a list of events to replay asynchronously."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._disposition = b""

    def on_part_begin(self) -> None:
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_field).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        self.events.append(("begin", self._disposition))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))

    def on_part_end(self) -> None:
        self.events.append(("end", b""))


async def read_form(
    body: AsyncIterator[bytes],
    *,
    boundary: bytes,
    file_field: str,
    field_names: Collection[str],
    sink: FileSink,
    max_file_bytes: int,
) -> UploadedForm:
    """Stream ``body`` through the parser; the ``file_field`` part goes to ``sink``.

    Other parts are read as short text fields (at most :data:`MAX_FIELD_BYTES` each),
    decoded as UTF-8, strictly. Raises :class:`UploadRefused` (``too_large`` or
    ``malformed``) the moment a limit is passed or the body stops making sense; a later
    file part of the same name is refused too, so the stored file is exactly the one
    that was sent. Raises :class:`FieldRefused` for a part that is not one of
    ``field_names`` (or has no name, a name with control characters, a file where a
    text is expected), is sent twice, or whose value is not UTF-8: nothing is ignored.
    """
    parts = _Parts()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": parts.on_part_begin,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
        },
    )
    form = UploadedForm()
    max_body = max_file_bytes + ENVELOPE_BYTES
    received = 0
    in_file = False
    current: str | None = None  # the text field being read; None while in the file or skipping
    value = bytearray()
    too_large = f"the file is larger than the {max_file_bytes:,}-byte limit"
    async for chunk in body:
        received += len(chunk)
        if received > max_body:
            raise UploadRefused("too_large", too_large)
        try:
            parser.write(chunk)
        except FormParserError as exc:
            raise UploadRefused("malformed", f"the multipart body is malformed: {exc}") from exc
        events, parts.events = parts.events, []
        for kind, data in events:
            if kind == "begin":
                name, filename = _disposition(data)
                if name == file_field and filename is not None:
                    if form.has_file:
                        raise UploadRefused("malformed", f"more than one `{file_field}` part")
                    form.has_file = in_file = True
                    await sink.start(filename)
                else:
                    current = _text_field(name, filename, file_field, field_names, form.fields)
                    value.clear()
            elif kind == "data" and in_file:
                form.file_bytes += len(data)
                if form.file_bytes > max_file_bytes:
                    raise UploadRefused("too_large", too_large)
                await sink.write(data)
            elif kind == "data" and current is not None:
                value += data
                if len(value) > MAX_FIELD_BYTES:
                    raise UploadRefused("too_large", f"the form field `{current}` is too long")
            elif kind == "end":
                if current is not None:
                    try:
                        form.fields[current] = value.decode("utf-8")
                    except UnicodeDecodeError:
                        raise FieldRefused(current, "is not valid UTF-8") from None
                current, in_file = None, False
    # python-multipart's finalize() does not check that the closing boundary came, and a
    # file cut short must not be stored as if it were whole.
    if parser.state != MultipartState.END:
        raise UploadRefused("malformed", "the multipart body ends before its closing boundary")
    return form
