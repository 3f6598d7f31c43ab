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
