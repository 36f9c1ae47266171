"""Serving under attack: uvicorn's defaults against ``python -m socketsundso serve``.

Each configuration runs in a fresh server subprocess on 127.0.0.1 serving
``tests.serving.apps:app``; its memory is read from ``/proc/<pid>/status`` (VmHWM,
the peak resident set). Three attacks from issue 9:

- **ping flood**: clients send 125-byte pings as fast as the server reads them and
  never read the pongs (for 30 s: the kernel's socket buffers absorb the first
  seconds, and a slow parser, like wsproto's, looks bounded in a short run);
- **compression bomb**: clients offer permessage-deflate and send text frames of
  about 15 KiB that inflate to 15 MiB each, reconnecting whenever closed;
- **shutdown**: a client asks for a stream of replies and never reads; the server
  gets SIGTERM; how long until it exits (capped);
- **slowloris** (issue 20): 1,000 connections each send part of a handshake head, then
  one byte every 5 s; how many the server still holds open after ``--slow-seconds``.

After each attack a normal client must still be answered. ``--cost-rounds``
measures what each implementation costs the server (issue 20): server CPU per
message (``/proc/<pid>/stat``) with 50 connections each keeping 100 messages in
flight, rounds interleaved, reported as a ratio to ``websockets-sansio`` under
serve's settings. ``--idle`` measures the memory of idle connections under serve.
First, what serve costs a normal load: the load test's 200 clients pipelining 500
messages each, under uvicorn's defaults and under serve. Every uvicorn WebSocket
implementation installed is measured, with its defaults and with serve's settings,
to choose the one ``serve`` uses; the last row is ``serve`` itself.

    .venv/bin/python bench/serving.py [--seconds 10] [--ping-seconds 30] [--clients 20]

Figures also go to ``artifacts/serving.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from socketsundso.serving import ServeSettings  # noqa: E402
from tests.hardening.figures import write_figures  # noqa: E402
from tests.hardening.load import run_load  # noqa: E402
from tests.serving.apps import app  # noqa: E402
from tests.serving.attacks import (  # noqa: E402
    PING,
    bomb_frame,
    flood,
    frame,
    handshake,
    idle_connections,
    slow_heads,
)
from tests.serving.process import (  # noqa: E402
    Server,
    free_port,
    running,
    serve_command,
    uvicorn_command,
)

#: How long SIGTERM may take before the server is killed and the shutdown counted as hung.
SHUTDOWN_CAP = 30.0

#: 64 pings of 125 bytes, sent as one buffer.
PINGS = frame(PING, b"p" * 125) * 64


def implementations() -> list[str]:
    """uvicorn's WebSocket implementations whose library is installed."""
    found = ["websockets-sansio", "websockets"]
    if importlib.util.find_spec("wsproto") is not None:
        found.append("wsproto")
    return found


async def _normal_client(url: str) -> bool:
    try:
        async with connect(f"{url}/ws", open_timeout=10, close_timeout=2) as ws:
            await ws.send('{"type": "echo", "text": "hello"}')
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
    except Exception:  # any failure counts as not served
        return False
    return bool(answer == {"type": "echo", "length": 5})


def served(server: Server) -> bool:
    """Whether a normal client gets its answer from ``server`` right now."""
    return asyncio.run(_normal_client(server.url))


