"""``forma evaluate [NAME] [--history FILE …]``: the coach against both baselines.

For the registry's champion and latest candidate (or, with an empty registry, a model
fitted here on the synthetic population's past), on the same hold-out rows: MAE (kg)
and MAPE (%) with 95 % bootstrap intervals, 80 % interval coverage, beside persistence
and the athlete's own trend — on the synthetic population's hold-out, on each real
history given as a file and on all of them pooled, by training age, and with the
training procedure re-run at several origins (rolling origin). Then how often athletes
followed the served prescriptions and how the followed ones turned out.

It says so where the model loses to "same as last time". Exit code 0, or 2 for a
file that cannot be read or an unknown model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
from tqdm import tqdm

from pipelines.embedded import ensure_servers, stop_servers

#: The issue's aims: on the synthetic population at most 0.8 × persistence's MAE, on
#: real histories below it. Measured and printed, never assumed.
SYNTHETIC_AIM = 0.8


def _fmt(metric: dict[str, float]) -> str:
    return f"{metric['value']:7.2f} [{metric['low']:.2f}–{metric['high']:.2f}]"


def _table(title: str, report: dict[str, Any], out: TextIO, aim: float | None = None) -> None:
    print(
        f"\n{title}: {_count(report['rows'], 'session')} of "
        f"{_count(report['athletes'], 'athlete')}",
        file=out,
    )
    print(f"  {'model':<22}{'MAE kg [95% CI]':<26}{'MAPE % [95% CI]':<26}80% coverage", file=out)
    coverage = report.get("coverage", {})
    for name, metrics in report["models"].items():
        cover = f"{coverage[name]:.0%}" if name in coverage else "—"
        print(
            f"  {name:<22}{_fmt(metrics['mae_kg']):<26}{_fmt(metrics['mape_pct']):<26}{cover}",
            file=out,
        )
    persistence = report["models"]["persistence"]["mae_kg"]["value"]
    for name, metrics in report["models"].items():
        if name in ("persistence", "trend"):
            continue
        ratio = metrics["mae_kg"]["value"] / persistence if persistence else float("nan")
        if ratio >= 1:
            verdict = 'loses to "same as last time" here'
        elif aim is not None:
            verdict = f"aim ≤ {aim:.1f}×: {'met' if ratio <= aim else 'not met'}"
        elif metrics["mae_kg"]["high"] >= persistence:
            verdict = "below persistence, but within the noise (its interval reaches it)"
        else:
            verdict = "beats persistence"
        print(f"  {name}: {ratio:.3f}× persistence's MAE — {verdict}", file=out)


def _coaches(conn: Any, name: str, out: TextIO) -> dict[str, Any]:
    from models.coaching import artifact
    from pipelines.store import registry

    found: dict[str, Any] = {}
    champion = registry.champion(conn, name)
    latest = registry.latest_version(conn, name)
    for label, row in (("champion", champion), ("latest", latest)):
        if row is None or (
            label == "latest" and champion and row["version"] == champion["version"]
        ):
            continue
        try:
            found[f"{label} v{row['version']}"] = artifact.loads(
                bytes(row["artifact"]), row["artifact_sha256"]
            )
        except artifact.ArtifactRefused as exc:
            print(f"forma: {label} v{row['version']} refused: {exc}", file=out)
    return found


def _feedback(conn: Any, name: str, out: TextIO) -> None:
    from pipelines.store import registry

    rows = registry.feedback_summary(conn, name)
    total = sum(r["answers"] for r in rows)
    print(f"\nfeedback on served prescriptions: {_count(total, 'answer')}", file=out)
    for r in rows:
        share = r["answers"] / total if total else 0.0
        line = f"  {r['outcome']:<20}{r['answers']:>6,} ({share:.0%})"
        if r["scored"]:
            line += (
                f"; next session's e1RM known for {r['scored']:,}: MAE {r['mae_kg']:.2f} kg, "
                f"inside the interval {r['coverage']:.0%}"
            )
        print(line, file=out)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _at_least_zero(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print the evaluation report (see the module docstring)."""
    from models.coaching import MODEL_NAMES, training
    from models.coaching.estimator import Params, fit
    from models.coaching.evaluation import split
    from models.coaching.features import training_examples
    from pipelines.coaching import synthetic
    from pipelines.coaching.histories import read_history
    from pipelines.imports.parsers.base import ImportFormatError

    out = sys.stdout
    if args.name not in MODEL_NAMES:
        print(
            f"forma: unknown model {args.name!r} (known: {', '.join(MODEL_NAMES)})", file=sys.stderr
        )
        return 2
    if args.json:
        target = Path(args.json)
        if not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
            print(f"forma: --json {args.json}: no writable folder {target.parent}", file=sys.stderr)
            return 2
    histories = []
    for path in args.history:
        try:
            history = read_history(
                Path(path),
                weight_unit=args.weight_unit,
                distance_unit=args.distance_unit,
                time_zone=args.time_zone,
            )
        except (OSError, ImportFormatError) as exc:
            # the parsers speak of the API's form fields; here they are options
            hint = str(exc).replace("pass weight_unit=kg|lb", "pass --weight-unit kg|lb")
            hint = hint.replace("pass distance_unit=m|km|mi", "pass --distance-unit m|km|mi")
            hint = hint.replace(" or set unit_system on the profile", "")
            print(f"forma: {path}: {hint}", file=sys.stderr)
            return 2
        histories.append(history)
    env = dict(os.environ)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=False)
    os.environ.update(env)
    report: dict[str, Any] = {"model": args.name}
    try:
        from pipelines.db import transaction

        with tqdm(total=4 + len(histories), desc="evaluate", unit="step", file=sys.stderr) as bar:
            with transaction() as conn:
                coaches = _coaches(conn, args.name, out)
            params = Params()
            examples = synthetic.examples()
            bar.update(1)
            if not coaches:
                print(
                    "forma: the registry has no trained model yet; a model fitted now on the "
                    "synthetic population's past stands in (`forma train next_e1rm` makes one)",
                    file=out,
                )
                coaches = {
                    "fitted now": fit(examples.assign(split=split(examples, params)), params)
                }
            frame = examples.assign(split=split(examples, params))
            report["synthetic"] = training.held_out(frame, coaches, seed=params.seed)
            bar.update(1)
            pooled = []
            report["real"] = {}
            for history in histories:
                found = training_examples(history.inputs)
                bar.update(1)
                if found.empty:
                    print(
                        f"forma: {history.name}: no exercise with two sessions to forecast",
                        file=out,
                    )
                    continue
                found = found.assign(split=split(found, params))
                scored = training.held_out(found, coaches, seed=params.seed)
                if scored is None:
                    print(f"forma: {history.name}: no session after the cut to score", file=out)
                if scored is not None:
                    report["real"][history.name] = scored
                    pooled.append(found)
            if len(pooled) > 1:
                report["real_pooled"] = training.held_out(
                    pd.concat(pooled, ignore_index=True), coaches, seed=params.seed
                )
            bar.update(1)
            report["rolling_origin"] = (
                training.rolling_origin(examples, params, origins=args.rolling)
                if args.rolling
                else []
            )
            bar.update(1)
        _print(report, out)
        with transaction() as conn:
            _feedback(conn, args.name, out)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2, default=str))
            print(f"\nforma: the full report (by exercise too) is in {args.json}", file=out)
        return 0
    finally:
        stop_servers(servers.handles)


