"""Hostile clients over real sockets: no message may cost the server more than a valid one.

uvicorn serves in a thread on 127.0.0.1; the ``websockets`` client attacks. The server
thread's CPU time is read from its own clock (``pthread_getcpuclockid``), so the cost
of an invalid message is compared with a valid one of the same size in the same run;
the ratios go to the run's summary (``figures: hardening-attacks``), not into an
assertion (speed is the benchmark's job: ``bench/attacks.py``). What is asserted is
what must hold whatever the machine: bounded replies, the request id kept, the right
error at the right place.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, Field, create_model
from starlette.testclient import TestClient
from websockets.asyncio.client import connect

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.exceptions import MAX_ERROR_ENTRIES, MAX_ERRORS_LISTED
from socketsundso.limits import RateLimit
from tests.hardening.apps import app_of
from tests.hardening.figures import write_figures
from tests.servers import serve

#: No error reply may be larger than this, whatever the message it answers.
REPLY_BOUND = 16 * 1024
#: About the size of every attack message (under the default 1 MiB limit).
SIZE = 1_000_000


class Cat(BaseModel):
    """One member of a discriminated union inside a message."""

    kind: Literal["cat"]
    lives: int = 9


class Dog(BaseModel):
    """The other member."""

    kind: Literal["dog"]
    good: bool = True


class Target(WebSocketHandlingEndpoint):
    """What the attacks aim at: lists, text, floats, a nested union."""

    @on_event
    async def nums(self, nums: list[int]) -> dict[str, int]:
        """Count the numbers."""
        return {"count": len(nums)}

    @on_event
    async def text(self, text: str) -> dict[str, int]:
        """Measure the text."""
        return {"length": len(text)}

    @on_event
    async def measure(
        self, x: float, y: Annotated[float, Field(allow_inf_nan=True)] = 0.0
    ) -> dict[str, Any]:
        """Echo two floats; only ``y`` may be NaN or infinite."""
        return {"x": x, "y": repr(y)}

    @on_event
    async def pet(self, pet: Annotated[Cat | Dog, Field(discriminator="kind")]) -> dict[str, str]:
        """Name the pet's kind."""
        return {"kind": pet.kind}

    @on_event
    async def grid(self, cells: dict[str, int]) -> dict[str, int]:
        """Count the cells."""
        return {"cells": len(cells)}

    @on_event
    async def ping(self) -> dict[str, Any]:
        """Answer at once."""
        return {}


def _dict_of(message: dict[str, Any], key: str, value: Any, count: int) -> str:
    """``message`` with ``key`` a dict of ``count`` entries, each ``value``."""
    return json.dumps({**message, key: {f"c{i:06}": value for i in range(count)}})


