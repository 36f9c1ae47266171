"""Fuzz, long profile: the hardening fuzzer's strategies with many more examples.

Same frames and property as ``tests/hardening/test_fuzz.py`` (the strategies live
in ``tests/hardening/strategies.py``): every frame gets exactly one reply, valid
messages their exact answer, no handler sees an ill-typed value, and the
connection survives to answer a final message. In process (Starlette's
TestClient) by default; ``--socket`` runs it over uvicorn on 127.0.0.1 with a
``websockets`` client instead (text frames that aren't valid UTF-8 can't be sent
as text there; they go as binary frames).

    .venv/bin/python bench/fuzz.py --examples 5000 [--socket]

Prints and writes figures to ``artifacts/hardening-fuzz[-socket].json``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from tests.hardening.apps import app_of  # noqa: E402
from tests.hardening.figures import write_figures  # noqa: E402
from tests.hardening.strategies import (  # noqa: E402
    FINAL,
    Frame,
    FuzzEndpoint,
    check_replies,
    frames,
)
from tests.hardening.test_fuzz import exchange  # noqa: E402
from tests.servers import serve  # noqa: E402

Exchange = Callable[[list[Frame]], list[str]]


def in_process() -> tuple[Exchange, Callable[[], None]]:
    """Exchange frames with the endpoint through Starlette's TestClient."""
    client = TestClient(app_of(FuzzEndpoint))

    def run(sent: list[Frame]) -> list[str]:
        with client.websocket_connect("/ws") as ws:
            return exchange(ws, sent)

    return run, lambda: None


def over_socket() -> tuple[Exchange, Callable[[], None]]:
    """Exchange frames with the endpoint served by uvicorn on 127.0.0.1."""
    server = serve(app_of(FuzzEndpoint))
    url = f"{server.__enter__()}/ws"
    loop = asyncio.new_event_loop()

    async def session(sent: list[Frame]) -> list[str]:
        async with connect(url, compression=None, max_size=None) as ws:
            for frame in sent:
                data = frame.data
                if isinstance(data, str):
                    try:
                        data.encode("utf-8")
                    except UnicodeEncodeError:
                        data = data.encode("utf-8", "surrogatepass")
                await ws.send(data)
            await ws.send(json.dumps(FINAL))
            replies: list[str] = []
            with anyio.fail_after(30):
                while len(replies) <= len(sent):
                    reply = await ws.recv()
                    replies.append(reply if isinstance(reply, str) else reply.decode())
                    if json.loads(replies[-1]).get("id") == FINAL["id"] and "pong" in reply:
                        break
            return replies

    def close() -> None:
        loop.close()
        server.__exit__(None, None, None)

    return lambda sent: loop.run_until_complete(session(sent)), close


def main() -> None:
    """Run the long fuzz profile and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="hypothesis examples")
    parser.add_argument("--max-frames", type=int, default=16, help="frames per example, at most")
    parser.add_argument("--socket", action="store_true", help="over uvicorn on 127.0.0.1")
    args = parser.parse_args()

    run, close = over_socket() if args.socket else in_process()
    tally: collections.Counter[str] = collections.Counter()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(frames(), min_size=1, max_size=args.max_frames))
    def fuzz(sent: list[Frame]) -> None:
        FuzzEndpoint.reset()
        replies = run(sent)
        check_replies(sent, replies)
        tally["examples"] += 1
        tally["frames"] += len(sent)
        tally["binary frames"] += sum(frame.kind == "bytes" for frame in sent)
        for reply in map(json.loads, replies[:-1]):
            errors = reply.get("errors")
            tally[f"error: {errors[0]['type']}" if errors else "answered"] += 1

    start = time.perf_counter()
    try:
        fuzz()
    finally:
        close()
    figures = {
        "transport": "uvicorn + websockets" if args.socket else "in process (TestClient)",
        "duration_s": round(time.perf_counter() - start, 1),
        "property_held": True,
        **dict(tally.most_common()),
    }
    name = "hardening-fuzz-socket" if args.socket else "hardening-fuzz"
    path = write_figures(name, figures)
    print(json.dumps(figures, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
