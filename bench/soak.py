"""Soak: hold 1,000 connections to uvicorn on 127.0.0.1 and push messages for minutes.

Not part of CI. The server (``tests.hardening.apps:load_app``) runs in a
subprocess; its resident memory is read from ``/proc/<pid>/status`` every
``--sample`` seconds. Each connection keeps ``--window`` messages in flight (one
in ten invalid, as in the load test) and checks every answer against what it
sent. Prints the memory at start and end, the growth per sample (it must level
off, not climb), messages/second, and lost/wrong answers (must be 0).

    .venv/bin/python bench/soak.py --minutes 3

Figures also go to ``artifacts/hardening-soak.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from tests.hardening.figures import write_figures  # noqa: E402
from tests.hardening.load import frame  # noqa: E402
from tests.hardening.process import ServerProcess, serve_in_process  # noqa: E402

#: Distinct messages each connection cycles through (the pattern repeats after them).
CYCLE = 100


class Counters:
    """Messages answered, errors, and answers that didn't match, across all connections."""

    def __init__(self) -> None:
        self.replies = 0
        self.errors = 0
        self.wrong = 0


def raise_fd_limit(needed: int) -> int:
    """Raise this process's open-file limit to ``needed`` if the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = min(needed, hard) if hard != resource.RLIM_INFINITY else needed
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


async def pump(
    ws: ClientConnection, connection: int, window: int, stop: float, counters: Counters
) -> None:
    """Send ``window`` messages, read their answers, check them; again until ``stop``."""
    frames = [frame(connection, seq) for seq in range(CYCLE)]
    seq = 0
    while time.monotonic() < stop:
        batch = [frames[(seq + n) % CYCLE] for n in range(window)]
        seq += window
        for text, _ in batch:
            await ws.send(text)
        for _, expected in batch:
            reply = json.loads(await ws.recv())
            counters.replies += 1
            if "errors" in reply:
                counters.errors += 1
                ok = reply.get("id") == expected.get("id") and expected.get("errors") is True
            else:
                ok = reply == expected
            counters.wrong += not ok


async def soak(server: ServerProcess, args: argparse.Namespace) -> dict[str, Any]:
    """Open the connections, pump for ``args.minutes``, sample memory; return the figures."""
    url = f"{server.url}/ws"
    rss_idle = server.rss_kib()
    sockets: list[ClientConnection] = []
    for start in range(0, args.connections, 100):
        batch = range(start, min(start + 100, args.connections))
        sockets += await asyncio.gather(
            *(connect(url, compression=None, max_queue=None, open_timeout=60) for _ in batch)
        )
    rss_connected = server.rss_kib()
    print(f"{len(sockets)} connections open; server RSS {rss_idle} KiB idle, {rss_connected} KiB")

    counters = Counters()
    began = time.monotonic()
    stop = began + args.minutes * 60
    pumps = [
        asyncio.create_task(pump(ws, n, args.window, stop, counters))
        for n, ws in enumerate(sockets)
    ]
    samples: list[dict[str, Any]] = []
    previous_rss, previous_replies, previous_t = rss_connected, 0, began
    while time.monotonic() < stop:
        await asyncio.sleep(min(args.sample, max(0.0, stop - time.monotonic())))
        now, rss, replies = time.monotonic(), server.rss_kib(), counters.replies
        sample = {
            "t_s": round(now - began),
            "rss_kib": rss,
            "growth_kib": rss - previous_rss,
            "msgs_per_s": round((replies - previous_replies) / (now - previous_t)),
        }
        samples.append(sample)
        print(json.dumps(sample), flush=True)
        previous_rss, previous_replies, previous_t = rss, replies, now
    results = await asyncio.gather(*pumps, return_exceptions=True)
    duration = time.monotonic() - began
    open_at_end = sum(ws.close_code is None for ws in sockets)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    return {
        "connections": len(sockets),
        "connections_open_at_end": open_at_end,
        "connection_failures": [repr(r) for r in results if isinstance(r, BaseException)][:5],
        "minutes": args.minutes,
        "window": args.window,
        "messages": counters.replies,
        "errors": counters.errors,
        "wrong": counters.wrong,
        "msgs_per_s": round(counters.replies / duration),
        "rss_kib_idle": rss_idle,
        "rss_kib_start": rss_connected,
        "rss_kib_end": samples[-1]["rss_kib"] if samples else rss_connected,
        "growth_kib_first_third": sum(s["growth_kib"] for s in first),
        "growth_kib_last_third": sum(s["growth_kib"] for s in last),
        "samples": samples,
    }


def main() -> None:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to push messages")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--window", type=int, default=5, help="messages in flight per connection")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    args = parser.parse_args()
    limit = raise_fd_limit(args.connections + 256)
    print(f"open-file limit: {limit}")
    with serve_in_process(
        "tests.hardening.apps:load_app", extra_args=("--backlog", "4096")
    ) as server:
        figures = asyncio.run(soak(server, args))
    path = write_figures("hardening-soak", figures)
    summary = {k: v for k, v in figures.items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