def _padded(message: dict[str, Any], key: str, item: Any) -> str:
    """``message`` with ``key`` a list of ``item`` long enough to make about ``SIZE`` bytes."""
    one = len(json.dumps(item)) + 2
    return json.dumps({**message, key: [item] * (SIZE // one)})


ATTACKS = {
    "valid list of ints": _padded({"type": "nums", "id": 1}, "nums", 7),
    "invalid list (every item a string)": _padded({"type": "nums", "id": 1}, "nums", "x"),
    "70,000 unknown keys": json.dumps(
        {"type": "text", "id": 1, "text": "a", **{f"k{i:06}": 1 for i in range(70_000)}}
    ),
    "unknown type of 500 KB": json.dumps({"type": "x" * 500_000, "id": 1}),
    # 960 KB each: "c000000": "x" is 2 bytes longer than "c000000": 7.
    "valid dict of ints": _dict_of({"type": "grid", "id": 1}, "cells", 7, 68_571),
    "60,000 wrong dict values": _dict_of({"type": "grid", "id": 1}, "cells", "x", 60_000),
}


def _server_clock(port: str) -> int:
    """The CPU clock of the uvicorn thread serving ``port``."""
    for thread in threading.enumerate():
        if thread.name == f"uvicorn:{port}" and thread.ident is not None:
            return time.pthread_getcpuclockid(thread.ident)
    raise AssertionError(f"no uvicorn thread for port {port}")


@pytest.mark.anyio
async def test_an_invalid_message_costs_about_what_a_valid_one_of_its_size_costs() -> None:
    figures: dict[str, Any] = {}
    with serve(app_of(Target), ws_max_size=4 * SIZE) as url:
        clock = _server_clock(url.rsplit(":", 1)[1])
        async with connect(f"{url}/ws", max_size=None, compression=None) as ws:
            for name, frame in ATTACKS.items():
                costs = []
                for _ in range(3):
                    start = time.clock_gettime(clock)
                    await ws.send(frame)
                    reply = await ws.recv()
                    costs.append(time.clock_gettime(clock) - start)
                answer = json.loads(reply)
                assert answer["id"] == 1, name
                if not name.startswith("valid"):
                    assert len(reply) <= REPLY_BOUND, (name, len(reply))
                    assert 1 <= len(answer["errors"]) <= MAX_ERROR_ENTRIES + 1, name
                figures[name] = {"cpu_ms": round(min(costs) * 1000, 2), "reply_bytes": len(reply)}
    valid = figures["valid list of ints"]["cpu_ms"]
    for measured in figures.values():
        measured["vs_valid"] = round(measured["cpu_ms"] / valid, 2)
    write_figures("hardening-attacks", figures)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("attack", "loc"),
    [
        ("invalid list (every item a string)", ["nums", 0]),
        ("60,000 wrong dict values", ["cells", "c000000"]),
    ],
)
async def test_a_list_or_dict_of_wrong_items_is_answered_with_its_first_wrong_item(
    attack: str, loc: list[object]
) -> None:
    with serve(app_of(Target), ws_max_size=4 * SIZE) as url:
        async with connect(f"{url}/ws", max_size=None) as ws:
            await ws.send(ATTACKS[attack])
            answer = json.loads(await ws.recv())
    assert [(e["type"], e["loc"]) for e in answer["errors"]] == [("int_parsing", loc)]


@pytest.mark.anyio
async def test_thousands_of_unknown_keys_get_the_first_few_listed_and_the_rest_counted() -> None:
    with serve(app_of(Target), ws_max_size=4 * SIZE) as url:
        async with connect(f"{url}/ws", max_size=None) as ws:
            await ws.send(ATTACKS["70,000 unknown keys"])
            answer = json.loads(await ws.recv())
            await ws.send('{"type": "ping"}')
            assert json.loads(await ws.recv()) == {"type": "ping"}
    assert answer["id"] == 1
    listed, summary = answer["errors"][:-1], answer["errors"][-1]
    assert [(e["type"], e["loc"]) for e in listed] == [
        ("extra_forbidden", [f"k{i:06}"]) for i in range(MAX_ERROR_ENTRIES)
    ]
    assert summary == {
        "type": "too_many_errors",
        "loc": [],
        "msg": f"{70_000 - MAX_ERROR_ENTRIES} more errors not listed",
        "ctx": {"listed": MAX_ERROR_ENTRIES, "omitted": 70_000 - MAX_ERROR_ENTRIES},
    }


def test_more_errors_than_can_be_listed_get_one_summary_entry() -> None:
    wide = create_model("Wide", **{f"f{i}": (int, ...) for i in range(500)})  # type: ignore[call-overload]

    class Rows(WebSocketHandlingEndpoint):
        @on_event
        async def row(self, row: wide) -> dict[str, int]:  # type: ignore[valid-type]
            return {}

    frame = {"type": "row", "id": "g", "row": {f"f{i}": "x" for i in range(500)}}
    with TestClient(app_of(Rows)).websocket_connect("/ws") as ws:
        ws.send_json(frame)
        answer = ws.receive_json()
    assert answer == {
        "errors": [
            {
                "type": "too_many_errors",
                "loc": [],
                "msg": f"The message has more than {MAX_ERRORS_LISTED} errors; none are listed",
                "ctx": {"limit": MAX_ERRORS_LISTED},
            }
        ],
        "id": "g",
    }


def test_a_few_dozen_errors_are_listed_up_to_the_cap_and_the_rest_counted() -> None:
    frame = {"type": "text", "text": "a", **{f"k{i}": i for i in range(25)}}
    with TestClient(app_of(Target)).websocket_connect("/ws") as ws:
        ws.send_json(frame)
        errors = ws.receive_json()["errors"]
    assert len(errors) == MAX_ERROR_ENTRIES + 1
    assert {e["type"] for e in errors[:-1]} == {"extra_forbidden"}
    assert errors[-1] == {
        "type": "too_many_errors",
        "loc": [],
        "msg": f"{25 - MAX_ERROR_ENTRIES} more errors not listed",
        "ctx": {"listed": MAX_ERROR_ENTRIES, "omitted": 25 - MAX_ERROR_ENTRIES},
    }


@pytest.mark.anyio
async def test_an_unknown_event_name_is_reflected_only_as_a_short_escaped_excerpt() -> None:
    with serve(app_of(Target), ws_max_size=4 * SIZE) as url:
        async with connect(f"{url}/ws", max_size=None) as ws:
            await ws.send(ATTACKS["unknown type of 500 KB"])
            reply = await ws.recv()
            await ws.send(json.dumps({"type": "<script>\u202e\n", "id": "q"}))
            short = json.loads(await ws.recv())
    (entry,) = json.loads(reply)["errors"]
    assert entry["type"] == "union_tag_invalid"
    assert entry["ctx"]["tag"] == "x" * 63 + "\u2026"
    assert len(reply) < 1024
    assert short["id"] == "q"
    assert short["errors"][0]["ctx"]["tag"] == "<script>\u202e\n"
    assert "'<script>\\u202e\\n'" in short["errors"][0]["msg"]


@pytest.mark.anyio
async def test_a_client_s_ping_is_answered_while_another_floods_invalid_messages() -> None:
    latencies: list[float] = []
    with serve(app_of(Target), ws_max_size=4 * SIZE) as url:
        async with connect(f"{url}/ws", max_size=None) as flood, connect(f"{url}/ws") as calm:

            async def attack() -> None:
                for _ in range(10):
                    await flood.send(ATTACKS["invalid list (every item a string)"])
                for _ in range(10):
                    await flood.recv()

            attacker = asyncio.create_task(attack())
            for _ in range(5):
                start = time.perf_counter()
                await calm.send('{"type": "ping"}')
                assert json.loads(await calm.recv()) == {"type": "ping"}
                latencies.append(time.perf_counter() - start)
            await attacker
    write_figures("hardening-attacks-ping", {"worst_ping_ms": round(max(latencies) * 1000, 1)})


def test_a_nested_discriminated_union_keeps_pydantic_s_own_error_and_location() -> None:
    with TestClient(app_of(Target)).websocket_connect("/ws") as ws:
        ws.send_json({"type": "pet", "pet": {"kind": "parrot"}, "id": 3})
        answer = ws.receive_json()
        ws.send_json({"type": "pet", "pet": {"kind": "dog"}})
        assert ws.receive_json() == {"type": "pet", "kind": "dog"}
    (entry,) = answer["errors"]
    assert entry["type"] == "union_tag_invalid"
    assert entry["loc"] == ["pet"]
    assert "Unknown event" not in entry["msg"]
    assert entry["ctx"]["tag"] == "parrot"
    assert answer["id"] == 3


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_floats_are_refused_unless_the_parameter_allows_them(value: str) -> None:
    with TestClient(app_of(Target)).websocket_connect("/ws") as ws:
        ws.send_text(f'{{"type": "measure", "x": {value}}}')
        refused = ws.receive_json()
        ws.send_text(f'{{"type": "measure", "x": 1.5, "y": {value}}}')
        allowed = ws.receive_json()
    assert [(e["type"], e["loc"]) for e in refused["errors"]] == [("finite_number", ["x"])]
    assert allowed["x"] == 1.5
    assert allowed["y"] in ("nan", "inf", "-inf")


@pytest.mark.parametrize(
    "origins",
    ["https://chat.example.com", b"https://chat.example.com", 42, ["https://a.example", 7]],
)
def test_allowed_origins_that_are_not_a_collection_of_strings_are_refused(origins: Any) -> None:
    with pytest.raises(TypeError, match=r"Strict\.allowed_origins"):

        class Strict(WebSocketHandlingEndpoint):
            allowed_origins = origins

    class Later(WebSocketHandlingEndpoint):
        pass

    with pytest.raises(TypeError, match=r"Later\.allowed_origins"):
        Later.allowed_origins = origins
    assert Later.allowed_origins is None


def test_exact_origins_in_any_collection_are_accepted() -> None:
    class Listed(WebSocketHandlingEndpoint):
        allowed_origins = ("https://chat.example.com",)

    assert Listed.allowed_origins == ("https://chat.example.com",)


# --- sync handlers: threads of their own, and a timeout that holds ----------------------


class Blocking(WebSocketHandlingEndpoint):
    """A sync handler that sleeps in its thread, counting how many run at once."""

    handler_timeout = 0.3
    sync_handler_threads = 4
    lock = threading.Lock()
    release = threading.Event()
    running = 0
    most = 0
    finished = 0

    @on_event
    def block(self, seconds: float) -> dict[str, float]:
        """Sleep ``seconds`` in a worker thread."""
        with Blocking.lock:
            Blocking.running += 1
            Blocking.most = max(Blocking.most, Blocking.running)
        Blocking.release.wait(seconds)  # a sleep the test can cut short
        with Blocking.lock:
            Blocking.running -= 1
            Blocking.finished += 1
        return {"slept": seconds}

    @on_event
    async def ping(self) -> dict[str, Any]:
        """Answer at once."""
        return {}


def _blocking_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute

    def health(request: Any) -> PlainTextResponse:  # sync: Starlette's shared threadpool
        return PlainTextResponse(f"finished {Blocking.finished}")

    return Starlette(routes=[WebSocketRoute("/ws", Blocking), Route("/health", health)])


@pytest.fixture
def blocking() -> Iterator[None]:
    """Fresh counters for ``Blocking``; its threads released and gone when the test ends.

    Abandoned threads outlive their connection: left running, they would count in the
    next test's figures.
    """
    Blocking.release.clear()
    Blocking.running = Blocking.most = Blocking.finished = 0
    yield
    Blocking.release.set()
    _wait_until_none_running()


def _wait_until_none_running() -> None:
    deadline = time.monotonic() + 10
    while Blocking.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert Blocking.running == 0, "a blocked sync handler never returned"


@pytest.mark.anyio
@pytest.mark.usefixtures("blocking")
async def test_slow_sync_handlers_never_take_the_threads_of_the_rest_of_the_app() -> None:
    import urllib.request

    with serve(_blocking_app()) as url:
        http = url.replace("ws://", "http://") + "/health"
        clients = [await connect(f"{url}/ws").__aenter__() for _ in range(45)]
        try:
            for client in clients:
                await client.send('{"type": "block", "seconds": 30}')  # until released
            await asyncio.sleep(0.2)  # every handler is running or waiting for a thread
            with urllib.request.urlopen(http, timeout=10) as response:  # noqa: ASYNC210
                health = response.read().decode()
            replies = [json.loads(await client.recv()) for client in clients]
        finally:
            for client in clients:
                await client.close()
    assert health == "finished 0"  # served while all 45 handlers were still blocked
    assert Blocking.most == Blocking.sync_handler_threads
    assert all(reply["errors"][0]["type"] == "handler_timeout" for reply in replies)


@pytest.mark.anyio
@pytest.mark.usefixtures("blocking")
async def test_a_sync_handler_past_its_timeout_is_answered_at_the_limit() -> None:
    with serve(_blocking_app()) as url:
        async with connect(f"{url}/ws") as ws:
            await ws.send('{"type": "block", "seconds": 30, "id": 9}')  # until released
            answer = json.loads(await ws.recv())
            finished_when_answered = Blocking.finished
            await ws.send('{"type": "ping"}')
            assert json.loads(await ws.recv()) == {"type": "ping"}
    assert answer["id"] == 9
    assert [e["type"] for e in answer["errors"]] == ["handler_timeout"]
    assert finished_when_answered == 0


@pytest.mark.anyio
@pytest.mark.usefixtures("blocking")
async def test_an_abandoned_sync_handler_keeps_its_thread_until_it_returns() -> None:
    class One(Blocking):
        sync_handler_threads = 1

    with serve(app_of(One)) as url:
        async with connect(f"{url}/ws") as ws:
            await ws.send('{"type": "block", "seconds": 30}')  # until released
            first = json.loads(await ws.recv())
            await ws.send('{"type": "block", "seconds": 0}')  # waits for the one thread
            second = json.loads(await ws.recv())
            Blocking.release.set()  # the abandoned thread returns, giving its token back
            await asyncio.to_thread(_wait_until_none_running)
            await ws.send('{"type": "block", "seconds": 0}')
            third = json.loads(await ws.recv())
    assert [e["type"] for e in first["errors"]] == ["handler_timeout"]
    assert [e["type"] for e in second["errors"]] == ["handler_timeout"]
    assert third == {"type": "block", "slept": 0}
    assert Blocking.most == 1


def test_sync_handler_threads_must_be_a_positive_int() -> None:
    for wrong in (0, -1, 2.5, True, "8"):
        with pytest.raises(TypeError, match=r"Pool\.sync_handler_threads must be a positive int"):
            type("Pool", (WebSocketHandlingEndpoint,), {"sync_handler_threads": wrong})


# --- rate limit: busy time earns no tokens -------------------------------------------------


class Busy(WebSocketHandlingEndpoint):
    """Handlers that keep the server busy; 5 messages a second, 2 at once."""

    rate_limit = RateLimit(per_second=5, burst=2)
    handled: ClassVar[list[int]] = []

    @on_event
    async def work(self, n: int) -> dict[str, int]:
        """Take half a second."""
        await asyncio.sleep(0.5)
        self.handled.append(n)
        return {"n": n}


@pytest.mark.anyio
async def test_messages_queued_while_the_server_is_busy_are_charged_as_they_arrived() -> None:
    Busy.handled.clear()
    with serve(app_of(Busy)) as url:
        async with connect(f"{url}/ws") as ws:
            for n in range(6):  # all at once: they queue while the first is handled
                await ws.send(json.dumps({"type": "work", "n": n, "id": n}))
            replies = [json.loads(await ws.recv()) for _ in range(6)]
            await asyncio.sleep(0.5)  # quiet time earns tokens again
            await ws.send(json.dumps({"type": "work", "n": 6}))
            assert json.loads(await ws.recv()) == {"type": "work", "n": 6}
    limited = sorted(r["id"] for r in replies if "errors" in r)
    assert limited == [2, 3, 4, 5]
    assert all(r["errors"][0]["type"] == "rate_limited" for r in replies if "errors" in r)
    assert Busy.handled == [0, 1, 6]
