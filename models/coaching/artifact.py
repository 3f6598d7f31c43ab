"""A coach's artifact: the skops bytes stored in ``model_versions.artifact`` and their hash.

A stored artifact is read back only when it is exactly what was written (its SHA-256
matches the one recorded beside it) and when every type it would build is on
:data:`ALLOWED_TYPES`: skops never runs arbitrary code on load, but without a list it
would still build any scikit-learn or numpy object it trusts by default, and a coach
holds only a handful of them. Pure: bytes in, a dict out.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import skops.io as sio

#: What an artifact holds: a plain dict of fitted scikit-learn objects, arrays and numbers
#: (the same alias as ``models.coaching.estimator.Coach``).
Coach = dict[str, Any]

#: Every type (``module.qualname`` as skops records it) a coach artifact may contain. A
#: dict holding fitted ``HistGradientBoostingRegressor``s (``squared_error`` and
#: ``quantile`` loss, early stopping on or off), numpy arrays and scalars, and plain
#: str/int/float/bool/None values, lists, tuples and dicts — found by listing the types of
#: such an artifact (see the unit tests, which rebuild this list from one). Anything else,
#: even a type skops trusts by default such as another estimator, is refused.
ALLOWED_TYPES: tuple[str, ...] = (
    "builtins.NoneType",
    "builtins.bool",
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "numpy.bool_",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int32",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.random._generator.Generator",
    "numpy.uint8",
    "numpy.uint32",
    "numpy.uint64",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss._loss.CyPinballLoss",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.PinballLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

_ALLOWED = frozenset(ALLOWED_TYPES)


class ArtifactRefused(ValueError):
    """The artifact is not loaded: its hash differs from the recorded one, it is not a
    skops file, or it holds a type that is not on :data:`ALLOWED_TYPES` (named)."""


def sha256_of(blob: bytes) -> str:
    """The lowercase hex SHA-256 of ``blob`` (64 characters)."""
    return hashlib.sha256(blob).hexdigest()


def dumps(coach: Coach) -> tuple[bytes, str]:
    """``coach`` as skops bytes, and their SHA-256 (hex) to store beside them."""
    blob = sio.dumps(coach)
    return blob, sha256_of(blob)


def types_in(blob: bytes) -> list[str]:
    """Every type (``module.qualname``) the skops file ``blob`` would build, sorted.

    Read from the file's schema, plus whatever :func:`skops.io.get_untrusted_types`
    names; :class:`ArtifactRefused` when ``blob`` is not a skops file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            schema = json.loads(archive.read("schema.json"))
        untrusted = sio.get_untrusted_types(data=blob)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ArtifactRefused(f"the artifact is not a readable skops file: {exc}") from exc
    return sorted(set(_schema_types(schema)) | set(untrusted))


def loads(blob: bytes, sha256: str) -> Coach:
    """The coach stored as ``blob``, after checking it against ``sha256`` and the allow-list.

    Raises :class:`ArtifactRefused` when the hash differs (a changed or truncated blob),
    when ``blob`` is not a skops file, when it holds a type outside :data:`ALLOWED_TYPES`
    (the message names them) or when it does not hold a dict.
    """
    actual = sha256_of(blob)
    if actual != sha256.lower():
        raise ArtifactRefused(
            f"artifact refused: its sha256 is {actual}, the registry recorded {sha256}"
        )
    foreign = [name for name in types_in(blob) if name not in _ALLOWED]
    if foreign:
        raise ArtifactRefused(
            "artifact refused: it holds types that are not on the allow-list: " + ", ".join(foreign)
        )
    try:
        # The types were checked above; skops checks again against the same list.
        coach = sio.loads(blob, trusted=list(ALLOWED_TYPES))
    except Exception as exc:  # skops raises several kinds on a malformed file
        raise ArtifactRefused(f"artifact refused: skops could not load it: {exc}") from exc
    if not isinstance(coach, dict):
        raise ArtifactRefused(f"artifact refused: it holds a {type(coach).__name__}, not a dict")
    return coach


def _schema_types(node: Any) -> Iterator[str]:
    """The ``module.class`` of every node of a skops schema (a nested JSON document)."""
    if isinstance(node, dict):
        if isinstance(node.get("__module__"), str) and isinstance(node.get("__class__"), str):
            yield f"{node['__module__']}.{node['__class__']}"
        for value in node.values():
            yield from _schema_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_types(value)
