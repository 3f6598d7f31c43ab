"""``python -m bench.load`` refuses nonsense before it starts anything."""

from __future__ import annotations

import pytest

from bench.load.cli import main, parse


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--phones", "30:0"], "seconds must be a finite number above 0, not 0"),
        (["--phones", "abc"], "expected PHONES:SECONDS"),
        (["--write-clients", "0"], "a client count must be a finite number above 0, not 0"),
        (["--duration", "-5"], "seconds must be a finite number above 0, not -5"),
        (["--duration", "inf"], "seconds must be a finite number above 0, not inf"),
        (["--read-rate", "0"], "a rate must be a finite number above 0"),
        (["--athletes", "0"], "a count must be a finite number above 0"),
        (["--retry-share", "2"], "a share must be within 0 and 1, not 2"),
        (["--parts", "floor,nonsense"], "unknown parts: 'nonsense'"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_good_arguments_are_read_as_numbers() -> None:
    args = parse(["--phones", "1000:10,10000:100", "--write-clients", "50,200"])
    assert args.phones == ((1000, 10.0), (10000, 100.0))
    assert args.write_clients == (50, 200)


def test_an_unreachable_server_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORMA_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test")
    assert main(["--scale", "smoke", "--no-results"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:1/test" in err
    assert "Traceback" not in err