def ping_flood(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    """Ping without reading pongs; the server's peak memory."""
    sent = flood(server.port, clients, seconds, PINGS)
    return {"sent_mib": round(sent / 2**20, 1)}


def compression_bomb(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    """Send frames inflating to 15 MiB, reconnecting; the server's peak memory."""
    bomb = bomb_frame(15 * 2**20)
    sent = flood(server.port, clients, seconds, bomb, deflate=True, reconnect=True)
    return {"frame_kib": round(len(bomb) / 1024, 1), "frames_sent": sent // len(bomb)}


def shutdown(server: Server) -> dict[str, Any]:
    """SIGTERM while a client that never reads has asked for a stream of replies."""
    sock, _ = handshake(server.port, receive_buffer=4096)
    with sock:
        sock.sendall(frame(0x1, b'{"type": "stream", "count": 100000, "size": 1024}'))
        time.sleep(2)  # the server fills the socket buffers and blocks on sending
        seconds = server.stop(SHUTDOWN_CAP)
    return {"exit_s": None if seconds is None else round(seconds, 2)}


def slowloris(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    """Partial handshake heads trickled a byte every 5 s: how many stay open, how long."""
    closed_after = slow_heads(server.port, clients, interval=5.0, seconds=seconds)
    closed = [after for after in closed_after if after is not None]
    return {
        "clients": clients,
        "still_open": len(closed_after) - len(closed),
        "latest_close_s": round(max(closed), 1) if closed else None,
    }


def measure(
    command: Callable[[int], list[str]],
    attack: Callable[[Server], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``attack`` against a fresh server; memory before, peak, and a normal client after."""
    port = free_port()
    with running(command(port)) as server:
        time.sleep(0.5)
        before = server.rss_kib()
        figures = attack(server)
        if server.process.poll() is None:
            figures["peak_mib"] = round(server.peak_kib() / 1024, 1)
            figures["rss_before_mib"] = round(before / 1024, 1)
            figures["served_after"] = served(server)
    return figures


#: The load test's app (``tests/hardening``): what a normal load costs under each setting.
LOAD_APP = "tests.hardening.apps:load_app"


def normal_load(command: Callable[[int], list[str]]) -> dict[str, Any]:
    """200 clients pipelining 500 messages each (one in ten invalid): messages/second."""
    port = free_port()
    with running(command(port)) as server:
        figures = asyncio.run(run_load(f"{server.url}/ws", connections=200, messages=500))
    data = figures.as_dict()
    return {key: data[key] for key in ("msgs_per_s", "lost", "wrong", "problems")}


def load_comparison(rounds: int) -> dict[str, list[dict[str, Any]]]:
    """The normal load under uvicorn's defaults and under serve, rounds interleaved."""
    commands: dict[str, Callable[[int], list[str]]] = {
        "uvicorn defaults": lambda p: uvicorn_command(p, app=LOAD_APP),
        "uvicorn defaults, deflate off": lambda p: uvicorn_command(
            p, "--ws-per-message-deflate", "false", app=LOAD_APP
        ),
        "python -m socketsundso serve": lambda p: serve_command(p, app=LOAD_APP),
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            results[name].append(normal_load(command))
            print(f"{name:42} normal load       {results[name][-1]}", flush=True)
    return results


def _cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` so far, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _windowed(url: str, connections: int, window: int, messages: int) -> int:
    """``connections`` clients, each keeping ``window`` echoes in flight; answers received."""

    async def client() -> int:
        async with connect(url, compression=None, max_queue=None, open_timeout=30) as ws:
            text = json.dumps({"type": "echo", "seq": 1, "text": "hello"})
            for _ in range(window):
                await ws.send(text)
            for sent in range(window, messages + window):
                await ws.recv()
                if sent < messages:
                    await ws.send(text)
        return messages

    return sum(await asyncio.gather(*(client() for _ in range(connections))))


def cpu_per_message(
    command: Callable[[int], list[str]], connections: int, window: int, messages: int
) -> float:
    """Server CPU µs per message: ``connections`` x ``messages`` echoes, ``window`` in flight."""
    port = free_port()
    with running(command(port)) as server:
        asyncio.run(_windowed(f"{server.url}/ws", 2, 10, 100))  # warm up
        before = _cpu_seconds(server.process.pid)
        answered = asyncio.run(_windowed(f"{server.url}/ws", connections, window, messages))
        spent = _cpu_seconds(server.process.pid) - before
    return spent / answered * 1e6


def cost_comparison(rounds: int, messages: int) -> dict[str, Any]:
    """Server CPU per message of each implementation under serve's settings, interleaved.

    The ratio is each implementation's median against ``websockets-sansio``'s.
    """
    flags = ServeSettings.for_app(app).uvicorn_flags()
    commands: dict[str, Callable[[int], list[str]]] = {
        "websockets-sansio": lambda p: uvicorn_command(
            p, *flags, "--ws", "websockets-sansio", app=LOAD_APP
        ),
        "websockets": lambda p: uvicorn_command(p, *flags, "--ws", "websockets", app=LOAD_APP),
        "python -m socketsundso serve": lambda p: serve_command(p, app=LOAD_APP),
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            samples[name].append(cpu_per_message(command, 50, 100, messages))
            print(f"{name:42} server CPU        {samples[name][-1]:.1f} µs/msg", flush=True)
    bar = statistics.median(samples["websockets-sansio"])
    return {
        name: {
            "us_per_msg": [round(sample, 2) for sample in values],
            "median_us_per_msg": round(statistics.median(values), 2),
            "ratio_to_sansio": round(statistics.median(values) / bar, 3),
        }
        for name, values in samples.items()
    }


def idle_memory(command: Callable[[int], list[str]], connections: int) -> dict[str, Any]:
    """The server's resident memory with ``connections`` idle WebSockets, per connection.

    Each connection finishes its handshake, sends one echo and reads its answer (so
    the endpoint's per-connection state exists), then stays quiet.
    """
    port = free_port()
    with running(command(port)) as server:
        served(server)  # warm up: the first connection's one-off allocations
        before = server.rss_kib()
        held = idle_connections(port, connections)
        try:
            time.sleep(1.0)
            after = server.rss_kib()
        finally:
            for sock in held:
                sock.close()
    return {
        "connections": connections,
        "rss_before_mib": round(before / 1024, 1),
        "rss_after_mib": round(after / 1024, 1),
        "kib_per_connection": round((after - before) / connections, 1),
    }


def growth(figures: dict[str, Any]) -> float:
    """How far an attack raised the server's peak memory above its idle size, in MiB."""
    return float(figures["peak_mib"] - figures["rss_before_mib"])


def summary(results: dict[str, dict[str, Any]]) -> list[str]:
    """uvicorn's defaults (``--ws auto``: websockets-sansio) against serve, as ratios."""
    before = results["websockets-sansio, defaults"]
    after = results["python -m socketsundso serve"]
    lines = []
    for attack in ("ping flood", "compression bomb"):
        if attack not in before:
            continue
        b, a = before[attack], after[attack]
        lines.append(
            f"  {attack:18} peak {b['peak_mib']:7.1f} -> {a['peak_mib']:5.1f} MiB "
            f"({b['peak_mib'] / a['peak_mib']:.1f}x); growth {growth(b):7.1f} -> "
            f"{growth(a):5.1f} MiB ({growth(b) / max(growth(a), 0.1):.0f}x)"
        )
    if "slowloris" in before:
        slow_before, slow_after = before["slowloris"], after["slowloris"]
        lines.append(
            f"  {'slowloris':18} {slow_before['still_open']} of {slow_before['clients']} open "
            f"-> {slow_after['still_open']} (last closed at {slow_after['latest_close_s']} s)"
        )
    if "shutdown" not in before:
        return lines
    shutdown_before = before["shutdown"]["exit_s"]
    lines.append(
        f"  {'shutdown':18} {shutdown_before or f'> {SHUTDOWN_CAP:.0f}'} s -> "
        f"{after['shutdown']['exit_s']} s"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a bomb flood")
    parser.add_argument(
        "--ping-seconds",
        type=float,
        default=30.0,
        help="length of a ping flood (longer: kernel buffers hide the first seconds)",
    )
    parser.add_argument("--clients", type=int, default=20, help="attacking connections")
    parser.add_argument(
        "--slow-clients", type=int, default=1000, help="Slowloris connections (default: 1000)"
    )
    parser.add_argument(
        "--slow-seconds", type=float, default=50.0, help="how long the Slowloris attack lasts"
    )
    parser.add_argument(
        "--load-rounds",
        type=int,
        default=3,
        help="rounds of the normal load (200 clients x 500 messages) per server; 0: none",
    )
    parser.add_argument(
        "--cost-rounds",
        type=int,
        default=3,
        help="rounds of the CPU-per-message comparison of implementations; 0: none",
    )
    parser.add_argument(
        "--cost-messages", type=int, default=2000, help="messages per connection per cost round"
    )
    parser.add_argument(
        "--idle", type=int, default=0, help="idle connections to measure the memory of; 0: none"
    )
    parser.add_argument("--skip-attacks", action="store_true", help="measure the load only")
    parser.add_argument(
        "--only", default="", help="attack only the configurations whose name contains this"
    )
    parser.add_argument("--attack", default="", help="only the attacks whose name contains this")
    args = parser.parse_args()
    if args.load_rounds:
        write_figures("serving-load", load_comparison(args.load_rounds))
    if args.cost_rounds:
        costs = cost_comparison(args.cost_rounds, args.cost_messages)
        for name, figures in costs.items():
            print(
                f"{name:42} median {figures['median_us_per_msg']:6.1f} µs/msg, "
                f"{figures['ratio_to_sansio']:.3f}x websockets-sansio"
            )
        write_figures("serving-cost", costs)
    if args.idle:
        flags = ServeSettings.for_app(app).uvicorn_flags()
        idle = {
            "uvicorn websockets, serve's settings": idle_memory(
                lambda p: uvicorn_command(p, *flags, "--ws", "websockets"), args.idle
            ),
            "python -m socketsundso serve": idle_memory(serve_command, args.idle),
        }
        for name, figures in idle.items():
            print(f"{name:42} idle              {figures}", flush=True)
        write_figures("serving-idle", idle)
    if args.skip_attacks:
        return

    flags = ServeSettings.for_app(app).uvicorn_flags()
    configurations: dict[str, Callable[[int], list[str]]] = {}
    for ws in implementations():
        configurations[f"{ws}, defaults"] = lambda p, ws=ws: uvicorn_command(p, "--ws", ws)
        configurations[f"{ws}, serve's settings"] = lambda p, ws=ws: uvicorn_command(
            p, *flags, "--ws", ws
        )
    # Compression back on, the frame limit kept: websockets stops inflating at max_size.
    configurations["websockets, serve's settings, deflate on"] = lambda p: uvicorn_command(
        p, *flags, "--ws", "websockets", "--ws-per-message-deflate", "true"
    )
    configurations["python -m socketsundso serve"] = serve_command
    configurations = {name: c for name, c in configurations.items() if args.only in name}

    attacks: dict[str, Callable[[Server], dict[str, Any]]] = {
        "ping flood": lambda s: ping_flood(s, args.clients, args.ping_seconds),
        "compression bomb": lambda s: compression_bomb(s, args.clients, args.seconds),
        "shutdown": shutdown,
        "slowloris": lambda s: slowloris(s, args.slow_clients, args.slow_seconds),
    }
    attacks = {name: attack for name, attack in attacks.items() if args.attack in name}
    results: dict[str, dict[str, Any]] = {}
    for name, command in configurations.items():
        results[name] = {}
        for attack_name, attack in attacks.items():
            figures = measure(command, attack)
            results[name][attack_name] = figures
            print(f"{name:42} {attack_name:17} {figures}", flush=True)

    complete = {"websockets-sansio, defaults", "python -m socketsundso serve"} <= set(results)
    lines = summary(results) if complete else []
    print("\nuvicorn's defaults -> python -m socketsundso serve:", *lines, sep="\n")
    write_figures(
        "serving",
        {"settings": flags, "clients": args.clients, "results": results, "summary": lines},
    )


if __name__ == "__main__":
    main()
