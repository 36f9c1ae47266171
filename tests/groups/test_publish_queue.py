"""The publish queue of ``RedisGroups`` and its breaker, with a fake Redis that can fail."""

from __future__ import annotations

import asyncio
import logging

import pytest

from socketsundso import _publish_queue
from socketsundso._publish_queue import Item, PublishQueue

pytestmark = pytest.mark.anyio


class FakeRedis:
    """Takes batches of PUBLISHes; each waits for ``answer`` to be set, then fails if told."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.answer = asyncio.Event()
        self.failing = False

    async def publish(self, batch: list[Item]) -> None:
        await self.answer.wait()
        if self.failing:
            raise ConnectionError("no Redis")
        self.published.extend(payload for _, payload in batch)


@pytest.fixture
def short_cooldown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_publish_queue, "BREAKER_COOLDOWN", 0.05)
    monkeypatch.setattr(_publish_queue, "BREAKER_COOLDOWN_MAX", 0.1)


def queue_on(redis: FakeRedis, size: int = 3) -> PublishQueue:
    return PublishQueue(redis.publish, (ConnectionError,), size, 5.0, "redis://fake")


async def settle() -> None:
    """Let the drainer run until it waits again."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_messages_are_published_in_order_and_the_queue_is_bounded() -> None:
    redis = FakeRedis()
    queue = queue_on(redis)
    assert [queue.offer(b"c", bytes([n])) for n in range(4)] == [True, True, True, False]
    redis.answer.set()
    await settle()
    assert redis.published == [b"\x00", b"\x01", b"\x02"]
    assert queue.offer(b"c", b"again")
    await settle()
    assert redis.published[-1] == b"again"
    assert queue.lost == 0


async def test_a_failed_publish_drops_what_is_queued_and_opens_the_breaker(
    short_cooldown: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="socketsundso")
    redis = FakeRedis()
    queue = queue_on(redis)
    redis.failing = True
    assert queue.offer(b"c", b"first")
    await settle()  # the first is being published; the next two wait behind it
    assert queue.offer(b"c", b"second")
    assert queue.offer(b"c", b"third")
    redis.answer.set()
    await settle()
    assert queue.lost == 3
    assert "3 broadcasts did not reach other workers" in caplog.text
    assert not queue.offer(b"c", b"while open")

    await asyncio.sleep(0.06)  # past the cooldown: one trial goes, the others wait for it
    redis.answer.clear()
    assert queue.offer(b"c", b"trial")
    assert not queue.offer(b"c", b"during the trial")
    redis.answer.set()
    await settle()  # the trial failed too: open again, for longer
    assert queue.lost == 4
    assert not queue.offer(b"c", b"open again")
    assert caplog.text.count("did not reach other workers") == 1  # logged once per outage

    redis.failing = False
    await asyncio.sleep(0.11)
    assert queue.offer(b"c", b"second trial")
    await settle()
    assert redis.published == [b"second trial"]
    assert all(queue.offer(b"c", bytes([n])) for n in range(3))  # closed: room again
    assert "works again" in caplog.text


async def test_a_stopped_queue_refuses_and_ends_its_drainer() -> None:
    redis = FakeRedis()
    queue = queue_on(redis)
    assert queue.offer(b"c", b"queued")
    await settle()
    queue.stop()
    await settle()
    assert not queue.offer(b"c", b"after")
    redis.answer.set()
    await settle()
    assert redis.published == []
