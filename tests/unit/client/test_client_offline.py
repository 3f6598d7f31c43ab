"""What a running API rarely shows: error bodies that are not Forma's (a proxy's page),
``Retry-After`` as seconds or a date, one refresh shared by concurrent 401s, a job that
outlives its timeout, and the plain progress bar when tqdm is absent."""

from __future__ import annotations

import email.utils
import io
import json
import threading
import time
from typing import Any

import httpx
import pytest

from forma_client import Forma, FormaError
from forma_client.errors import retry_after
from forma_client.progress import Progress

BASE = "http://forma.test"


def _forma(handler: Any, **kwargs: Any) -> Forma:
    return Forma(BASE, transport=httpx.MockTransport(handler), **kwargs)


def test_a_body_that_is_not_formas_error_shape_still_raises_with_the_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html><h1>502 Bad Gateway</h1></html>")

    with _forma(handler, token="t") as forma, pytest.raises(FormaError) as raised:
        forma.models()
    error = raised.value
    assert (error.status, error.code, error.details) == (502, "http_502", None)
    assert "Bad Gateway" in error.message


def test_503_and_429_carry_retry_after_in_seconds():
    answers = iter(
        [
            httpx.Response(
                503,
                json={"error": {"code": "overloaded", "message": "busy", "details": None}},
                headers={"Retry-After": "2"},
            ),
            httpx.Response(
                429,
                json={"error": {"code": "rate_limited", "message": "slow", "details": None}},
                headers={"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)},
            ),
        ]
    )
    with _forma(lambda request: next(answers), token="t") as forma:
        with pytest.raises(FormaError) as first:
            forma.frame("sets", progress=False)
        with pytest.raises(FormaError) as second:
            forma.datasets()
    assert (first.value.status, first.value.code, first.value.retry_after) == (
        503,
        "overloaded",
        2.0,
    )
    assert second.value.code == "rate_limited"
    assert second.value.retry_after is not None and 25 < second.value.retry_after <= 30
    assert retry_after("soon") is None and retry_after(None) is None


def test_concurrent_401s_spend_the_refresh_token_once():
    refreshed: list[str] = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/refresh":
            with lock:
                refreshed.append(json.loads(request.content)["refresh_token"])
            time.sleep(0.1)
            return httpx.Response(200, json={"access_token": "new", "refresh_token": "r2"})
        if request.headers["Authorization"] != "Bearer new":
            return httpx.Response(401, json={"error": {"code": "token_expired", "message": "x"}})
        return httpx.Response(200, json={"items": []})

    with _forma(handler, token="old", refresh_token="r1") as forma:
        threads = [threading.Thread(target=forma.models) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert refreshed == ["r1"]
        assert (forma.token, forma.session.refresh_token) == ("new", "r2")


def test_a_job_that_outlives_its_timeout_raises_408_with_its_record():
    def handler(request: httpx.Request) -> httpx.Response:
        record = {"id": "s1", "dataset": "sets", "status": "running", "progress": 0.5}
        return httpx.Response(202 if request.method == "POST" else 200, json=record)

    with _forma(handler, token="t") as forma, pytest.raises(FormaError) as raised:
        forma.snapshot("sets", poll=0.01, timeout=0.05, progress=False)
    assert (raised.value.status, raised.value.code) == (408, "timeout")
    assert raised.value.details["progress"] == 0.5


def test_the_plain_bar_shows_size_rate_and_share(monkeypatch):
    import forma_client.progress as progress

    monkeypatch.setattr(progress, "_tqdm", lambda *args: None)
    monkeypatch.setattr(progress, "REDRAW_S", 0.0)
    out = io.StringIO()
    with Progress("sets", total=2_000_000, file=out) as bar:
        bar.update(1_000_000)
        bar.update(1_000_000)
    shown = out.getvalue()
    assert shown.startswith("\rsets: [") and shown.endswith("\n")
    assert "2.0 MB" in shown and "B/s" in shown
    assert "#" * 30 in shown  # the whole bar at the end
    jobs = io.StringIO()
    with Progress("training", unit="%", file=jobs) as bar:
        bar.set(0.25)
        bar.set(0.1)  # never backwards
    assert " 25.0 %" in jobs.getvalue()
    silent = io.StringIO()
    with Progress("quiet", enabled=False, file=silent) as bar:
        bar.update(10)
    assert silent.getvalue() == ""
