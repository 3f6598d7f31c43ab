"""``forma datasets list`` and ``forma datasets export NAME --to DIR``: the datasets, and a
snapshot of one written as hive-partitioned Parquet.

``export`` without ``--snapshot`` takes a new snapshot of the dataset (with ``--since``,
``--until``, ``--sample``, ``--columns`` as ``GET /v1/datasets/{name}`` takes them),
reading it in this process with a progress bar; with ``--snapshot ID`` it writes that
finished snapshot. The files are the snapshot's stored parts as they are:
``DIR/NAME/month=YYYY-MM/part-00000.parquet`` (the month only in the path, as DuckDB,
Polars, Spark and ``pyarrow.dataset`` read hive partitions), or ``DIR/NAME/part-00000.parquet``
for a dataset without a time column. An existing non-empty ``DIR/NAME`` is refused
unless ``--overwrite``; the files appear there only once all are written.

Exit codes: 0 written; 1 the snapshot failed; 2 a bad name, filter, snapshot or folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from pipelines.embedded import ensure_servers, stop_servers

#: ``created_by`` of the snapshots the command takes
CLI_ACTOR = "forma-cli"
#: the partition pyarrow, Spark and Hive read as a NULL month
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class CommandError(Exception):
    """A refusal to print (exit code 2)."""


def partition_dir(month: date | None, *, has_time_column: bool) -> str:
    """The folder of a part below ``DIR/NAME`` (empty: the dataset's own folder)."""
    if not has_time_column:
        return ""
    return f"month={month:%Y-%m}" if month is not None else f"month={NULL_PARTITION}"


def write_parts(snapshot: Mapping[str, Any], target: Path, out: TextIO) -> tuple[int, int]:
    """Write the finished snapshot's parts below ``target`` (created); returns (files,
    rows). The parts are numbered from 0 in each partition."""
    from api.datasets.catalogue import DATASETS
    from pipelines.db import transaction
    from pipelines.store import snapshots as store

    has_time = DATASETS[snapshot["dataset"]].time_column is not None
    with transaction() as conn:
        parts = store.parts(conn, snapshot["id"])
    target.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, int] = {}
    rows = 0
    with tqdm(total=len(parts), unit="file", file=out, desc="write") as bar:
        for part in parts:
            folder = partition_dir(part["month"], has_time_column=has_time)
            number = numbers.get(folder, 0)
            numbers[folder] = number + 1
            with transaction() as conn:
                data = store.part_data(conn, snapshot["id"], part["part"])
            where = target / folder if folder else target
            where.mkdir(parents=True, exist_ok=True)
            (where / f"part-{number:05d}.parquet").write_bytes(data)
            rows += int(part["row_count"])
            bar.update(1)
    return len(parts), rows


def take_snapshot(name: str, args: argparse.Namespace, out: TextIO) -> dict[str, Any]:
    """Queue a snapshot of dataset ``name`` with the command's filters and take it in
    this process behind a progress bar; its finished row (raises what failed it)."""
    from api.config import get_settings
    from api.datasets.pseudonyms import ensure_pseudonyms
    from api.datasets.query import get_dataset, parse_filters
    from pipelines.db import transaction
    from pipelines.store import snapshots as store
    from pipelines.tasks import datasets as tasks

    settings = get_settings()
    dataset = get_dataset(name)
    filters = parse_filters(
        dataset, args.since, args.until, args.sample, args.columns,
        allow_notes=settings.datasets_allow_notes,
    )  # fmt: skip
    with transaction() as conn:
        period = ensure_pseudonyms(conn, settings)
        snapshot_id = store.create(
            conn, dataset=dataset.name, filters=filters.as_json(), key_period=period,
            created_by=CLI_ACTOR,
        )  # fmt: skip
    print(f"forma: snapshot {snapshot_id} of {dataset.name}", file=out)
    with tqdm(total=0, unit="row", unit_scale=True, file=out, desc="snapshot") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            tasks.take(snapshot_id, progress=progress)
        except Exception:  # recorded as the snapshot's message, printed by the caller
            pass
    with transaction() as conn:
        row = store.get(conn, snapshot_id)
    assert row is not None
    return row


def _existing(snapshot_id: str, name: str) -> dict[str, Any]:
    from pipelines.db import transaction
    from pipelines.store import snapshots as store

    try:
        wanted = uuid.UUID(snapshot_id)
    except ValueError:
        raise CommandError(f"--snapshot {snapshot_id!r} is not a snapshot id") from None
    with transaction() as conn:
        row = store.get(conn, wanted)
    if row is None:
        raise CommandError(f"no snapshot {wanted}")
    if row["dataset"] != name:
        raise CommandError(f"snapshot {wanted} is of {row['dataset']}, not {name}")
    if row["status"] != "succeeded":
        raise CommandError(f"snapshot {wanted} is {row['status']}, not succeeded")
    return row


