"""``forma train``'s arguments and how it prints a version's metrics."""

from __future__ import annotations

import pytest

from pipelines.cli import build_parser
from pipelines.train_command import describe_metrics, parse_overrides


def test_overrides_parse_key_value_pairs_and_name_a_bad_one() -> None:
    assert parse_overrides(["max_iter=1", " learning_rate = 0.5 ", "seed=3=4"]) == {
        "max_iter": "1", "learning_rate": "0.5", "seed": "3=4"
    }  # fmt: skip
    with pytest.raises(ValueError, match="'max_iter'"):
        parse_overrides(["max_iter"])
    with pytest.raises(ValueError, match="'=1'"):
        parse_overrides(["=1"])


def test_the_parser_knows_train_and_its_options() -> None:
    args = build_parser().parse_args(["train", "next_e1rm", "--set", "a=1", "--set", "b=2"])
    assert (args.name, args.set) == ("next_e1rm", ["a=1", "b=2"])
    assert (args.wait, args.local) == (True, False)
    args = build_parser().parse_args(["train", "next_e1rm", "--no-wait", "--local"])
    assert (args.set, args.wait, args.local) == (None, False, True)


def test_metrics_lines_list_the_candidate_first_with_intervals() -> None:
    figure = {"value": 4.0919, "low": 3.5, "high": 4.75}
    percent = {"value": 4.5, "low": None, "high": None}
    metrics = {
        "synthetic": {
            "rows": 10,
            "athletes": 2,
            "models": {
                "trend": {"mae_kg": figure, "mape_pct": percent},
                "candidate": {"mae_kg": figure, "mape_pct": percent},
            },
        },
        "database": None,
    }
    assert describe_metrics(metrics) == [
        "synthetic: 10 forecasts of 2 athletes",
        "  candidate    MAE 4.09 kg [3.50, 4.75]   MAPE 4.50 %",
        "  trend        MAE 4.09 kg [3.50, 4.75]   MAPE 4.50 %",
    ]
