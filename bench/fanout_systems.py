"""The servers the fan-out benchmark compares, and the command that runs one under uvicorn.

Every system serves the same two things: ``/ws``, where each connection becomes a member
of one group and then only listens, and ``POST /burst?first=S&count=M``, which broadcasts
``M`` ``Quote`` messages (``seq`` ``S`` ... ``S+M-1``) to every member, back to back, and
answers with the ``time.monotonic()`` at which each was sent. ``GET /stats`` answers
the process's CPU time (``time.process_time_ns()``), its number of members, and the
cyclic garbage collector's collections and seconds so far (by ``gc.callbacks``).

- ``socketsundso``: ``Fans``, a ``WebSocketHandlingEndpoint`` whose members ``join`` on
  connect; ``await Fans.broadcast(GROUP, quote)`` serializes once and queues per member.
  With ``--redis URL`` its hub is ``RedisGroups(URL)`` (run two processes for two workers);
  with ``--history``, the hub keeps history (``History()``: each member gets the position).
- ``naive``: a plain Starlette ``WebSocketEndpoint`` keeping its members in a list; a
  broadcast is ``for ws in members: await ws.send_json(quote.model_dump())``, which
  dumps and serializes the message once per member and waits for each send in turn.
- ``floor``: the same endpoint and loop, with the message serialized once: ``text =
  quote.model_dump_json()``, then ``await ws.send_text(text)`` per member. What a
  broadcast on uvicorn costs at least (one task, no queue): a reference, not a goal.

    python bench/fanout_systems.py --system socketsundso --port 8000 [--redis URL] [--history]

serves one with uvicorn on 127.0.0.1 under ``ServeSettings`` (the ``websockets``
implementation ``python -m socketsundso serve`` runs), keepalive pings off: a ping to
10,000 connections every 20 seconds would land in some measurements and not others.
With ``FANOUT_PROFILE=PATH`` in its environment, the server runs cProfile from its first
burst and writes the stats to ``PATH`` at each ``/stats`` after one.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fanout_clients import raise_file_limit
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.serving import ServeSettings

#: The group every member joins.
GROUP = "quotes"
SYSTEMS = ("socketsundso", "naive", "floor")


class Level(BaseModel):
    """One price level of an order book."""

    price: float
    size: int


class Quote(BaseModel):
    """The broadcast message: a market-data update (``len(quote_json(0))`` bytes of JSON).

    ``seq`` comes first: the benchmark's clients read it off the start of each frame.
    """

    seq: int
    sent_at: float
    symbol: str
    exchange: str
    currency: str
    bid: float
    ask: float
    last: float
    volume: int
    bids: list[Level]
    asks: list[Level]
    venue_note: str


def quote(seq: int) -> Quote:
    """The ``seq``-th message, stamped with the time it is made."""
    return Quote(
        seq=seq,
        sent_at=time.monotonic(),
        symbol="ACME",
        exchange="XNAS",
        currency="USD",
        bid=101.25,
        ask=101.27,
        last=101.26,
        volume=1_234_567 + seq,
        bids=[Level(price=round(101.25 - i / 100, 2), size=100 * (i + 1)) for i in range(4)],
        asks=[Level(price=round(101.27 + i / 100, 2), size=100 * (i + 1)) for i in range(4)],
        venue_note="regular session",
    )


def quote_json(seq: int) -> str:
    """The ``seq``-th message as the socketsundso system sends it."""
    return quote(seq).model_dump_json()


class Fans(WebSocketHandlingEndpoint):
    """Members of ``GROUP`` from the moment they connect; they only listen."""

    async def on_connect(self) -> None:
        await self.websocket.accept()
        await self.join(GROUP)


async def _socketsundso_broadcast(message: Quote) -> None:
    await Fans.broadcast(GROUP, message)


_naive_members: list[WebSocket] = []


class NaiveFans(WebSocketEndpoint):
    """Hand-written: each connection in a list from the moment it connects."""

    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        _naive_members.append(websocket)

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        _naive_members.remove(websocket)


async def _naive_broadcast(message: Quote) -> None:
    for websocket in list(_naive_members):  # a copy: members may leave while we await
        try:
            await websocket.send_json(message.model_dump())
        except Exception:  # a member gone mid-loop: the others still get it
            continue


async def _floor_broadcast(message: Quote) -> None:
    text = message.model_dump_json()
    for websocket in list(_naive_members):
        try:
            await websocket.send_text(text)
        except Exception:  # a member gone mid-loop: the others still get it
            continue


class GarbageCollections:
    """The collections the cyclic garbage collector made, and the seconds they took."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


def app_for(system: str) -> Starlette:
    """The app of ``system``: its ``/ws`` endpoint, ``/burst`` and ``/stats``."""
    broadcast: Callable[[Quote], Awaitable[None]]
    if system == "socketsundso":
        endpoint: Any = Fans
        broadcast = _socketsundso_broadcast

        def members() -> int:
            return Fans.groups.members(GROUP)
    else:
        endpoint = NaiveFans
        broadcast = _naive_broadcast if system == "naive" else _floor_broadcast

        def members() -> int:
            return len(_naive_members)

    collections = GarbageCollections()
    profile_path = os.environ.get("FANOUT_PROFILE")
    profiler = cProfile.Profile() if profile_path else None

    async def burst(request: Request) -> JSONResponse:
        first = int(request.query_params["first"])
        count = int(request.query_params["count"])
        if profiler is not None:
            profiler.enable()
        sent = []
        for seq in range(first, first + count):
            message = quote(seq)
            sent.append(message.sent_at)
            await broadcast(message)
        return JSONResponse({"sent": sent, "returned": time.monotonic()})

    async def stats(request: Request) -> JSONResponse:
        cpu_ns = time.process_time_ns()
        if profiler is not None and profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)
        figures: dict[str, Any] = {
            "cpu_ns": cpu_ns,
            "members": members(),
            "gc_collections": collections.collections,
            "gc_seconds": collections.seconds,
        }
        if system == "socketsundso":
            figures["counters"] = dataclasses.asdict(Fans.outgoing_counters)
        return JSONResponse(figures)

    return Starlette(
        routes=[
            WebSocketRoute("/ws", endpoint),
            Route("/burst", burst, methods=["POST"]),
            Route("/stats", stats),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=SYSTEMS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="RedisGroups(URL) as the socketsundso hub")
    parser.add_argument("--history", action="store_true", help="a hub with History()")
    args = parser.parse_args()
    from socketsundso.groups import History, MemoryGroups

    history = History() if args.history else None
    if args.redis:
        from socketsundso.groups import RedisGroups

        Fans.groups = RedisGroups(args.redis, history=history)
    elif history is not None:
        Fans.groups = MemoryGroups(history=history)
    raise_file_limit()
    import uvicorn

    settings = ServeSettings(max_size=Fans.max_message_size, ping_interval=None, ping_timeout=None)
    uvicorn.run(
        app_for(args.system),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        backlog=4096,
        **settings.uvicorn_options(),
    )


if __name__ == "__main__":
    main()
