"""SIGKILL of each ``forma up`` child during a stream of writes.

One ``forma up`` runs for the module (its own database, queue and key prefix on the
machine's servers; a 2-second sweep, 1-second resend ages — or the defaults, see
:data:`DEFAULT_INTERVALS` — and a 0.2-second first restart delay). Each test kills one
child with SIGKILL while a thread keeps sending authenticated
``PUT /v1/workouts/{uuid}``, then checks that:

* the child is restarted and answers again (API: ``/healthz``; worker: Celery's
  ``ready.``; beat: a sweep sent), and the others kept their pids;
* writes resume, and every write that got a 2xx is in the database afterwards;
* the athlete's analytics become fresh (no ``analytics_dirty`` row, ``stale: false``,
  the summary counting every stored workout) within :data:`RECOVERY_BOUND_S`.

The worker is killed while an import is ``running``: with Redis holding the unacked
message for the (6-hour) visibility timeout, only the PostgreSQL sweep can bring it back.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from api.config import Settings
from tests.support.forma_up import FormaUp, forma_up
from tests.support.http import PASSWORD
from tests.support.workouts import a_workout

pytestmark = pytest.mark.faults

#: ``FORMA_FAULTS_DEFAULT_INTERVALS=1`` runs with the production sweep and resend ages
#: (measuring the README's bound; slower), otherwise a 2 s sweep and 1 s resend ages.
DEFAULT_INTERVALS = os.environ.get("FORMA_FAULTS_DEFAULT_INTERVALS") == "1"
_FIELDS = Settings.model_fields
SWEEP_S = float(_FIELDS["stale_sweep_seconds"].default) if DEFAULT_INTERVALS else 2.0
RESEND_S = (
    max(float(_FIELDS["stale_resend_after_s"].default), _FIELDS["import_resend_after_s"].default)
    if DEFAULT_INTERVALS
    else 1.0
)
#: the restart, the worker's start-up (5–10 s on a busy 2-core machine), a backlog of
#: refreshes the sweep waits behind, and the task itself
SLACK_S = 25.0
#: the README's bound under these settings: a sweep period and the longest resend age
RECOVERY_BOUND_S = SWEEP_S + RESEND_S + SLACK_S
ANSWER_TIMEOUT_S = 30.0
IMPORT_TIMEOUT_S = RECOVERY_BOUND_S + 30.0  # the bound, then the 40,000-row import itself
#: a steady stream one worker keeps up with on a busy machine (one refresh per write)
WRITE_GAP_S = 0.5
ENV = {
    "FORMA_STALE_SWEEP_SECONDS": str(SWEEP_S),
    "FORMA_STALE_RESEND_AFTER_S": str(min(RESEND_S, _FIELDS["stale_resend_after_s"].default)),
    "FORMA_IMPORT_RESEND_AFTER_S": str(RESEND_S),
    "FORMA_RESTART_BACKOFF_S": "0.2",
}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FormaUp]:
    with forma_up(tmp_path_factory.mktemp("faults"), ENV) as sup:
        yield sup


@dataclass
class Writes:
    """A thread PUTting fresh workouts as fast as the API takes them."""

    base_url: str
    headers: dict[str, str]
    acked: list[tuple[float, str]] = field(default_factory=list)
    refused: list[tuple[float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        day = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=5.0) as http:
            n = 0
            while not self.stop.is_set():
                workout_id = str(uuid.uuid4())
                body = a_workout(day + timedelta(hours=6 * n))
                n += 1
                try:
                    response = http.put(f"/v1/workouts/{workout_id}", json=body)
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                if outcome in ("200", "201"):
                    self.acked.append((time.monotonic(), workout_id))
                else:
                    self.refused.append((time.monotonic(), outcome))
                    time.sleep(0.1)  # a client backing off while the API is away
                time.sleep(WRITE_GAP_S)


def _register(http: httpx.Client) -> dict[str, str]:
    email = f"fault-{uuid.uuid4().hex[:10]}@example.com"
    created = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    token = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _wait(what: str, condition: Callable[[], bool], timeout: float, sup: FormaUp) -> float:
    """Seconds until ``condition()``; fails the test (with the log) after ``timeout``."""
    started = time.monotonic()
    while not condition():
        assert sup.proc.poll() is None, f"forma up exited with {sup.proc.returncode}"
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{sup.tail(40)}")
        time.sleep(0.05)
    return time.monotonic() - started


def _log_since(sup: FormaUp, offset: int) -> str:
    with sup.log.open("rb") as fh:
        fh.seek(offset)
        return fh.read().decode(errors="replace")


def _healthz(sup: FormaUp) -> bool:
    try:
        return httpx.get(f"{sup.base_url}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _strong_csv(workouts: int, sets: int) -> bytes:
    """A Strong export (kg) big enough to take the worker a few seconds."""
    lines = ["Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds"]
    start = datetime(2010, 1, 1, 7, 0)  # all in the past: future rows are rejected
    for w in range(workouts):
        stamp = (start + timedelta(days=w)).strftime("%Y-%m-%d %H:%M:%S")
        for s in range(sets):
            lines.append(f'{stamp},"Day {w}",1h,"Squat (Barbell)",{s + 1},{60 + s}.0,5,0,0')
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Outcome:
    child: str
    killed_wall: float
    answer_s: float
    resume_s: float
    refused: int
    refused_kinds: list[str]
    acked: int
    present: int
    fresh_s: float


def _check_writes_and_analytics(
    sup: FormaUp, http: httpx.Client, writes: Writes, headers: dict[str, str], killed_at: float
) -> tuple[int, float]:
    """Every acknowledged write stored; analytics fresh. Returns (present, seconds to fresh)."""
    acked = {workout_id for _, workout_id in writes.acked}
    with psycopg.connect(sup.database_url) as conn:
        stored = {
            str(r[0])
            for r in conn.execute("SELECT id FROM workouts WHERE id = ANY(%s)", (list(acked),))
        }
    assert stored == acked, f"{len(acked - stored)} acknowledged writes missing"
    me = http.get("/v1/users/me", headers=headers).json()["id"]

    def fresh() -> bool:
        with psycopg.connect(sup.database_url) as conn:
            owed = conn.execute(
                "SELECT count(*) FROM analytics_dirty WHERE user_id = %s", (me,)
            ).fetchone()
            total = conn.execute(
                "SELECT count(*) FROM workouts WHERE user_id = %s AND deleted_at IS NULL", (me,)
            ).fetchone()
        if owed is None or owed[0] or total is None:
            return False
        summary = http.get("/v1/analytics/summary", headers=headers).json()
        return summary["stale"] is False and summary["workouts"] == total[0]

    _wait("analytics fresh", fresh, RECOVERY_BOUND_S, sup)
    return len(stored), time.monotonic() - killed_at


def _kill_during_writes(
    sup: FormaUp, child: str, answered: Callable[[int], bool], before_kill: Callable[[], None]
) -> Outcome:
    """Kill ``child`` mid-stream; ``answered(log_offset_at_kill)`` says it is back."""
    with httpx.Client(base_url=sup.base_url, timeout=10.0) as http:
        headers = _register(http)
        writes = Writes(sup.base_url, headers)
        thread = threading.Thread(target=writes.run, daemon=True)
        thread.start()
        try:
            _wait("first writes", lambda: len(writes.acked) >= 10, 20.0, sup)
            # last before the kill: on a quiet machine an import finishes within seconds,
            # so "running" must be seen just before the SIGKILL, not before the writes
            before_kill()
            before = sup.children()
            assert set(before) == {"api", "worker", "beat"}, before
            offset = sup.log.stat().st_size
            os.kill(before[child], signal.SIGKILL)
            killed_at, killed_wall = time.monotonic(), time.time()
            answer_s = _wait(f"{child} answering", lambda: answered(offset), ANSWER_TIMEOUT_S, sup)
            _wait("writes resumed", lambda: writes.acked[-1][0] > killed_at, ANSWER_TIMEOUT_S, sup)
            resume_s = min(t for t, _ in writes.acked if t > killed_at) - killed_at
            time.sleep(1.0)
        finally:
            writes.stop.set()
            thread.join(timeout=10)
        after = sup.children()
        assert after[child] != before[child], f"{child} was not restarted: {after}"
        for other in set(before) - {child}:
            assert after[other] == before[other], f"{other} was restarted too: {before} {after}"
        assert f"{child} (pid {before[child]}) exited: killed by SIGKILL (-9)" in sup.tail(400)
        kinds = [kind for t, kind in writes.refused if t >= killed_at]
        refused = len(kinds)
        present, fresh_s = _check_writes_and_analytics(sup, http, writes, headers, killed_at)
    acked = len(writes.acked)
    outcome = Outcome(
        child, killed_wall, answer_s, resume_s, refused, kinds, acked, present, fresh_s
    )
    print(
        f"\nSIGKILL {child}: answering after {answer_s:.2f} s, first write acked "
        f"{resume_s:.2f} s after the kill, {refused} writes refused meanwhile, "
        f"{present}/{outcome.acked} acknowledged writes stored, analytics fresh "
        f"{fresh_s:.2f} s after the kill (load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    return outcome


def test_sigkill_api(up: FormaUp) -> None:
    outcome = _kill_during_writes(up, "api", lambda _offset: _healthz(up), lambda: None)
    # the API really was away: no write was answered before a new process started
    assert outcome.resume_s > 0.2, outcome
    # ... yet no connection was refused: forma up holds the listening socket, so writes
    # sent meanwhile wait in the backlog (only the one in flight at the kill is reset,
    # and a slow restart may outlast the client's 5 s timeout)
    assert "ConnectError" not in outcome.refused_kinds, outcome


def test_sigkill_beat(up: FormaUp) -> None:
    def sweep_after_restart(offset: int) -> bool:
        log = _log_since(up, offset)
        if "beat restarted" not in log:
            return False
        # the new beat sends the sweep (whether the worker takes it at once depends on
        # its queue, which is the worker's matter)
        return "Sending due task sweep-owed-work" in log[log.index("beat restarted") :]

    outcome = _kill_during_writes(up, "beat", sweep_after_restart, lambda: None)
    assert outcome.refused == 0  # the API never depended on the beat


def test_sigkill_worker_while_an_import_runs(up: FormaUp) -> None:
    with httpx.Client(base_url=up.base_url, timeout=30.0) as http:
        importer = _register(http)
        workouts, sets = 4000, 10
        seen: list[str] = []
        job: dict[str, str] = {}

        def import_running() -> None:
            upload = http.post(
                "/v1/imports",
                headers=importer,
                files={"file": ("big.csv", _strong_csv(workouts, sets), "text/csv")},
                data={"weight_unit": "kg"},
            )
            assert upload.status_code == 202, upload.text
            job["url"] = f"/v1/imports/{upload.json()['id']}"
            _wait(
                "import running",
                lambda: (
                    seen.append(http.get(job["url"], headers=importer).json()["status"])
                    or seen[-1] != "queued"
                ),
                30.0,
                up,
            )
            assert seen[-1] == "running", f"the import was {seen[-1]} before the kill"

        def worker_ready(offset: int) -> bool:
            return " ready." in _log_since(up, offset)

        outcome = _kill_during_writes(up, "worker", worker_ready, import_running)
        assert outcome.refused == 0  # writes never needed the worker
        job_url = job["url"]
        _wait(
            "import finished",
            lambda: http.get(job_url, headers=importer).json()["status"] != "running",
            IMPORT_TIMEOUT_S,
            up,
        )
        finished = http.get(job_url, headers=importer).json()
        log = up.log.read_text(errors="replace").splitlines()
        received = [line for line in log if "imports.run[" in line and "received" in line]
        stamps = [datetime.strptime(r[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp() for r in received]
        assert stamps[0] < outcome.killed_wall, "the import's first delivery came after the kill"
        # A sweep re-sends it until a worker takes its lock again; the copies are no-ops.
        resent = [t for t in stamps if t > outcome.killed_wall]
        assert resent, "the import was never sent again"
        resent_s = resent[0] - outcome.killed_wall
        print(
            f"import re-sent by the sweep {resent_s:.2f} s after the kill "
            f"(sweep {SWEEP_S:g} s, bound {RECOVERY_BOUND_S:g} s); then {finished['status']}"
        )
        assert 0 < resent_s <= RECOVERY_BOUND_S
        assert finished["status"] == "succeeded", finished
        assert finished["counts"]["workouts_created"] == workouts, finished["counts"]
        assert finished["counts"]["sets_created"] == workouts * sets, finished["counts"]


def test_faults_left_forma_up_running(up: FormaUp) -> None:
    """After three kills the whole is still up (each child far from its crash limit)."""
    assert up.proc.poll() is None
    assert set(up.children()) == {"api", "worker", "beat"}
    assert Path(up.data_dir / "celerybeat-schedule").exists() or any(
        p.name.startswith("celerybeat-schedule") for p in up.data_dir.iterdir()
    )
