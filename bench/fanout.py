"""Fan-out benchmark: one message to 1,000 and to 10,000 members, beside a naive loop.

Each system runs under uvicorn in processes of its own on 127.0.0.1
(``bench/fanout_systems.py``: ``ServeSettings``, the ``websockets`` implementation,
keepalive pings off); the members are WebSocket connections opened by a few client
processes (``bench/fanout_clients.py``, a lean ``asyncio`` reader). The message is a
``Quote`` model of about 415 bytes of JSON (printed with the figures). Systems:

- ``memory``: socketsundso, ``MemoryGroups`` (the default hub), one worker:
  ``await Fans.broadcast(group, quote)`` serializes once and queues the text per member;
- ``naive``: a plain Starlette endpoint keeping its members in a list, broadcasting with
  ``for ws in members: await ws.send_json(quote.model_dump())`` (serializes per member,
  waits for each send);
- ``redis``: socketsundso with ``RedisGroups(url)``, two workers sharing a
  ``redis-server`` started for the run, members split between them, broadcasts made on
  the first. Skipped, saying why, when ``RedisGroups`` can't be imported;
- ``memory-history`` and ``redis-history``: the same with ``History()`` on the hub: every
  member gets the message with its position, and over Redis each broadcast is one EVALSHA
  of the script that stores and publishes it. Ratios against ``memory`` and ``redis``
  (the issue's goal: CPU per delivery at most 1.3x without history), and the Redis
  commands per broadcast (``INFO commandstats``: the hub's own command, EVALSHA or
  PUBLISH, per broadcast: goal exactly 1);
- ``floor``: the naive loop with the message serialized once (``await
  ws.send_text(text)`` per member): the least a broadcast costs on uvicorn, in one task
  and without a queue. A reference for what socketsundso's outgoing path adds, not a goal.

For each number of members and system: ``--singles`` broadcasts one at a time (the next
once every member has the previous one), then a burst of ``--broadcasts`` back to back
in one request. Reported: the time until every member has a broadcast (its last
arrival minus the time it was sent: median over broadcasts), deliveries per second
over the burst (broadcasts x members / time from the first send to the last arrival),
and the servers' CPU per delivery (``time.process_time`` of the worker processes over
the broadcasts, divided by the deliveries; it includes two small HTTP requests per
measurement), with the share of it the cyclic garbage collector took. Ratios are
socketsundso / naive (and / floor) of the same run; the goal (the issue's):
socketsundso's CPU per delivery at most half the naive loop's. A member that misses a
message is counted and printed.

    .venv/bin/python bench/fanout.py                          # 1,000 and 10,000 members
    .venv/bin/python bench/fanout.py --members 1000 --broadcasts 50 --only memory --only naive
    .venv/bin/python bench/fanout.py --json                   # the figures as JSON too
    .venv/bin/python bench/fanout.py --profile /tmp/fanout    # cProfile in each server

The whole default run takes a few minutes on two cores. Open files: every process
raises its limit to the hard limit; 10,000 members need a hard limit above 10,000
(the server holds one socket per member); with less, the run connects as many as it
can and says so.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any

from fanout_systems import quote_json
from runtime import machine

from tests.hardening.process import _wait_for_port
from tests.servers import free_port

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

SYSTEMS = ("memory", "memory-history", "redis", "redis-history", "naive", "floor")
#: The system of bench/fanout_systems.py each one serves.
SERVED = {
    "memory": "socketsundso",
    "memory-history": "socketsundso",
    "redis": "socketsundso",
    "redis-history": "socketsundso",
    "naive": "naive",
    "floor": "floor",
}
#: The command a RedisGroups hub sends per broadcast, without and with history.
HUB_COMMAND = {"redis": "publish", "redis-history": "evalsha"}
#: Members per client process (at most): the clients share the two cores with the server.
MEMBERS_PER_CLIENT = 2500
#: Connections besides the members a server holds (listening socket, HTTP, pipes...).
SPARE_FILES = 64
REDIS_SERVER = "/usr/bin/redis-server"


@dataclass(frozen=True)
class Sample:
    """What the run's processes have spent so far (seconds, and full collections)."""

    servers_cpu: float = 0.0
    servers_gc: float = 0.0
    servers_full_collections: int = 0
    clients_cpu: float = 0.0
    redis_cpu: float = 0.0

    def __sub__(self, other: Sample) -> Sample:
        return Sample(*(a - b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass
class Phase:
    """Broadcasts made one at a time (``alone``) or back to back (``burst``)."""

    deliveries: int = 0
    #: For each broadcast, its last arrival minus the time it was sent.
    latencies: list[float] = field(default_factory=list)
    #: The first broadcast's send to the last broadcast's last arrival.
    seconds: float = 0.0
    spent: Sample = field(default_factory=Sample)

    @property
    def latency(self) -> float:
        return statistics.median(self.latencies)

    def per_delivery(self, seconds: float) -> float:
        return seconds / self.deliveries

    @property
    def cpu_per_delivery(self) -> float:
        return self.spent.servers_cpu / self.deliveries

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median_latency_seconds": self.latency,
            "server_cpu_per_delivery_seconds": self.cpu_per_delivery,
            "deliveries_per_second": self.deliveries / self.seconds,
        }


@dataclass
class Measured:
    """One system's figures for one number of members."""

    members: int
    connected: int
    connect_seconds: float
    alone: Phase = field(default_factory=Phase)
    burst: Phase = field(default_factory=Phase)
    missed: int = 0
    #: Each worker's ``Fans.outgoing_counters`` at the end (socketsundso only).
    counters: list[dict[str, int]] = field(default_factory=list)
    #: The hub's command (PUBLISH, EVALSHA) Redis ran per broadcast of the burst.
    redis_commands_per_broadcast: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "alone": self.alone.as_json(),
            "burst": self.burst.as_json(),
        }


