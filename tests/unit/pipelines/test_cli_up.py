"""Where ``forma up`` puts the beat's schedule: the data dir whatever the mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import Settings
from pipelines.cli import _beat_schedule, _writable_dir


def _settings(**fields: object) -> Settings:
    return Settings(environment="test", secret_key="k" * 32, **fields)  # type: ignore[arg-type]


def test_a_missing_data_dir_is_created_and_holds_the_schedule(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / ".forma"  # a fresh clone: nothing there yet
    state = _writable_dir(data_dir)
    assert state == data_dir.resolve() and data_dir.is_dir()
    args = _beat_schedule(_settings(), state)
    assert args == ["--schedule", str(data_dir.resolve() / "celerybeat-schedule")]


def test_an_unwritable_data_dir_keeps_the_schedule_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert _writable_dir(blocker / ".forma") is None  # cannot make a dir under a file
    assert _beat_schedule(_settings(), None) == ["--scheduler", "celery.beat:Scheduler"]
    assert "FORMA_BEAT_SCHEDULE" in capsys.readouterr().out


def test_a_configured_schedule_file_wins(tmp_path: Path) -> None:
    target = tmp_path / "var" / "beat.db"
    args = _beat_schedule(_settings(beat_schedule=target), tmp_path)
    assert args == ["--schedule", str(target.resolve())]
    assert target.parent.is_dir()


def test_an_unwritable_configured_schedule_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError, match="FORMA_BEAT_SCHEDULE"):
        _beat_schedule(_settings(beat_schedule=blocker / "beat.db"), tmp_path)


# --- the API's uvicorn: workers, keep-alive, loop, access log -------------------------------


def _api_argv(**fields: object) -> list[str]:
    import argparse

    from pipelines.cli import _api_argv as build

    return build(argparse.Namespace(host="127.0.0.1", port=8123), _settings(**fields))


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_api_runs_a_worker_per_core_but_one_with_a_long_keep_alive_and_no_access_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    monkeypatch.delenv("FORMA_API_WORKERS", raising=False)
    argv = _api_argv()
    assert argv[1:3] == ["-m", "api.serve"]  # uvicorn on the socket forma up holds
    # a core left to everything but the API's password hashing
    assert _option(argv, "--workers") == str(max(1, len(os.sched_getaffinity(0)) - 1))
    assert _option(argv, "--keep-alive") == "120"  # past the phones' 100 s
    assert _option(argv, "--loop") == "uvloop"  # a dependency (uvicorn[standard])
    assert "--no-access-log" in argv
    assert _option(argv, "--port") == "8123"


def test_the_api_flags_follow_the_settings() -> None:
    argv = _api_argv(api_workers=3, api_keep_alive_s=300, api_access_log=True)
    assert _option(argv, "--workers") == "3"
    assert _option(argv, "--keep-alive") == "300"
    assert "--no-access-log" not in argv


def test_api_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMA_API_WORKERS", "5")
    monkeypatch.setenv("FORMA_API_KEEP_ALIVE_S", "150")
    monkeypatch.setenv("FORMA_API_ACCESS_LOG", "true")
    settings = _settings()
    assert (settings.api_processes, settings.api_keep_alive_s, settings.api_access_log) == (
        5,
        150,
        True,
    )


def test_forma_up_raises_its_soft_open_file_limit_to_the_hard_one() -> None:
    # In a child process, so that this one's limit is left alone.
    import subprocess
    import sys

    script = (
        "import resource\n"
        "from pipelines.cli import raise_open_file_limit\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))\n"
        "before, after, text = raise_open_file_limit()\n"
        "print(before, after, hard, resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    before, after, hard, now = (int(x) for x in out.split())
    assert before == min(256, hard)
    assert after == hard == now