def _print(report: dict[str, Any], out: TextIO) -> None:
    print(
        f"forma evaluate: {report['model']} — metrics on each hold-out, same rows per table",
        file=out,
    )
    _table("synthetic population, hold-out", report["synthetic"], out, SYNTHETIC_AIM)
    for band, part in report["synthetic"]["by_training_age"].items():
        persistence = part["models"]["persistence"]["mae_kg"]["value"]
        figures = ", ".join(f"{n} {m['mae_kg']['value']:.2f}" for n, m in part["models"].items())
        print(
            f"    {band} ({part['rows']:,} sessions): MAE kg {figures} "
            f"(persistence {persistence:.2f})",
            file=out,
        )
    for name, scored in report["real"].items():
        _table(f"real history {name}, hold-out", scored, out)
    if "real_pooled" in report:
        _table("all real histories pooled", report["real_pooled"], out)
    for origin in report["rolling_origin"]:
        models = origin["models"]
        print(
            f"\nrolling origin {origin['origin']} (refitted on the synthetic past, "
            f"{origin['rows']:,} sessions after): MAE kg candidate "
            f"{models['candidate']['mae_kg']['value']:.2f}, persistence "
            f"{models['persistence']['mae_kg']['value']:.2f}, trend "
            f"{models['trend']['mae_kg']['value']:.2f}",
            file=out,
        )


def add_parser(sub: Any) -> None:
    evaluate = sub.add_parser(
        "evaluate", help="the coach against both baselines, on synthetic and real histories"
    )
    evaluate.add_argument("name", nargs="?", default="next_e1rm", help="model (default next_e1rm)")
    evaluate.add_argument(
        "--history",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="real exports (Strong, Hevy, FitNotes, …)",
    )
    evaluate.add_argument("--weight-unit", choices=["kg", "lb"], help="for files without units")
    evaluate.add_argument(
        "--distance-unit", choices=["m", "km", "mi"], help="for files without units"
    )
    evaluate.add_argument(
        "--time-zone", default="UTC", help="zone of the files' times (default UTC)"
    )
    evaluate.add_argument(
        "--rolling",
        type=_at_least_zero,
        default=3,
        metavar="N",
        help="rolling-origin refits (default 3; 0: none)",
    )
    evaluate.add_argument("--json", metavar="PATH", help="also write the whole report as JSON")
    evaluate.set_defaults(func=cmd_evaluate)