def _http(port: int, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def _proc_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid``, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _process(
    command: list[str], env: dict[str, str] | None = None, *, talks: bool = False
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` until the block ends; ``talks``: through pipes on stdin and stdout."""
    pipe = subprocess.PIPE if talks else subprocess.DEVNULL
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, stdin=pipe, stdout=pipe, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def redis_server() -> Iterator[tuple[str, int]]:
    """A ``redis-server`` of this run's own on a free port: its URL and pid."""
    port = free_port()
    command = [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no"]
    command += ["--bind", "127.0.0.1", "--maxclients", "1000"]
    with _process(command) as process:
        _wait_for_port(process, port, 20.0)
        yield f"redis://127.0.0.1:{port}/0", process.pid


class Run:
    """One system serving ``members`` members: its workers, its clients, and what they saw."""

    def __init__(self, stack: ExitStack, system: str, members: int, args: argparse.Namespace):
        self.system = system
        self.members = members
        self.redis_pid: int | None = None
        workers = 2 if system in HUB_COMMAND else 1
        env: dict[str, str] = {}
        extra: list[str] = []
        self.redis_port = 0
        if system in HUB_COMMAND:
            url, self.redis_pid = stack.enter_context(redis_server())
            self.redis_port = int(url.rsplit(":", 1)[1].split("/")[0])
            extra = ["--redis", url]
        if system.endswith("-history"):
            extra.append("--history")
        self.ports = [free_port() for _ in range(workers)]
        for index, port in enumerate(self.ports):
            if args.profile:
                env = {
                    "FANOUT_PROFILE": str(Path(args.profile) / f"{system}-{members}-{index}.prof")
                }
            command = [sys.executable, str(BENCH / "fanout_systems.py"), "--port", str(port)]
            command += ["--system", SERVED[system], *extra]
            server = stack.enter_context(_process(command, env))
            _wait_for_port(server, port, 30.0)
        processes = args.client_processes or math.ceil(members / MEMBERS_PER_CLIENT)
        shares = [members // processes + (i < members % processes) for i in range(processes)]
        self.clients = [
            stack.enter_context(
                _process(
                    [
                        *(sys.executable, str(BENCH / "fanout_clients.py")),
                        *("--ports", ",".join(map(str, self.ports)), "--connections", str(share)),
                    ],
                    talks=True,
                )
            )
            for share in shares
        ]
        self.seq = 0
        self.connected = 0
        #: Each worker's ``outgoing_counters`` (socketsundso only), at the last sample.
        self.counters: list[dict[str, int]] = []

    def _ask_clients(self, command: str | None) -> list[dict[str, Any]]:
        if command is not None:
            for client in self.clients:
                assert client.stdin is not None
                client.stdin.write(command + "\n")
                client.stdin.flush()
        answers = []
        for client in self.clients:
            assert client.stdout is not None
            line = client.stdout.readline()
            if not line:
                raise RuntimeError(f"a client process ended (status {client.wait()})")
            answers.append(json.loads(line))
        return answers

    def connect(self) -> Measured:
        """Wait until every client connected and the servers count every member."""
        answers = self._ask_clients(None)
        connected = sum(a["connected"] for a in answers)
        deadline = time.monotonic() + 60
        while sum(_http(port, "/stats")["members"] for port in self.ports) < connected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.system}: the servers never counted {connected} members")
            time.sleep(0.1)
        self.connected = connected
        return Measured(self.members, connected, max(a["seconds"] for a in answers))

    def sample(self) -> Sample:
        """What the workers, the clients and redis-server have spent so far."""
        stats = [_http(port, "/stats") for port in self.ports]
        self.counters = [s["counters"] for s in stats if "counters" in s]
        return Sample(
            servers_cpu=sum(s["cpu_ns"] for s in stats) / 1e9,
            servers_gc=sum(s["gc_seconds"] for s in stats),
            servers_full_collections=sum(s["gc_collections"][2] for s in stats),
            clients_cpu=sum(_proc_cpu_seconds(client.pid) for client in self.clients),
            redis_cpu=_proc_cpu_seconds(self.redis_pid) if self.redis_pid else 0.0,
        )

    def broadcast(self, count: int, phase: Phase | None = None) -> int:
        """Broadcast ``count`` messages back to back, into ``phase``; return those missed."""
        first, self.seq = self.seq, self.seq + count
        timeout = 60 + count * self.connected * 200e-6
        for client in self.clients:
            assert client.stdin is not None
            client.stdin.write(f"expect {first} {count} {timeout}\n")
            client.stdin.flush()
        time.sleep(0.05)  # the clients read the command before the first frame comes
        sent = _http(self.ports[0], f"/burst?first={first}&count={count}", "POST")["sent"]
        answers = self._ask_clients(None)
        last = [max(a["last"][i] for a in answers) for i in range(count)]
        if phase is not None:
            phase.deliveries += count * self.connected
            phase.latencies += [end - start for start, end in zip(sent, last, strict=True)]
            phase.seconds += max(last) - sent[0]
        return count * self.connected - sum(a["received"] for a in answers)

    def hub_command_calls(self) -> int:
        """How many times Redis ran the hub's per-broadcast command so far (0 without one)."""
        command = HUB_COMMAND.get(self.system)
        if command is None:
            return 0
        with socket.create_connection(("127.0.0.1", self.redis_port)) as sock:
            sock.sendall(b"INFO commandstats\r\n")
            reply = sock.recv(65536)
            length = int(reply[1 : reply.index(b"\r\n")])  # a bulk string: $LENGTH\r\n...
            while len(reply) < length + len(str(length)) + 5:
                reply += sock.recv(65536)
        for line in reply.decode().splitlines():
            if line.startswith(f"cmdstat_{command}:"):
                return int(line.split("calls=")[1].split(",")[0])
        return 0

    def quit(self) -> None:
        for client in self.clients:
            assert client.stdin is not None
            client.stdin.write("quit\n")
            client.stdin.flush()
        for client in self.clients:
            client.wait(timeout=30)


def measure(system: str, members: int, args: argparse.Namespace) -> Measured:
    """Serve ``members`` members with ``system``; broadcast one at a time, then a burst."""
    with ExitStack() as stack:
        run = Run(stack, system, members, args)
        figures = run.connect()
        run.broadcast(2)  # warm-up: imports, caches, each member's first send
        before = run.sample()
        for _ in range(args.singles):
            figures.missed += run.broadcast(1, figures.alone)
        figures.alone.spent = run.sample() - before
        before = run.sample()
        calls = run.hub_command_calls()
        figures.missed += run.broadcast(args.broadcasts, figures.burst)
        figures.burst.spent = run.sample() - before
        if system in HUB_COMMAND:
            figures.redis_commands_per_broadcast = (
                run.hub_command_calls() - calls
            ) / args.broadcasts
        figures.counters = run.counters
        run.quit()
    return figures


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    about: dict[str, Any] = machine()
    for package in ("uvicorn", "websockets", "redis"):
        try:
            about[package] = importlib.import_module(package).__version__
        except ImportError:
            about[package] = "absent"
    about["event_loop"] = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    about["open_files_hard_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    about["kernel"] = platform.release()
    return about


def redis_unavailable() -> str | None:
    """Why the redis system can't run here, or ``None``."""
    try:
        from socketsundso.groups import RedisGroups  # noqa: F401
    except ImportError as exc:
        return f"socketsundso.groups.RedisGroups can't be imported ({exc})"
    if shutil.which(REDIS_SERVER) is None:
        return f"{REDIS_SERVER} is missing"
    return None


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def _gc_share(phase: Phase) -> str:
    return f"{phase.spent.servers_gc / phase.spent.servers_cpu:.0%}"


def header(about: dict[str, Any]) -> str:
    """The environment line, and what was measured."""
    return (
        f"{about['date']}; {about['cpu']}; Linux {about['kernel']}; "
        f"Python {about['python']} ({about['event_loop']} event loop), "
        f"pydantic {about['pydantic']}, Starlette {about['starlette']}, "
        f"uvicorn {about['uvicorn']} (websockets {about['websockets']}), "
        f"redis-py {about['redis']}; open files {about['open_files_hard_limit']}\n"
        f"a Quote of ~{len(quote_json(0))} bytes of JSON to every member; CPU: the server "
        "processes' (time.process_time), GC: its share spent in the cyclic garbage collector"
    )


def report(results: dict[int, dict[str, Measured]], args: argparse.Namespace) -> None:
    """Print each member count's figures and the ratios against the naive loop."""
    for members, systems in results.items():
        print(f"\n{members:,} members")
        print(
            f"  {args.singles} broadcasts one at a time: {'all have it':>14} {'CPU/delivery':>14} "
            f"{'GC':>5}"
        )
        for name, m in systems.items():
            alone = m.alone
            print(
                f"    {name:<30} {_ms(alone.latency):>14} {_us(alone.cpu_per_delivery):>14} "
                f"{_gc_share(alone):>5}"
            )
        print(
            f"  a burst of {args.broadcasts}:{'':<17} {'all have all':>14} {'CPU/delivery':>14} "
            f"{'GC':>5} {'deliveries/s':>13} {'median all have it':>19}"
        )
        for name, m in systems.items():
            burst = m.burst
            print(
                f"    {name:<30} {_ms(burst.seconds):>14} {_us(burst.cpu_per_delivery):>14} "
                f"{_gc_share(burst):>5} {burst.deliveries / burst.seconds:>13,.0f} "
                f"{_ms(burst.latency):>19}"
            )
        for name, m in systems.items():
            print(f"  {name}: {'; '.join(_notes(m))}")
        for name in ("memory", "redis"):
            for bar, why in (("naive", "goal <= 0.50x"), ("floor", "the bare loop's cost")):
                if name in systems and bar in systems:
                    print("  " + _ratios(systems[name], systems[bar], f"{name} / {bar}", why))
            with_history = f"{name}-history"
            if name in systems and with_history in systems:
                print(
                    "  "
                    + _ratios(
                        systems[with_history],
                        systems[name],
                        f"{with_history} / {name}",
                        "goal <= 1.30x",
                    )
                )
        for name, m in systems.items():
            if m.redis_commands_per_broadcast is not None:
                print(
                    f"  {name}: Redis commands per broadcast: {m.redis_commands_per_broadcast:.2f} "
                    f"{HUB_COMMAND[name].upper()} (goal: exactly 1)"
                )


def _notes(m: Measured) -> list[str]:
    """What else one system's run showed: shortfalls, the clients' and Redis's CPU, GC."""
    notes = []
    if m.connected < m.members:
        notes.append(f"ONLY {m.connected:,} of {m.members:,} members connected")
    if m.missed:
        notes.append(f"{m.missed:,} deliveries MISSED")
    burst = m.burst
    if burst.spent.redis_cpu:
        notes.append(f"redis-server {_us(burst.per_delivery(burst.spent.redis_cpu))}/delivery")
    notes.append(f"clients {_us(burst.per_delivery(burst.spent.clients_cpu))}/delivery")
    full = m.alone.spent.servers_full_collections + burst.spent.servers_full_collections
    notes.append(f"{full} full GC collections")
    notes.append(f"connected in {m.connect_seconds:.1f} s")
    for worker, counters in enumerate(m.counters):
        figures = ", ".join(f"{name} {value}" for name, value in counters.items())
        notes.append(f"worker {worker + 1}: {figures}")
    return notes


def _ratios(m: Measured, bar: Measured, label: str, why: str) -> str:
    alone = m.alone.cpu_per_delivery / bar.alone.cpu_per_delivery
    burst = m.burst.cpu_per_delivery / bar.burst.cpu_per_delivery
    return (
        f"{label}: CPU per delivery alone {alone:.2f}x, burst {burst:.2f}x ({why}); "
        f"until all have it alone {m.alone.latency / bar.alone.latency:.2f}x, "
        f"burst {m.burst.seconds / bar.burst.seconds:.2f}x"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--members", default="1000,10000", help="comma-separated member counts (1000,10000)"
    )
    parser.add_argument("--broadcasts", type=int, default=20, help="broadcasts in the burst")
    parser.add_argument("--singles", type=int, default=5, help="broadcasts one at a time")
    parser.add_argument("--only", action="append", choices=SYSTEMS, help="repeatable")
    parser.add_argument(
        "--client-processes", type=int, default=0, help=f"0: one per {MEMBERS_PER_CLIENT} members"
    )
    parser.add_argument("--profile", help="directory for each server's cProfile stats")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    systems = [s for s in SYSTEMS if s in (args.only or SYSTEMS)]
    skipped = None
    if any(s in HUB_COMMAND for s in systems) and (why := redis_unavailable()):
        skipped = f"redis: skipped: {why}"
        print(skipped, file=sys.stderr)
        systems = [s for s in systems if s not in HUB_COMMAND]
    if not systems:
        print("nothing to measure", file=sys.stderr)
        return 1
    if not systems:
        print("nothing to measure", file=sys.stderr)
        return 1
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        print("profiling: CPU figures are cProfile's, not comparable", file=sys.stderr)
    about = environment()
    hard = about["open_files_hard_limit"]
    results: dict[int, dict[str, Measured]] = {}
    for members in (int(m) for m in args.members.split(",")):
        if members + SPARE_FILES > hard:
            print(
                f"{members} members need more open files than the hard limit {hard}: "
                f"trying anyway; fewer may connect",
                file=sys.stderr,
            )
        results[members] = {}
        for system in systems:
            results[members][system] = measure(system, members, args)
            print(f"measured {system} with {members} members", file=sys.stderr, flush=True)
    print(header(about))
    if skipped:
        print(skipped)
    report(results, args)
    if args.json:
        figures = {
            "environment": about,
            "message_bytes": len(quote_json(0)),
            "skipped": skipped,
            "results": {
                str(members): {name: m.as_json() for name, m in systems_.items()}
                for members, systems_ in results.items()
            },
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
