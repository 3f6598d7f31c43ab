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


def test_the_phases_of_a_training_run_are_read_from_the_worker_log() -> None:
    from bench.coach_bench import task_times

    log = "\n".join(
        [
            "[2026-12-04 21:02:43,628: INFO/MainProcess] Task coaching.train[c5] received",
            "[2026-12-04 21:02:53,430: INFO/ForkPoolWorker-1] Task coaching.train[c5] "
            "succeeded in 9.8s: 'e5'",
            "[2026-12-04 21:03:00,000: INFO/MainProcess] Task coaching.features_shard[d8] received",
            "[2026-12-04 21:07:26,544: INFO/MainProcess] Task coaching.fit[fd] received",
            "[2026-12-04 21:12:40,468: INFO/ForkPoolWorker-2] Task coaching.fit[fd] "
            "succeeded in 313.9s: 1",
        ]
    )
    times = task_times(log)
    assert times["plan_s"] == 9.8
    assert times["fit_task_s"] == 313.9
    # 21:02:43.628 → 21:07:26.544 UTC: 4 min 42.916 s between train received and fit received
    assert round(times["fit_at"] - times["train_at"], 3) == 282.916
    assert times["train_at"] == 1796418163.628  # 2026-12-04 21:02:43.628 UTC, epoch seconds
