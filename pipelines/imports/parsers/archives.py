"""Uploaded archives (``.zip``, ``.gz``) opened in memory into the files they hold.

Nothing is written to disk, so a member name cannot escape anywhere; names are
still checked, and one with ``..`` or an absolute path refuses the archive. The
kind is told by magic bytes (``1f 8b`` gzip, ``PK\\x03\\x04`` zip), not by name.
One level of nesting is opened (a Strava bulk export is a zip of
``activities/*.fit.gz``, a Garmin export holds zips in a zip); deeper is refused.

Decompression is streamed in chunks against one byte budget for the whole upload,
so a compression bomb stops at the cap, never after filling memory: the budget
is ``max_total_bytes``, or ``max_ratio`` times the upload's size when that is
smaller (below :data:`RATIO_FLOOR` the ratio is not applied). Zip headers can
lie: a member's declared size is checked before it is read, and the bytes
actually produced are counted while streaming and compared with it afterwards.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Protocol

from pipelines.imports.parsers.base import ImportFormatError

MAX_TOTAL_BYTES = 512 * 1024 * 1024
"""All files of one upload together, decompressed. Uploads are capped at 64 MiB;
FIT gzips about 1.3–2.4× and CSV/GPX/TCX 5–28× (the real files), so an honest
64 MiB upload stays well under this."""
MAX_FILES = 2000
"""Files in one upload: a large Strava export, not a tree of junk."""
MAX_RATIO = 100.0
"""Decompressed ÷ uploaded bytes. The most compressible real export (GymBook CSV)
is 28×; deflate on zeros reaches 1,000×."""
RATIO_FLOOR = 16 * 1024 * 1024
"""Outputs up to this size are never refused for their ratio (tiny repetitive files)."""
CHUNK = 1024 * 1024
"""Decompression step; the cap can be overshot by at most this much."""

_GZIP = b"\x1f\x8b"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or the end record of an empty zip


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _is_archive(data: bytes) -> bool:
    return data.startswith(_GZIP) or data.startswith(_ZIP)


class _Budget:
    """Bytes still allowed for the whole upload; says which cap was hit."""

    def __init__(self, upload: int, max_total: int, max_ratio: float) -> None:
        by_ratio = max(int(max_ratio * upload), RATIO_FLOOR)
        self.left = min(max_total, by_ratio)
        self.limit = (
            f"the {max_total:,}-byte limit"
            if max_total <= by_ratio
            else f"{max_ratio:g} times the {upload:,}-byte upload (a compression bomb?)"
        )

    def refuse(self, what: str) -> ImportFormatError:
        return ImportFormatError("archive_too_large", f"{what} expands beyond {self.limit}")

    def read(self, stream: _Readable, what: str) -> bytes:
        """Everything ``stream`` gives, in chunks, refused as soon as it passes the budget."""
        parts: list[bytes] = []
        while chunk := stream.read(CHUNK):
            self.left -= len(chunk)
            if self.left < 0:
                raise self.refuse(what)
            parts.append(chunk)
        return b"".join(parts)


def _gunzip(data: bytes, name: str, budget: _Budget) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return budget.read(stream, name)
    except EOFError:
        raise ImportFormatError(
            "corrupt_archive", f"{name}: the gzip data is cut short (truncated file)"
        ) from None
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise ImportFormatError("corrupt_archive", f"{name}: damaged gzip data ({exc})") from None


def _safe_name(raw: str) -> str | None:
    """The member's path, None for entries to skip; refuses names that climb out."""
    name = raw.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and parts[0].endswith(":")) or ".." in parts:
        raise ImportFormatError(
            "corrupt_archive", f"refused: the archive names a file outside itself ({raw!r})"
        )
    if not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
        return None
    return "/".join(p for p in parts if p != ".")


def _unzip(data: bytes, label: str, budget: _Budget, max_files: int) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFormatError("corrupt_archive", f"{label}: not a readable zip ({exc})") from None
    with archive:
        members = []
        for info in archive.infolist():
            name = None if info.is_dir() else _safe_name(info.filename)
            if name is not None:
                members.append((name, info))
        if len(members) > max_files:
            raise ImportFormatError(
                "too_many_files",
                f"{label} holds {len(members):,} files; the limit is {max_files:,}",
            )
        for name, info in members:
            if info.file_size > budget.left:
                raise budget.refuse(f"{label}: {name} (declared {info.file_size:,} bytes)")
            try:
                with archive.open(info) as stream:
                    content = budget.read(stream, f"{label}: {name}")
            except ImportFormatError:
                raise
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise ImportFormatError(
                    "corrupt_archive", f"{label}: {name} is damaged ({exc})"
                ) from None
            except (NotImplementedError, RuntimeError) as exc:  # method, encryption
                raise ImportFormatError(
                    "corrupt_archive", f"{label}: {name} cannot be read ({exc})"
                ) from None
            if len(content) != info.file_size:
                raise ImportFormatError(
                    "corrupt_archive",
                    f"{label}: {name} declares {info.file_size:,} bytes but holds {len(content):,}",
                )
            yield name, content


def _strip_gz(name: str) -> str:
    for suffix in (".gz", ".gzip"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _open(
    data: bytes, name: str, budget: _Budget, max_files: int, depth: int
) -> list[tuple[str, bytes]]:
    """The files in ``data`` (an archive at nesting ``depth``, 1 = the upload itself)."""
    if depth > 2:
        raise ImportFormatError(
            "corrupt_archive",
            f"{name} is an archive inside an archive inside an archive; only one level "
            "of nesting is opened",
        )
    if data.startswith(_GZIP):
        inner = _gunzip(data, name, budget)
        inner_name = _strip_gz(name)
        if _is_archive(inner):
            return _open(inner, inner_name, budget, max_files, depth + 1)
        return [(inner_name, inner)]
    out: list[tuple[str, bytes]] = []
    for member, content in _unzip(data, name, budget, max_files):
        if _is_archive(content):
            out.extend(_open(content, member, budget, max_files, depth + 1))
        else:
            out.append((member, content))
        if len(out) > max_files:
            raise ImportFormatError(
                "too_many_files", f"{name} holds more than {max_files:,} files with its inner ones"
            )
    return out


def expand(
    data: bytes,
    *,
    name: str | None,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_files: int = MAX_FILES,
    max_ratio: float = MAX_RATIO,
) -> list[tuple[str, bytes]]:
    """The files of an upload: an archive's members, or the upload itself.

    Parameters
    ----------
    data : bytes
        The uploaded bytes.
    name : str, optional
        The upload's file name (only used to name what comes out).
    max_total_bytes, max_files, max_ratio
        Caps on the decompressed total, the number of files, and decompressed ÷
        uploaded size (not applied below :data:`RATIO_FLOOR`).

    Returns
    -------
    list of (str, bytes)
        ``(name, content)`` per file, in archive order: zip member paths (a
        gzipped member loses ``.gz``), or ``[(name, data)]`` for a non-archive.
        Directories, ``__MACOSX/`` and dotfiles are skipped.

    Raises
    ------
    ImportFormatError
        ``archive_too_large``, ``too_many_files``, ``corrupt_archive`` (damaged,
        sizes that lie, names outside the archive, nesting deeper than one
        level), ``empty_archive`` (no files, or only empty ones).
    """
    label = name or "upload"
    if not _is_archive(data):
        return [(label, data)]
    budget = _Budget(len(data), max_total_bytes, max_ratio)
    files = _open(data, label, budget, max_files, depth=1)
    if not any(content for _, content in files):
        raise ImportFormatError("empty_archive", f"{label} holds no files with any content")
    return files
