"""Attack benchmark: what a hostile message costs the server, against a valid one of its size.

uvicorn serves an endpoint on 127.0.0.1 in a thread of this process; the ``websockets``
client sends each attack ``--rounds`` times. The server thread's CPU time is read from
its own clock, so the figures are the server's work per message (parsing, validation,
the reply), compared with a valid message of the same size in the same run. Also: the
worst round trip of a second client's ping while one client floods invalid messages.

    .venv/bin/python bench/attacks.py               # the table
    .venv/bin/python bench/attacks.py --json        # and the figures as JSON

Goal (issue 9): no attack above 3x the valid message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: a checkout to compare

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import connect

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.servers import serve

SIZE = 1_000_000


class Target(WebSocketHandlingEndpoint):
    """A list, a text and a dict handler, and a ping."""

    @on_event
    async def nums(self, nums: list[int]) -> dict[str, int]:
        """Count the numbers."""
        return {"count": len(nums)}

    @on_event
    async def text(self, text: str) -> dict[str, int]:
        """Measure the text."""
        return {"length": len(text)}

    @on_event
    async def grid(self, cells: dict[str, int]) -> dict[str, int]:
        """Count the cells."""
        return {"cells": len(cells)}

    @on_event
    async def ping(self) -> dict[str, Any]:
        """Answer at once."""
        return {}


def _dict_of(value: Any, count: int) -> str:
    cells = {f"c{i:06}": value for i in range(count)}
    return json.dumps({"type": "grid", "id": 1, "cells": cells})


def _padded(key: str, item: Any) -> str:
    one = len(json.dumps(item)) + 2
    return json.dumps({"type": "nums", "id": 1, key: [item] * (SIZE // one)})


ATTACKS = {
    "valid list of ints (the bar)": _padded("nums", 7),
    "list of 250,000 wrong items": _padded("nums", "x"),
    "70,000 unknown keys": json.dumps(
        {"type": "text", "id": 1, "text": "a", **{f"k{i:06}": 1 for i in range(70_000)}}
    ),
    "unknown type of 500 KB": json.dumps({"type": "x" * 500_000, "id": 1}),
    # 960 KB each: "c000000": "x" is 2 bytes longer than "c000000": 7.
    "valid dict of 68,571 ints": _dict_of(7, 68_571),
    "60,000 wrong dict values": _dict_of("x", 60_000),
}


def _server_clock(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for thread in threading.enumerate():
        if thread.name == f"uvicorn:{port}" and thread.ident is not None:
            return time.pthread_getcpuclockid(thread.ident)
    raise RuntimeError("no uvicorn thread")


async def _measure(url: str, rounds: int) -> dict[str, Any]:
    clock = _server_clock(url)
    figures: dict[str, Any] = {}
    async with connect(f"{url}/ws", max_size=None, compression=None) as ws:
        for name, frame in ATTACKS.items():
            costs = []
            for _ in range(rounds):
                start = time.clock_gettime(clock)
                await ws.send(frame)
                reply = await ws.recv()
                costs.append(time.clock_gettime(clock) - start)
            costs.sort()
            figures[name] = {"cpu_ms": costs[len(costs) // 2] * 1000, "reply_bytes": len(reply)}
    async with connect(f"{url}/ws", max_size=None) as flood, connect(f"{url}/ws") as calm:
        for _ in range(10):
            await flood.send(ATTACKS["list of 250,000 wrong items"])
        worst = 0.0
        for _ in range(10):
            start = time.perf_counter()
            await calm.send('{"type": "ping"}')
            await calm.recv()
            worst = max(worst, time.perf_counter() - start)
            await asyncio.sleep(0.05)
        for _ in range(10):
            await flood.recv()
    figures["worst ping during a flood of 10 wrong lists"] = {"ms": worst * 1000}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="sends of each attack (median)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    app = Starlette(routes=[WebSocketRoute("/ws", Target)])
    with serve(app, ws_max_size=4 * SIZE) as url:
        figures = asyncio.run(_measure(url, args.rounds))
    bar = figures["valid list of ints (the bar)"]["cpu_ms"]
    print(f"{'message (about 1 MB)':<44} {'server CPU':>11} {'vs valid':>9} {'reply':>12}")
    for name, measured in figures.items():
        if "cpu_ms" in measured:
            print(
                f"{name:<44} {measured['cpu_ms']:8.1f} ms {measured['cpu_ms'] / bar:8.2f}x"
                f" {measured['reply_bytes']:>10,} B"
            )
        else:
            print(f"{name:<44} {measured['ms']:8.1f} ms")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
