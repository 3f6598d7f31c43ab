"""``forma analytics rebuild [--user EMAIL] [--local]``: recompute derived analytics."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipelines.embedded import ensure_servers, stop_servers


def _workers_answer() -> bool:
    from pipelines.celery_app import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:  # a broker that is down is the same as no worker here
        return False


def _local(ids: list[Any], shard_size: int, out: Any) -> int:
    from pipelines.tasks.analytics import rebuild_users, start_rebuild

    rebuild_id, shards = start_rebuild(ids, shard_size)
    sets = 0
    with tqdm(total=len(ids), unit="athlete", file=out, desc="rebuild") as bar:
        for shard in shards:
            outcome = rebuild_users(shard, rebuild_id=rebuild_id)
            sets += outcome.sets
            bar.update(outcome.users)
    print(f"forma: rebuilt {len(ids)} athletes ({sets} sets) in this process", file=out)
    return 0


def _fanned_out(ids: list[Any], shard_size: int, out: Any) -> int:
    from pipelines.tasks.analytics import progress, rebuild_all

    rebuild_id = rebuild_all(shard_size)
    row = progress(rebuild_id) or {}
    with tqdm(
        total=row.get("users_total", len(ids)), unit="athlete", file=out, desc="rebuild"
    ) as bar:
        while True:
            row = progress(rebuild_id) or {}
            bar.n = int(row.get("users_done", 0))
            bar.refresh()
            if row.get("finished_at") is not None:
                break
            time.sleep(0.5)
    print(
        f"forma: rebuild {rebuild_id}: {row['users_done']} athletes, {row['sets_done']} sets, "
        f"{row['shards_done']} shards on the workers",
        file=out,
    )
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Recompute every derived analytics row (of one athlete with ``--user``)."""
    env = dict(os.environ)
    local = bool(args.local or args.user)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=not local)
    os.environ.update(env)
    try:
        from api.config import get_settings
        from pipelines.db import transaction
        from pipelines.store.analytics import user_ids

        with transaction() as conn:
            ids = user_ids(conn, args.user)
        if args.user and not ids:
            print(f"forma: no user with e-mail {args.user!r}", file=sys.stderr)
            return 2
        size = args.shard_size or get_settings().rebuild_shard_size
        if local:
            return _local(ids, size, sys.stdout)
        if not _workers_answer():
            print("forma: no worker answered; rebuilding in this process", file=sys.stdout)
            return _local(ids, size, sys.stdout)
        return _fanned_out(ids, size, sys.stdout)
    finally:
        stop_servers(servers.handles)


def add_parser(sub: Any) -> None:
    analytics = sub.add_parser("analytics", help="operator commands for derived analytics")
    commands = analytics.add_subparsers(dest="analytics_command", required=True)
    rebuild = commands.add_parser(
        "rebuild", help="recompute all derived analytics (fanned out over the workers)"
    )
    rebuild.add_argument("--user", metavar="EMAIL", help="only this athlete (in this process)")
    rebuild.add_argument(
        "--local", action="store_true", help="run the shards in this process, not on workers"
    )
    rebuild.add_argument(
        "--shard-size", type=int, help="athletes per shard (default FORMA_REBUILD_SHARD_SIZE, 250)"
    )
    rebuild.set_defaults(func=cmd_rebuild)
