"""Upload slots and the body idle timeout, without a server."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import ClientDisconnect

from api.imports.guards import UploadIdle, UploadsBusy, UploadSlots, idle_limited_body
from api.ratelimit_rules import RateLimited


def test_slots_refuse_past_the_account_then_the_process_cap_and_free_on_exit():
    slots = UploadSlots(total=3, per_account=2)
    with slots.hold("a"), slots.hold("a"):
        with pytest.raises(RateLimited) as account:
            with slots.hold("a"):
                pass
        assert account.value.headers == {"Retry-After": "5"}
        with slots.hold("b"):
            with pytest.raises(UploadsBusy) as busy:
                with slots.hold("c"):
                    pass
            assert busy.value.status_code == 503 and busy.value.headers == {"Retry-After": "5"}
        assert slots.in_flight == 2
    assert slots.in_flight == 0
    with pytest.raises(ValueError), slots.hold("a"):
        raise ValueError("the upload failed")
    assert slots.in_flight == 0
    with slots.hold("a"), slots.hold("a"):  # the failed one gave its slot back
        pass


def _receiver(*messages: dict, then_wait: bool = True):
    queue = list(messages)

    async def receive() -> dict:
        if queue:
            return queue.pop(0)
        if then_wait:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


async def _read(receive, idle_s: float) -> list[bytes]:
    return [piece async for piece in idle_limited_body(receive, idle_s=idle_s)]


async def test_the_body_is_read_as_sent():
    receive = _receiver(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"c", "more_body": False},
    )
    assert await _read(receive, 1.0) == [b"ab", b"c"]


async def test_a_body_that_stops_arriving_is_408():
    receive = _receiver({"type": "http.request", "body": b"ab", "more_body": True})
    started = asyncio.get_running_loop().time()
    with pytest.raises(UploadIdle) as idle:
        await _read(receive, 0.2)
    assert idle.value.status_code == 408
    assert 0.2 <= asyncio.get_running_loop().time() - started < 2


async def test_a_client_leaving_is_client_disconnect():
    receive = _receiver({"type": "http.request", "body": b"ab", "more_body": True}, then_wait=False)
    with pytest.raises(ClientDisconnect):
        await _read(receive, 1.0)


async def test_a_body_dripping_a_byte_at_a_time_is_408_after_the_timeout():
    async def drip() -> dict:
        await asyncio.sleep(0.02)  # well within the timeout each time
        return {"type": "http.request", "body": b"x", "more_body": True}

    started = asyncio.get_running_loop().time()
    with pytest.raises(UploadIdle) as idle:
        await _read(drip, 0.3)
    assert "16,384 bytes" in idle.value.message
    assert 0.3 <= asyncio.get_running_loop().time() - started < 2


async def test_a_steady_body_is_not_cut_off_however_long_it_takes():
    pieces = [{"type": "http.request", "body": b"x" * 20_000, "more_body": True}] * 10
    pieces.append({"type": "http.request", "body": b"", "more_body": False})
    queue = list(pieces)

    async def steady() -> dict:
        await asyncio.sleep(0.05)  # 0.55 s in all, past the 0.3 s timeout several times
        return queue.pop(0)

    assert sum(map(len, await _read(steady, 0.3))) == 200_000
