"""The coach benchmark's pick of the highest closed-loop throughput under a p95 bound."""

from __future__ import annotations

from bench.coach_bench import best_under


def test_the_fastest_step_whose_p95_stays_under_the_bound_is_picked() -> None:
    # (clients, requests/s, p95 s): 16 clients serve most but miss the 200 ms bound
    points = [(1, 40.0, 0.030), (4, 120.0, 0.050), (8, 150.0, 0.120), (16, 160.0, 0.210)]
    assert best_under(points, 0.2) == (8, 150.0, 0.120)


def test_a_p95_equal_to_the_bound_is_not_under_it() -> None:
    assert best_under([(1, 40.0, 0.2)], 0.2) is None


def test_no_step_under_the_bound_gives_none() -> None:
    assert best_under([(1, 10.0, 0.5), (2, 12.0, 0.9)], 0.2) is None
    assert best_under([], 0.2) is None


def test_a_slower_step_later_does_not_replace_a_faster_one() -> None:
    points = [(8, 150.0, 0.10), (16, 140.0, 0.15)]
    assert best_under(points, 0.2) == (8, 150.0, 0.10)