def _check_target(to: Path) -> None:
    """Refuse a ``--to`` that cannot hold the export before any snapshot is taken."""
    if to.exists() and not to.is_dir():
        raise CommandError(f"--to {to} is not a directory")
    parent = to if to.exists() else next((p for p in to.parents if p.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"--to {to}: cannot create files under {parent}")


def export(args: argparse.Namespace, out: TextIO) -> int:
    """``forma datasets export``: see the module's text."""
    from api.errors import FormaError

    destination = Path(args.to) / args.name
    _check_target(Path(args.to))
    if destination.exists() and any(destination.iterdir()) and not args.overwrite:
        raise CommandError(f"{destination} is not empty (--overwrite replaces it)")
    filtered = any(v is not None for v in (args.since, args.until, args.sample, args.columns))
    if args.snapshot and filtered:
        raise CommandError("--snapshot exports the snapshot as taken: no filters with it")
    try:
        if args.snapshot:
            snapshot = _existing(args.snapshot, args.name)
        else:
            snapshot = take_snapshot(args.name, args, out)
    except FormaError as exc:
        raise CommandError(exc.message) from None
    if snapshot["status"] != "succeeded":
        print(f"forma: snapshot {snapshot['id']} failed: {snapshot['message']}", file=out)
        return 1
    Path(args.to).mkdir(parents=True, exist_ok=True)
    # written beside the destination, then moved in: a reader never sees half an export
    staging = Path(tempfile.mkdtemp(prefix=f".{args.name}-", dir=args.to))
    try:
        files, rows = write_parts(snapshot, staging, out)
        if destination.exists():
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(
        f"forma: {rows} rows of {args.name} in {files} files under {destination} "
        f"(snapshot {snapshot['id']}, key period {snapshot['key_period']}, "
        f"as of {snapshot['taken_at']:%Y-%m-%d %H:%M:%S %Z})",
        file=out,
    )
    return 0


def list_datasets(out: TextIO) -> int:
    """``forma datasets list``: every dataset, then the latest snapshots."""
    from api.config import Settings
    from api.datasets.catalogue import DATASETS
    from pipelines.db import transaction
    from pipelines.store import snapshots as store

    allow_notes = Settings().datasets_allow_notes
    for dataset in DATASETS.values():
        time_column = dataset.time_column or "-"
        shown = len(dataset.visible(allow_notes))
        print(f"{dataset.name:<24} {shown:>3} columns  by {time_column:<12} "
              f"{dataset.description}", file=out)  # fmt: skip
    with transaction() as conn:
        latest = store.latest(conn, limit=20)
    if latest:
        print("\nlatest snapshots:", file=out)
    for row in latest:
        rows = "-" if row["row_count"] is None else str(row["row_count"])
        print(f"{row['id']}  {row['dataset']:<24} {row['status']:<9} {rows:>10} rows  "
              f"{row['created_at']:%Y-%m-%d %H:%M}  {row['created_by']}", file=out)  # fmt: skip
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=False)
    os.environ.update(env)
    try:
        if args.datasets_command == "list":
            return list_datasets(sys.stdout)
        return export(args, sys.stdout)
    except CommandError as exc:
        print(f"forma: {exc}", file=sys.stderr)
        return 2
    finally:
        stop_servers(servers.handles)


def add_parser(sub: Any) -> None:
    datasets = sub.add_parser(
        "datasets", help="the analysts' datasets: list, export as Parquet, read-only SQL"
    )
    commands = datasets.add_subparsers(dest="datasets_command", required=True)
    listing = commands.add_parser("list", help="the datasets and the latest snapshots")
    listing.set_defaults(func=cmd_datasets)
    export_ = commands.add_parser(
        "export", help="write a snapshot as hive-partitioned Parquet (DIR/NAME/month=YYYY-MM/)"
    )
    export_.add_argument("name", help="the dataset, e.g. sets")
    export_.add_argument("--to", required=True, metavar="DIR", help="the folder to write into")
    export_.add_argument(
        "--snapshot", metavar="ID", help="a finished snapshot (default: a new one)"
    )
    export_.add_argument("--since", metavar="YYYY-MM-DD", help="first day of the time column")
    export_.add_argument("--until", metavar="YYYY-MM-DD", help="last day of the time column")
    export_.add_argument("--sample", metavar="F", help="fraction of athletes, 0 < F ≤ 1")
    export_.add_argument("--columns", metavar="A,B", help="comma-separated columns")
    export_.add_argument("--overwrite", action="store_true", help="replace DIR/NAME")
    export_.set_defaults(func=cmd_datasets)
