"""Connection benchmark: what a connection costs as the API grows, beside hand-written Starlette.

Four measurements, each printed as ratios against a baseline measured in the same run:

- ``lifecycle``: in process, through fake ASGI callables (connect, accept, one echo
  message and its reply, disconnect), CPU µs per connection; the systems' rounds
  interleaved, medians reported. Endpoints of 1, 10 and 100 handlers beside Starlette's
  own ``WebSocketEndpoint`` with one pydantic model (the hand-written bar).
- ``memory``: bytes an open, idle connection holds (after one message), by tracemalloc
  over ``--idle`` connections held open at once, per connection.
- ``storm``: over real sockets, a reconnect storm. uvicorn serves each system on
  127.0.0.1 in its own process; ``--clients`` ``websockets`` clients connect at once,
  each sends one message; reported: seconds until all have their reply, the server's
  peak RSS (VmHWM).
- ``startup``: seconds to make an endpoint class of 100 and 500 handlers, and to attach
  100 and 200 functions with ``Endpoint.on_event`` (linear attaching: 200 cost about
  twice 100).

Goals (issue 12): 100 handlers within 1.1x of 1 handler in time and memory; the
1-handler lifecycle within 1.5x of the hand-written one; attaching linear.

    .venv/bin/python bench/connections.py                  # everything
    .venv/bin/python bench/connections.py --only lifecycle --only memory
    .venv/bin/python bench/connections.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from connection_systems import (
    endpoint_with,
    filler_function,
    handwritten_app,
    socketsundso_app,
)
from runtime_harness import _CONNECT, _SCOPE, FRAME, check_app, run_connection

BENCH = Path(__file__).resolve().parent
SYSTEMS: dict[str, Callable[[], Any]] = {
    "handwritten": lambda: handwritten_app,
    "socketsundso-1": lambda: socketsundso_app(1),
    "socketsundso-10": lambda: socketsundso_app(10),
    "socketsundso-100": lambda: socketsundso_app(100),
}
MEASUREMENTS = ("lifecycle", "memory", "storm", "startup")


def _one_connection(loop: asyncio.AbstractEventLoop, app: Any) -> int:
    """Serve one connection: connect, one echo frame, disconnect; return the sends made."""
    return run_connection(loop, app, 1)


def lifecycle(loop: asyncio.AbstractEventLoop, connections: int, rounds: int) -> dict[str, Any]:
    """CPU µs per connection of each system: medians of interleaved rounds."""
    apps = {name: make() for name, make in SYSTEMS.items()}
    for name, app in apps.items():
        problems = check_app(loop, app, validates=True)
        if problems:
            raise SystemExit(f"{name} answered wrongly: {problems}")
        for _ in range(200):  # warm up
            _one_connection(loop, app)
    samples: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            gc.collect()
            start = time.thread_time_ns()
            for _ in range(connections):
                if _one_connection(loop, app) != 2:
                    raise SystemExit(f"{name}: a connection missed its accept or reply")
            samples[name].append((time.thread_time_ns() - start) / connections / 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


class _IdleClient:
    """A fake client that connects, sends the echo frame once, then never sends again."""

    def __init__(self, forever: asyncio.Future[None]) -> None:
        self.frames = iter([_CONNECT, {"type": "websocket.receive", "text": FRAME}])
        self.forever = forever
        self.sends = 0

    async def receive(self) -> dict[str, Any]:
        frame = next(self.frames, None)
        if frame is None:
            await self.forever
            raise RuntimeError("the idle client never sends again")
        return frame

    async def send(self, message: dict[str, Any]) -> None:
        self.sends += 1


def idle_memory(loop: asyncio.AbstractEventLoop, connections: int) -> dict[str, Any]:
    """Bytes each system holds per open connection that has handled one message and waits."""
    result: dict[str, float] = {}
    for name, make in SYSTEMS.items():
        app = make()
        _one_connection(loop, app)  # build anything lazily made once per class first
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        forever: asyncio.Future[None] = loop.create_future()
        clients = [_IdleClient(forever) for _ in range(connections)]
        tasks = [loop.create_task(app(dict(_SCOPE), c.receive, c.send)) for c in clients]
        loop.run_until_complete(asyncio.sleep(0.05))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        if any(client.sends != 2 for client in clients):
            raise SystemExit(f"{name}: an idle connection missed its accept or reply")
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        # Each idle client is a fixed cost of the harness, the same for every system.
        result[name] = held / connections
    return result


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/PID/status")


async def _storm_clients(url: str, clients: int) -> float:
    """Connect ``clients`` clients at once, each sends the echo frame; seconds until all replied."""
    import websockets

    expected = json.loads(FRAME)
    start = time.perf_counter()

    async def one() -> None:
        async with websockets.connect(url, open_timeout=60, max_queue=4) as ws:
            await ws.send(FRAME)
            reply = json.loads(await ws.recv())
            if reply != expected:
                raise RuntimeError(f"wrong reply {reply!r}")
            done.append(time.perf_counter())
            await all_done.wait()

    done: list[float] = []
    all_done = asyncio.Event()
    tasks = [asyncio.create_task(one()) for _ in range(clients)]
    while len(done) < clients:
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed:
            all_done.set()
            raise RuntimeError(f"a client failed: {failed[0].exception()!r}")
        await asyncio.sleep(0.01)
    elapsed = max(done) - start
    all_done.set()
    await asyncio.gather(*tasks)
    return elapsed


def storm(clients: int, rounds: int) -> dict[str, Any]:
    """Reconnect storms against uvicorn: median seconds until every client has its reply.

    Each system runs in its own uvicorn process, all started first; the rounds rotate
    over the systems so drift on the machine hits them alike. Peak RSS is the server's
    high-water mark over all its rounds.
    """
    from tests.servers import free_port

    names = ("handwritten", "socketsundso_1", "socketsundso_100")
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    samples: dict[str, list[float]] = {name: [] for name in names}
    try:
        for name in names:
            port = free_port()
            command = [
                *(sys.executable, "-m", "uvicorn", f"connection_systems:{name}"),
                *("--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port)),
                *("--log-level", "warning", "--backlog", str(clients * 2)),
            ]
            servers[name] = (subprocess.Popen(command, cwd=BENCH.parent), port)
        for _, port in servers.values():
            _wait_for_port(port)
        idle = {name: _peak_rss_kib(server.pid) for name, (server, _) in servers.items()}
        for _ in range(rounds):
            for name, (_, port) in servers.items():
                url = f"ws://127.0.0.1:{port}/ws"
                samples[name].append(asyncio.run(_storm_clients(url, clients)))
        return {
            name: {
                "seconds": statistics.median(samples[name]),
                "rounds_seconds": samples[name],
                "peak_rss_mib": _peak_rss_kib(server.pid) / 1024,
                "idle_rss_mib": idle[name] / 1024,
            }
            for name, (server, _) in servers.items()
        }
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not listen on {port}")


def startup() -> dict[str, float]:
    """Seconds to make classes of 100/500 handlers and to attach 100/200 functions.

    Class creation is also timed with the cyclic garbage collector paused: the
    collector walks the whole heap, which grows with every model made, so with it on
    the cost per handler grows with the size of the program, not of socketsundso's work.
    """
    result: dict[str, float] = {}
    for paused in (False, True):
        suffix = "_gc_paused" if paused else ""
        for count in (100, 500):
            gc.collect()
            if paused:
                gc.disable()
            start = time.perf_counter()
            endpoint_with(count, name=f"Startup{count}")
            result[f"class_{count}{suffix}"] = time.perf_counter() - start
            gc.enable()
    for count in (100, 200):
        base = endpoint_with(1, name=f"Attach{count}")
        functions = [filler_function(index, method=False) for index in range(1, count + 1)]
        start = time.perf_counter()
        for index, function in enumerate(functions, 1):
            base.on_event(f"e{index}")(function)
        # The first connection after attaching pays for anything built lazily.
        _one_connection(asyncio.new_event_loop(), base)
        result[f"attach_{count}"] = time.perf_counter() - start
    return result


def report(figures: dict[str, Any]) -> None:
    """Print the figures as a table of ratios."""
    if "lifecycle" in figures:
        life = figures["lifecycle"]
        bar = life["handwritten"]
        print("lifecycle (connect, 1 message, disconnect), CPU µs/connection, median:")
        for name, value in life.items():
            print(f"  {name:<18} {value:8.2f} µs   {value / bar:5.2f}x hand-written")
        print(
            f"  100 handlers / 1 handler: {life['socketsundso-100'] / life['socketsundso-1']:.2f}x"
            "  (goal <= 1.1x)"
        )
        print(f"  1 handler / hand-written: {life['socketsundso-1'] / bar:.2f}x  (goal <= 1.5x)")
    if "memory" in figures:
        memory = figures["memory"]
        print("idle connection, bytes held (tracemalloc):")
        for name, value in memory.items():
            print(
                f"  {name:<18} {value / 1024:8.2f} KiB "
                f"{value / memory['handwritten']:5.2f}x hand-written"
            )
        print(
            f"  100 handlers / 1 handler: "
            f"{memory['socketsundso-100'] / memory['socketsundso-1']:.2f}x  (goal <= 1.1x)"
        )
    if "storm" in figures:
        storm_figures = figures["storm"]
        bar = storm_figures["handwritten"]
        print("reconnect storm over 127.0.0.1 (uvicorn, websockets clients):")
        for name, value in storm_figures.items():
            seconds = value["seconds"]
            print(
                f"  {name:<18} {seconds:6.2f} s ({seconds / bar['seconds']:4.2f}x)"
                f"   peak RSS {value['peak_rss_mib']:6.1f} MiB "
                f"({value['peak_rss_mib'] / bar['peak_rss_mib']:4.2f}x)"
            )
    if "startup" in figures:
        start = figures["startup"]
        print("start-up (ms per handler or function):")
        for label, key in (("class", "class_{}"), ("class, GC paused", "class_{}_gc_paused")):
            small, large = start[key.format(100)], start[key.format(500)]
            print(
                f"  {label:<17} 100: {small * 10:.2f}  500: {large * 2:.2f}"
                f"  ({large / small:.2f}x the time for 5x the handlers)"
            )
        small, large = start["attach_100"], start["attach_200"]
        print(
            f"  attach            100: {small * 10:.2f}  200: {large * 5:.2f}"
            f"  ({large / small:.2f}x the time for 2x the functions; linear is 2x)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=MEASUREMENTS)
    parser.add_argument("--connections", type=int, default=2000, help="per lifecycle round")
    parser.add_argument("--rounds", type=int, default=7, help="lifecycle rounds")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections held")
    parser.add_argument("--clients", type=int, default=2000, help="reconnect storm clients")
    parser.add_argument("--storms", type=int, default=3, help="reconnect storms per system")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    chosen = args.only or MEASUREMENTS
    figures: dict[str, Any] = {}
    loop = asyncio.new_event_loop()
    if "lifecycle" in chosen:
        figures["lifecycle"] = lifecycle(loop, args.connections, args.rounds)
    if "memory" in chosen:
        figures["memory"] = idle_memory(loop, args.idle)
    loop.close()
    if "startup" in chosen:
        figures["startup"] = startup()
    if "storm" in chosen:
        figures["storm"] = storm(args.clients, args.storms)
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
