"""``forma train NAME [--set key=value …] [--wait/--no-wait] [--local]``: train the coach.

Queues a run as ``POST /v1/models/{name}/train`` does, sends ``coaching.train`` to the
workers (or, with ``--local`` or when no worker answers, runs every step in this
process), then follows the run's progress with a bar until it finishes and prints the
outcome: the version, promoted or rejected and why, the metrics on the synthetic
hold-out and on the database's athletes.

Exit codes: 0 the run succeeded (its candidate promoted or rejected) or was queued with
``--no-wait``; 1 the run failed, or another run of the model is active; 2 a bad name or
``--set``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from pipelines.embedded import ensure_servers, stop_servers

_POLL_S = 0.5
_FINISHED = ("succeeded", "failed")
#: the order models are listed in: the new one, the one it must beat, the baselines
_ORDER = ("candidate", "champion", "persistence", "trend")


def _workers_answer() -> bool:
    from pipelines.celery_app import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:  # a broker that is down is the same as no worker here
        return False


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["key=value", …]`` → ``{"key": "value"}``; ValueError naming a malformed pair."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {pair!r}: expected key=value")
        overrides[key.strip()] = value.strip()
    return overrides


def _run(run_id: uuid.UUID) -> dict[str, Any]:
    from pipelines.db import transaction
    from pipelines.store import coaching as store

    with transaction() as conn:
        row = store.get_run(conn, run_id)
    assert row is not None, f"run {run_id} vanished"
    return row


def follow(run_id: uuid.UUID, out: TextIO, done: threading.Event | None = None) -> dict[str, Any]:
    """Show the run's progress as a bar until it succeeds or fails (or ``done`` is set
    and the run is no longer moving); returns its last row."""
    row = _run(run_id)
    with tqdm(total=100, unit="%", file=out, desc=row["status"]) as bar:
        while True:
            row = _run(run_id)
            bar.set_description(row["status"])
            bar.n = int(round(float(row["progress"]) * 100))
            bar.refresh()
            if row["status"] in _FINISHED or (done is not None and done.is_set()):
                break
            time.sleep(_POLL_S)
    return _run(run_id)


def _mae(figures: dict[str, Any], metric: str) -> str:
    entry = figures.get(metric) or {}
    value, low, high = entry.get("value"), entry.get("low"), entry.get("high")
    if value is None:
        return "—"
    unit = " kg" if metric.endswith("_kg") else " %"
    if low is None or high is None:
        return f"{value:.2f}{unit}"
    return f"{value:.2f}{unit} [{low:.2f}, {high:.2f}]"


def describe_metrics(metrics: dict[str, Any]) -> list[str]:
    """Lines of the version's metrics: per hold-out, each model's MAE and MAPE (95 %
    bootstrap interval in brackets)."""
    lines = []
    for where in ("synthetic", "database"):
        report = metrics.get(where) or {}
        models = report.get("models") or {}
        if not models:
            continue
        lines.append(
            f"{where}: {report.get('rows', '?')} forecasts of {report.get('athletes', '?')} "
            "athletes"
        )
        first = [m for m in _ORDER if m in models]
        for name in first + sorted(set(models) - set(first)):
            figures = models[name]
            lines.append(
                f"  {name:<12} MAE {_mae(figures, 'mae_kg')}   MAPE {_mae(figures, 'mape_pct')}"
            )
    return lines


def report(run: dict[str, Any], out: TextIO) -> int:
    """Print a finished run's outcome; returns the exit code (0 succeeded, 1 failed)."""
    from pipelines.db import transaction
    from pipelines.store import coaching as store

    if run["status"] != "succeeded":
        print(f"forma: run {run['id']} {run['status']}: {run['message'] or ''}", file=out)
        return 1
    with transaction() as conn:
        events = [
            e
            for e in store.events(conn, run["model_name"])
            if e["version"] == run["version"] and e["event"] in ("promoted", "rejected")
        ]
        metrics = conn.exec_driver_sql(
            "SELECT metrics FROM model_versions WHERE model_name = %(m)s AND version = %(v)s",
            {"m": run["model_name"], "v": run["version"]},
        ).scalar_one()
    verdict = events[-1] if events else {"event": "?", "reason": run["message"]}
    print(
        f"forma: {run['model_name']} version {run['version']} {verdict['event']}: "
        f"{verdict['reason']}",
        file=out,
    )
    for line in describe_metrics(metrics):
        print(f"forma: {line}", file=out)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Queue a training run, run it (on the workers or here) and follow it."""
    from models.coaching import MODEL_NAMES

    out = sys.stdout
    if args.name not in MODEL_NAMES:
        print(f"forma: unknown model {args.name!r} (known: {', '.join(MODEL_NAMES)})",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        overrides = parse_overrides(args.set or [])
    except ValueError as exc:
        print(f"forma: {exc}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    local = bool(args.local)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=not local)
    os.environ.update(env)
    try:
        from pipelines.store.coaching import RunActive
        from pipelines.tasks import coaching as tasks

        try:
            run_id = tasks.request_run(args.name, overrides, f"cli:{getpass.getuser()}")
        except ValueError as exc:
            print(f"forma: {exc}", file=sys.stderr)
            return 2
        except RunActive as exc:
            print(f"forma: a run of {args.name} is already active: {exc.run_id}", file=sys.stderr)
            return 1
        print(f"forma: training run {run_id} of {args.name} queued", file=out)
        if not local and not _workers_answer():
            print("forma: no worker answered; training in this process", file=out)
            local = True
        if not local:
            from pipelines.celery_app import publish

            if not publish(tasks.TRAIN, str(run_id)):
                tasks.fail_run(run_id, "the broker refused coaching.train")
                print("forma: the broker refused the run", file=sys.stderr)
                return 1
            if not args.wait:
                return 0
            try:
                return report(follow(run_id, out), out)
            except KeyboardInterrupt:
                print(f"forma: stopped following; run {run_id} goes on", file=out)
                return 0
        return _here(run_id, out)
    finally:
        stop_servers(servers.handles)


def _here(run_id: uuid.UUID, out: TextIO) -> int:
    """Run every step in a thread of this process while the bar follows it."""
    from pipelines.tasks import coaching as tasks

    done = threading.Event()

    def work() -> None:
        try:
            tasks.run_here(run_id)
        except Exception:
            pass  # the run is failed with the error's message; the report says it
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"train-{run_id}", daemon=True)
    worker.start()
    follow(run_id, out, done)
    worker.join()
    return report(_run(run_id), out)


def add_parser(sub: Any) -> None:
    train = sub.add_parser(
        "train", help="train a model of the coach (on the workers) and show the outcome"
    )
    train.add_argument("name", help="the model (next_e1rm)")
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a hyper-parameter (repeatable)",
    )
    train.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="follow the run to its outcome (default) or only queue it",
    )
    train.add_argument(
        "--local", action="store_true", help="run every step in this process, not on workers"
    )
    train.set_defaults(func=cmd_train)
