"""Runtime benchmark: socketsundso against a hand-written Starlette loop and a bare ASGI floor.

Every system gets the same message, ``{"type":"echo","text":"hello world","n":3,
"tags":["a","b"]}``, through a fake in-process ASGI client (no network, lock-step
request/reply) and must answer with the same fields. Printed per system: µs/msg and
msgs/s (median of ``--rounds`` rounds, the systems' runs interleaved in each round so
drift hits them alike), and throughput relative to the hand-written loop.

``--callgrind`` counts CPU instructions per message instead, under valgrind: each system
runs alone in a fresh process, twice, and ``(I(N2) - I(N1)) / (N2 - N1)`` cancels
start-up. Those counts are deterministic; trust them over the timings on a busy machine.

``--emit`` adds four systems that answer with one event of their own: ``emit`` of a
declared model against ``send_json`` of it, and ``emit`` of a dict against one
validation plus one serialization by hand; it prints each pair's cost ratio.

``--original`` adds socketsundso 0.0.5 from PyPI (pydantic v1, FastAPI 0.94), run from a
venv this script makes in ``bench/.venvs/original`` as a subprocess.

Before measuring, each system's answers are checked once (the echo reply, an error
frame for invalid input, lock-step); a wrong answer ends the run with exit status 1.
``--min-ratio 0.9`` also ends it with status 2 if socketsundso falls below that fraction
of the hand-written loop's throughput (use it with ``--callgrind``: deterministic).

    .venv/bin/python bench/runtime.py                      # timings
    .venv/bin/python bench/runtime.py --callgrind          # instructions per message
    .venv/bin/python bench/runtime.py --original --json    # plus 0.0.5, machine-readable
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runtime_harness import App, check_app, run_connection, time_connection

BENCH = Path(__file__).resolve().parent
ORIGINAL_VENV = BENCH / ".venvs" / "original"
#: What the original runs on: the last release, and the stack it was written for.
ORIGINAL_REQUIREMENTS = ("socketsundso==0.0.5", "pydantic<2", "fastapi==0.94.*")


@dataclasses.dataclass(frozen=True)
class System:
    """One system under test: where its ASGI app lives and what it promises."""

    name: str
    label: str
    module: str
    app: str
    validates: bool
    #: Runs in the original's venv, in a subprocess.
    remote: bool = False

    def load(self) -> App:
        """Import the system's ASGI app (in this process)."""
        app: App = getattr(importlib.import_module(self.module), self.app)
        return app


SYSTEMS = {
    s.name: s
    for s in (
        System("socketsundso", "socketsundso", "runtime_systems", "socketsundso_app", True),
        System(
            "handwritten",
            "hand-written Starlette + pydantic v2",
            "runtime_systems",
            "handwritten_app",
            True,
        ),
        System("bare", "bare ASGI loop, no parsing (floor)", "runtime_systems", "bare_app", False),
        System(
            "send_json_model",
            "send_json(model) from a handler",
            "runtime_systems",
            "send_json_model_app",
            True,
        ),
        System(
            "emit_model",
            "emit(model) of a declared event",
            "runtime_systems",
            "emit_model_app",
            True,
        ),
        System(
            "validate_then_send",
            "send_json(Model.model_validate(dict))",
            "runtime_systems",
            "validate_then_send_app",
            True,
        ),
        System(
            "emit_dict",
            "emit(dict), validated by the union",
            "runtime_systems",
            "emit_dict_app",
            True,
        ),
        System(
            "original",
            "socketsundso 0.0.5 (pydantic v1, FastAPI 0.94)",
            "runtime_original",
            "original_app",
            True,
            remote=True,
        ),
    )
}
#: The bar every ratio is taken against.
REFERENCE = "handwritten"
#: Systems run with ``--emit`` only: each server-event path beside its baseline.
EMIT_PAIRS = {"emit_model": "send_json_model", "emit_dict": "validate_then_send"}


def python_for(system: System) -> str:
    """The interpreter that runs ``system``."""
    return str(ORIGINAL_VENV / "bin" / "python") if system.remote else sys.executable


def ensure_original_venv() -> None:
    """Make ``bench/.venvs/original`` with socketsundso 0.0.5 and its stack, unless it exists."""
    python = ORIGINAL_VENV / "bin" / "python"
    if python.exists():
        return
    print(f"creating {ORIGINAL_VENV} with {' '.join(ORIGINAL_REQUIREMENTS)}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(ORIGINAL_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *ORIGINAL_REQUIREMENTS], check=True
    )


