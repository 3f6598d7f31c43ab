"""``forma import FILE --email E``: an operator import with a progress bar and the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from api.imports.formats import detect_format
from pipelines.embedded import ensure_servers, stop_servers
from pipelines.imports.outcome import rejected_share


def _where(error: dict[str, Any]) -> str:
    """``line 12, Reps``; ``file`` for an error about a whole file of an archive."""
    where = f"line {error['line']}" if error.get("line") else "file"
    return where + (f", {error['column']}" if error.get("column") else "")


def _print_report(report: dict[str, Any], out: Any) -> None:
    counts = report["counts"] or {}
    print(f"status: {report['status']}", file=out)
    if report["message"]:
        print(f"message: {report['message']}", file=out)
    for key in ("rows", "workouts_created", "sets_created", "duplicates_skipped", "rows_rejected"):
        print(f"{key}: {counts.get(key, 0)}", file=out)
    errors = report["errors"] or []
    if report["status"] == "partial":
        share = rejected_share(counts.get("rows", 0), counts.get("rows_rejected", 0))
        print(f"partial: {share}; the first reasons:", file=out)
    for error in errors[:20]:
        print(f"  {_where(error)}: {error['code']}: {error['message']}", file=out)
    if len(errors) > 20:
        print(f"  … and {len(errors) - 20} more errors", file=out)
    for warning in (report["warnings"] or [])[:20]:
        print(f"  warning: {warning}", file=out)


def cmd_import(args: argparse.Namespace) -> int:
    """Import one file for a user, in this process.

    Exit 0 when workouts were stored, ``partial`` included (not a crash: the report
    says what share was rejected and why); 1 when the job failed; 2 when it could
    not start (unreadable file, unknown format, no such user).
    """
    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"forma: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    found = detect_format(content)
    if isinstance(found, tuple):
        print(f"forma: {path.name}: {found[1]}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=False)
    os.environ.update(env)
    try:
        from pipelines.db import transaction
        from pipelines.imports import store as store
        from pipelines.imports.task import run_import
        from pipelines.tasks.analytics import refresh_user

        with transaction() as conn:
            user_id = store.user_by_email(conn, args.email)
            if user_id is None:
                print(f"forma: no user with e-mail {args.email!r}", file=sys.stderr)
                return 2
            job_id = store.create_job(
                conn,
                user_id=user_id,
                filename=path.name,
                content=content,
                fmt=found,
                weight_unit=args.weight_unit,
                distance_unit=args.distance_unit,
                time_zone=args.time_zone,
                date_order=args.date_order,
            )
        with tqdm(
            total=100,
            desc=f"importing {path.name}",
            file=sys.stderr,
            bar_format="{l_bar}{bar}| {elapsed}",
        ) as bar:

            def advance(fraction: float) -> None:
                bar.update(max(0, round(fraction * 100) - bar.n))

            status = run_import(job_id, on_progress=advance)
            bar.update(100 - bar.n)
        with transaction() as conn:
            report = store.job_report(conn, job_id)
        _print_report(report, sys.stdout)
        if status in ("succeeded", "partial"):
            refresh_user(user_id)  # the operator sees fresh analytics at once
            return 0
        return 1
    finally:
        stop_servers(servers.handles)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("import", help="import a file for a user (operators)")
    parser.add_argument("file", help="Strong/Hevy/FitNotes/GymBook CSV, GPX, TCX, FIT, .zip, .gz")
    parser.add_argument("--email", required=True, help="the user's e-mail")
    parser.add_argument("--weight-unit", choices=["kg", "lb"], help="unit of bare weights")
    parser.add_argument("--distance-unit", choices=["m", "km", "mi"], help="unit of bare distances")
    parser.add_argument("--time-zone", help="IANA zone of zone-less times (default: the user's)")
    parser.add_argument(
        "--date-order",
        choices=["dmy", "mdy", "ymd"],
        help="how to read all-numeric dates that read more than one way (03/04/2025)",
    )
    parser.set_defaults(func=cmd_import)
