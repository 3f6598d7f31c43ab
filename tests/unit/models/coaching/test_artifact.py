"""The coach artifact: skops bytes and their hash, read back only when unchanged and made of
allowed types (``models.coaching.artifact``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from models.coaching.artifact import ALLOWED_TYPES, ArtifactRefused, dumps, loads, types_in
from models.coaching.estimator import Params, fit, predict
from models.coaching.features import FEATURES
from tests.support.coach_artifacts import examples, tiny_coach

HGBR = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor"


@dataclass
class Smuggled:
    """A class of no library: an artifact holding one must never be built."""

    payload: str = "x"


def test_dumps_returns_the_sha256_of_its_bytes() -> None:
    blob, digest = dumps(tiny_coach())
    assert digest == hashlib.sha256(blob).hexdigest() and len(digest) == 64


def test_round_trip_predicts_identically() -> None:
    coach = tiny_coach(seed=3)
    blob, digest = dumps(coach)
    loaded = loads(blob, digest)
    x, _ = examples(seed=9, rows=40)
    for name in ("point", "low", "high"):
        assert isinstance(loaded[name], HistGradientBoostingRegressor)
        np.testing.assert_array_equal(loaded[name].predict(x), coach[name].predict(x))
    plain = {k: v for k, v in coach.items() if k not in ("point", "low", "high", "offset_counts")}
    assert {k: loaded[k] for k in plain} == plain
    np.testing.assert_array_equal(loaded["offset_counts"], coach["offset_counts"])


def test_every_type_of_a_coach_is_allowed() -> None:
    # early stopping stores a validation split's state: a coach may be fitted with it too
    x, y = examples(rows=200)
    stopping = HistGradientBoostingRegressor(
        max_iter=30, early_stopping=True, n_iter_no_change=2, random_state=0
    ).fit(x, y)
    blob, _ = dumps({**tiny_coach(), "stopping": stopping, "tuple": (1, 2.5), "none": None})
    found = types_in(blob)
    assert HGBR in found
    assert set(found) <= set(ALLOWED_TYPES), sorted(set(found) - set(ALLOWED_TYPES))


def test_a_flipped_byte_is_refused_by_its_hash() -> None:
    blob, digest = dumps(tiny_coach())
    tampered = bytearray(blob)
    tampered[len(tampered) // 2] ^= 0x01
    with pytest.raises(ArtifactRefused, match="sha256"):
        loads(bytes(tampered), digest)


def test_a_truncated_artifact_is_refused_by_its_hash() -> None:
    blob, digest = dumps(tiny_coach())
    with pytest.raises(ArtifactRefused, match="sha256"):
        loads(blob[:-10], digest)


def test_a_foreign_estimator_with_a_matching_hash_is_refused_by_name() -> None:
    # skops trusts scikit-learn's estimators by default: the allow-list must not
    x, y = examples()
    foreign = LogisticRegression().fit(x, (y > 0).astype(int))
    assert sio.get_untrusted_types(data=sio.dumps(foreign)) == []
    blob, digest = dumps({**tiny_coach(), "point": foreign})
    with pytest.raises(ArtifactRefused) as refused:
        loads(blob, digest)
    assert "sklearn.linear_model._logistic.LogisticRegression" in str(refused.value)


def test_a_custom_class_with_a_matching_hash_is_refused_by_name() -> None:
    blob, digest = dumps({**tiny_coach(), "extra": Smuggled()})
    with pytest.raises(ArtifactRefused) as refused:
        loads(blob, digest)
    assert f"{__name__}.Smuggled" in str(refused.value)


def test_bytes_that_are_no_skops_file_are_refused() -> None:
    junk = b"not a zip file at all"
    with pytest.raises(ArtifactRefused, match="not a readable skops file"):
        loads(junk, hashlib.sha256(junk).hexdigest())


def test_an_artifact_holding_no_dict_is_refused() -> None:
    blob = sio.dumps([1, 2, 3])
    with pytest.raises(ArtifactRefused, match="not a dict"):
        loads(blob, hashlib.sha256(blob).hexdigest())


def test_refused_is_a_value_error() -> None:
    assert issubclass(ArtifactRefused, ValueError)


def _examples_for_fit(rows: int = 400) -> pd.DataFrame:
    """A seeded frame shaped like ``features.training_examples`` with a ``split`` column:
    12 athletes, every FEATURE column (some values missing), labels near the level."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=list(FEATURES))
    frame.iloc[::9, 0] = np.nan  # the model handles missing features: so must the artifact
    frame["user_id"] = [f"u{i % 12}" for i in range(rows)]
    frame["as_of"] = pd.date_range("2024-01-01", periods=rows, freq="D", tz="UTC")
    frame["level_kg"] = 100.0 + rng.normal(scale=5, size=rows)
    frame["label_e1rm_kg"] = frame["level_kg"] * np.exp(rng.normal(scale=0.02, size=rows))
    frame["split"] = np.where(np.arange(rows) < rows * 0.7, "train", "validation")
    return frame


def test_the_estimators_own_coach_is_allowed_and_round_trips() -> None:
    # the coach `models.coaching.estimator.fit` makes, not only the hand-made one above
    examples_ = _examples_for_fit()
    coach = fit(examples_, Params(max_iter=20))
    blob, digest = dumps(coach)
    assert set(types_in(blob)) <= set(ALLOWED_TYPES)
    loaded = loads(blob, digest)
    pd.testing.assert_frame_equal(predict(loaded, examples_), predict(coach, examples_))