class Runner:
    """Runs one system's connections: in this process, or in a worker in the original's venv."""

    def __init__(self, system: System, loop: asyncio.AbstractEventLoop) -> None:
        self.system = system
        self._loop = loop
        self._worker: subprocess.Popen[str] | None = None
        self._app: App | None = None
        if system.remote:
            self._worker = subprocess.Popen(
                [python_for(system), __file__, "--worker", system.name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        else:
            self._app = system.load()

    def _ask(self, command: str) -> Any:
        if self._worker is None or self._worker.stdin is None or self._worker.stdout is None:
            raise RuntimeError(f"{self.system.name} has no worker")
        self._worker.stdin.write(command + "\n")
        self._worker.stdin.flush()
        line = self._worker.stdout.readline()
        if not line:
            raise RuntimeError(f"worker for {self.system.name} died (answering {command!r})")
        return json.loads(line)

    def check(self) -> list[str]:
        """What is wrong with the system's answers; empty when it answers right."""
        if self._app is None:
            problems: list[str] = self._ask("check")
            return problems
        return check_app(self._loop, self._app, validates=self.system.validates)

    def time(self, messages: int) -> int:
        """Nanoseconds one connection of ``messages`` frames takes."""
        if self._app is None:
            elapsed: int = self._ask(f"run {messages}")
            return elapsed
        return time_connection(self._loop, self._app, messages)

    def close(self) -> None:
        """Stop the worker, if any."""
        if self._worker is not None:
            if self._worker.stdin is not None:
                self._worker.stdin.close()
            self._worker.wait(timeout=30)


def worker(name: str, count: int | None, warmup: int) -> None:
    """Serve one system in this process: a one-shot run (``count``) or commands on stdin."""
    system = SYSTEMS[name]
    app = system.load()
    loop = asyncio.new_event_loop()
    if count is not None:  # under callgrind: warm up, then the counted connection
        run_connection(loop, app, warmup)
        run_connection(loop, app, count)
        return
    for line in sys.stdin:
        command, *args = line.split()
        answer: Any
        if command == "check":
            answer = check_app(loop, app, validates=system.validates)
        elif command == "run":
            answer = time_connection(loop, app, int(args[0]))
        else:
            raise SystemExit(f"unknown worker command {line!r}")
        print(json.dumps(answer), flush=True)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("pydantic", "starlette"):
        try:
            versions[package] = importlib.import_module(package).__version__
        except ImportError:
            versions[package] = "absent"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        **versions,
    }


def check_all(runners: Sequence[Runner]) -> bool:
    """Check every system's answers; print what is wrong; ``True`` if all are right."""
    ok = True
    for runner in runners:
        for problem in runner.check():
            print(f"FAIL {runner.system.name}: {problem}", file=sys.stderr)
            ok = False
    return ok


def measure_times(runners: Sequence[Runner], messages: int, rounds: int) -> dict[str, list[float]]:
    """µs/msg of each system in each round; each round runs every system once, order rotating."""
    for runner in runners:  # warm-up: imports, caches, the allocator
        runner.time(max(1, messages // 10))
    samples: dict[str, list[float]] = {r.system.name: [] for r in runners}
    for round_ in range(rounds):
        shift = round_ % len(runners)
        for runner in [*runners[shift:], *runners[:shift]]:
            samples[runner.system.name].append(runner.time(messages) / messages / 1000)
    return samples


def count_instructions(
    system: System, counts: tuple[int, int], warmup: int, keep: Path | None
) -> float:
    """Instructions per message of ``system`` under callgrind: two runs, the difference."""
    totals = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in counts:
            out = (keep or Path(scratch)) / f"callgrind.{system.name}.{count}"
            subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={out}",
                    python_for(system),
                    __file__,
                    "--worker",
                    system.name,
                    "--count",
                    str(count),
                    "--warmup",
                    str(warmup),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            totals.append(_callgrind_total(out))
    return (totals[1] - totals[0]) / (counts[1] - counts[0])


def _callgrind_total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {path}")


def ratio(figures: dict[str, float], name: str) -> float | None:
    """Throughput of ``name`` relative to the reference (cost ratio, inverted)."""
    if REFERENCE not in figures or name not in figures:
        return None
    return figures[REFERENCE] / figures[name]


def print_table(
    runners: Sequence[Runner], cost: dict[str, float], unit: str, extra: dict[str, str]
) -> None:
    """Print one row per system: its cost per message, msgs/s if timed, ratio to the reference."""
    header = f"{'system':<48} {unit:>12} {'msgs/s':>10} {'vs hand-written':>16}"
    print(header)
    print("-" * len(header))
    for runner in runners:
        name = runner.system.name
        per_message = cost[name]
        rate = f"{1e6 / per_message:>10,.0f}" if unit == "µs/msg" else f"{'':>10}"
        r = ratio(cost, name)
        shown = f"{r:>15.1%}" if r is not None else f"{'':>15}"
        print(f"{runner.system.label:<48} {per_message:>12.2f} {rate} {shown}  {extra[name]}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5_000, help="frames per timed round")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (median reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SYSTEMS),
        help="run only this system (repeatable); the ratio needs handwritten too",
    )
    parser.add_argument("--original", action="store_true", help="add socketsundso 0.0.5 (PyPI)")
    parser.add_argument(
        "--emit",
        action="store_true",
        help="add emit(model) vs send_json(model) and emit(dict) vs validate + send_json",
    )
    parser.add_argument(
        "--callgrind", action="store_true", help="count instructions/msg with valgrind"
    )
    parser.add_argument(
        "--callgrind-messages",
        type=int,
        default=2000,
        help="N2 of the callgrind difference; N1 is a quarter of it",
    )
    parser.add_argument(
        "--callgrind-keep", type=Path, help="keep the callgrind.out files in this directory"
    )
    parser.add_argument(
        "--min-ratio",
        type=float,
        help="exit 2 if socketsundso's throughput is below this fraction of hand-written's",
    )
    parser.add_argument("--worker", choices=sorted(SYSTEMS), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=200, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


@dataclasses.dataclass
class Measurement:
    """What one mode measured: cost per message of each system, and how."""

    unit: str
    key: str
    cost: dict[str, float]
    method: dict[str, Any]
    details: dict[str, dict[str, Any]]
    notes: dict[str, str]

    def as_json(self, about: dict[str, str]) -> dict[str, Any]:
        """The machine-readable form ``--json`` prints."""
        systems = {
            name: {self.key: value, "ratio": ratio(self.cost, name), **self.details[name]}
            for name, value in self.cost.items()
        }
        return {"machine": about, "method": self.method, "systems": systems}


def instruction_counts(args: argparse.Namespace, runners: Sequence[Runner]) -> Measurement:
    """kinstr/msg of each system under callgrind, each alone in fresh processes."""
    counts = (args.callgrind_messages // 4, args.callgrind_messages)
    if args.callgrind_keep:
        args.callgrind_keep.mkdir(parents=True, exist_ok=True)
    cost = {
        r.system.name: count_instructions(r.system, counts, args.warmup, args.callgrind_keep) / 1000
        for r in runners
    }
    return Measurement(
        unit="kinstr/msg",
        key="kinstr_per_msg",
        cost=cost,
        method={"callgrind_messages": counts, "warmup": args.warmup},
        details={name: {} for name in cost},
        notes=dict.fromkeys(cost, ""),
    )


def timings(args: argparse.Namespace, runners: Sequence[Runner]) -> Measurement:
    """µs/msg of each system: the median of interleaved rounds."""
    samples = measure_times(runners, args.messages, args.rounds)
    cost = {name: statistics.median(values) for name, values in samples.items()}
    return Measurement(
        unit="µs/msg",
        key="us_per_msg",
        cost=cost,
        method={"messages": args.messages, "rounds": args.rounds, "clock": "thread CPU time"},
        details={
            name: {"msgs_per_s": 1e6 / cost[name], "rounds_us_per_msg": values}
            for name, values in samples.items()
        },
        notes={n: f"(rounds {min(v):.2f}..{max(v):.2f} µs)" for n, v in samples.items()},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Check, then measure, the chosen systems; exit 1 if any answered wrongly."""
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.count, args.warmup)
        return 0
    emit_systems = [*EMIT_PAIRS, *EMIT_PAIRS.values()]
    optional = {"original": args.original, **dict.fromkeys(emit_systems, args.emit)}
    names = args.only or [n for n in SYSTEMS if optional.get(n, True)]
    if "original" in names:
        ensure_original_venv()
    loop = asyncio.new_event_loop()
    runners = [Runner(SYSTEMS[name], loop) for name in names]
    try:
        if not check_all(runners):
            return 1
        about = machine()
        measured = instruction_counts(args, runners) if args.callgrind else timings(args, runners)
    finally:
        for runner in runners:
            runner.close()
    if args.json:
        print(json.dumps(measured.as_json(about), indent=2))
    else:
        print(
            f"{about['date']}; {about['cpu']}; Python {about['python']}, "
            f"pydantic {about['pydantic']}, Starlette {about['starlette']}; {measured.method}"
        )
        print_table(runners, measured.cost, measured.unit, measured.notes)
    achieved = ratio(measured.cost, "socketsundso")
    if achieved is not None and not args.json:
        basis = "instructions" if args.callgrind else "time"
        print(f"socketsundso / hand-written throughput ({basis}): {achieved:.1%} (goal: 90%)")
    for path, baseline in EMIT_PAIRS.items():
        if path in measured.cost and baseline in measured.cost and not args.json:
            print(f"{path} / {baseline} cost: {measured.cost[path] / measured.cost[baseline]:.3f}")
    if args.min_ratio is not None and achieved is not None and achieved < args.min_ratio:
        print(
            f"socketsundso reaches {achieved:.1%} of hand-written, below --min-ratio "
            f"{args.min_ratio:.0%}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
