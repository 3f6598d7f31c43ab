"""``TaskProducer.send_soon``: a coalescing task is handed over at most once per window,
and always once more after the last request; other tasks every time."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from api.config import Settings
from api.producer import TaskProducer


def _recording(producer: TaskProducer) -> list[tuple[str, float]]:
    sent: list[tuple[str, float]] = []
    lock = threading.Lock()

    def send(name: str, *args: Any) -> bool:
        with lock:
            sent.append((name, time.monotonic()))
        return True

    producer.send = send  # type: ignore[method-assign]
    return sent


async def test_a_burst_of_refresh_requests_is_sent_a_few_times_and_once_after_the_last() -> None:
    producer = TaskProducer(Settings(redis_url="redis://127.0.0.1:1/0"))
    sent = _recording(producer)
    window = TaskProducer.COALESCE_WINDOW_S
    started = time.monotonic()
    for _ in range(60):  # 60 commits over ≥ 0.6 s
        producer.send_soon("analytics.refresh")
        last_request = time.monotonic()
        await asyncio.sleep(0.01)
    await asyncio.sleep(window * 3)
    elapsed = last_request - started
    # at most one per window (plus the first, sent at once), never one per request
    assert 2 <= len(sent) <= elapsed / window + 2, (len(sent), elapsed)
    # the requests' commits all precede a send: the last one comes after the last request
    assert sent[-1][1] >= last_request
    gaps = [b[1] - a[1] for a, b in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= window * 0.9, gaps
    producer.close()


async def test_the_first_request_after_a_quiet_spell_is_sent_at_once() -> None:
    producer = TaskProducer(Settings(redis_url="redis://127.0.0.1:1/0"))
    sent = _recording(producer)
    asked = time.monotonic()
    producer.send_soon("analytics.refresh")
    await asyncio.sleep(0.05)
    assert len(sent) == 1 and sent[0][1] - asked < 0.05
    producer.close()


async def test_tasks_that_do_not_coalesce_are_sent_for_every_request() -> None:
    producer = TaskProducer(Settings(redis_url="redis://127.0.0.1:1/0"))
    sent = _recording(producer)
    for i in range(5):
        producer.send_soon("imports.run", str(i))
    await asyncio.sleep(0.1)
    assert [name for name, _ in sent] == ["imports.run"] * 5
    producer.close()
