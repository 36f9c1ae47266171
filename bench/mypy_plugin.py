"""How much the mypy plugin costs: mypy on a generated project, with and without it.

Two projects (``--scenario``):

- ``wide`` (the default, issue 19): one endpoint of 4,000 handlers, used at 400
  ``send_event`` calls and 400 ``handlers[...]`` lookups (``--handlers``, ``--calls``).
  Goal: at most 1.20x the time and 1.30x the peak memory of mypy without the plugin
  (the warm lines: the project checked again, the libraries from the cache).
- ``many``: endpoint classes with 10 handlers each (modules of 10 classes, in every
decorator form, with parameters, response models, and subclasses) and, beside each
module, a test module calling ``EventSession[...].send_event`` twice per class (500
classes and 1,000 calls by default), then runs mypy in a subprocess on it, with and
without ``plugins = socketsundso.mypy``, on a cold cache (fresh cache directory) and on
a warm one (runs after it, each after an edit of every project module: the project is
checked again, the libraries come from the cache). Goal: at most 1.10 cold.

Prints, for each cache state, the median and the best time of each configuration and
the with/without ratios (on a shared, noisy machine the best-of-N ratio is the steadier
one), and the peak memory (resident set, largest over the runs) and its ratio.

    .venv/bin/python bench/mypy_plugin.py [--scenario wide|many] [--handlers 4000]
        [--calls 400] [--modules 50] [--repeat 5] [--warm-runs 5]
        [--plugin socketsundso.mypy] [--keep DIR]

``--plugin`` names the plugin module to load (an older checkout's ``mypy_plugin``, put
first on ``PYTHONPATH``, to compare before and after a change).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CLASSES_PER_MODULE = 10
HANDLERS_PER_CLASS = 10

CONFIG = """
[mypy]
strict = true
python_version = 3.10
{plugins}
"""


def handler_source(index: int) -> str:
    """One handler, in one of the decorator forms the runtime accepts."""
    form = index % 4
    if form == 0:
        return f"""
    @on_event
    async def on_event_{index}(self, room: str, count: int = 0) -> None: ...
"""
    if form == 1:
        return f"""
    @on_event("named_{index}")
    def handler_{index}(self, text: str) -> dict[str, str]:
        return {{"text": text}}
"""
    if form == 2:
        return f"""
    @on_event(response_model=Reply)
    async def handle_reply_{index}(self, text: str) -> Reply:
        return Reply(text=text)
"""
    return f"""
    @on_event("full_{index}", response_model=Reply)
    async def full_{index}(self, text: str, *, loud: bool = False) -> Reply | None:
        return None
"""


def module_source(module: int) -> str:
    """A module of endpoint classes; every other class subclasses the one before it."""
    parts = [
        "from pydantic import BaseModel\n",
        "from socketsundso import WebSocketHandlingEndpoint, on_event\n\n\n",
        "class Reply(BaseModel):\n    text: str\n",
    ]
    for number in range(CLASSES_PER_MODULE):
        base = f"Endpoint{number - 1}" if number % 2 else "WebSocketHandlingEndpoint"
        parts.append(f"\n\nclass Endpoint{number}({base}):\n")
        first = number * HANDLERS_PER_CLASS
        parts.extend(handler_source(first + i) for i in range(HANDLERS_PER_CLASS))
    parts.append(
        textwrap.dedent(
            """

            def use(endpoint: type[Endpoint9]) -> None:
                endpoint.handlers["event_80"]
                message = endpoint.event_message_model.model_validate({})
                print(message.type)
            """
        )
    )
    return "".join(parts)


def tests_source(module: int) -> str:
    """A test module: two ``send_event`` calls per endpoint class of ``module``."""
    classes = ", ".join(f"Endpoint{number}" for number in range(CLASSES_PER_MODULE))
    parts = [
        "from socketsundso.testing import EventSession\n",
        f"from project.endpoints_{module} import {classes}\n",
    ]
    for number in range(CLASSES_PER_MODULE):
        indexes = range(number * HANDLERS_PER_CLASS, (number + 1) * HANDLERS_PER_CLASS)
        plain = next(index for index in indexes if index % 4 == 0)
        named = next(index for index in indexes if index % 4 == 1)
        parts.append(
            f"\n\ndef test_endpoint_{number}(session: EventSession[Endpoint{number}]) -> None:\n"
            f'    session.send_event("event_{plain}", room="lobby", count=1)\n'
            f'    session.send_event("named_{named}", text="hi")\n'
        )
    return "".join(parts)


def wide_sources(handlers: int, calls: int) -> dict[str, str]:
    """One endpoint of ``handlers`` handlers; ``calls`` sends and ``calls`` lookups of it."""
    endpoint = ["from socketsundso import WebSocketHandlingEndpoint, on_event\n\n\n"]
    endpoint.append("class Wide(WebSocketHandlingEndpoint):\n")
    endpoint.extend(
        f"    @on_event\n"
        f"    async def on_event_{index}(self, room: str, count: int = 0) -> None: ...\n\n"
        for index in range(handlers)
    )
    step = max(1, handlers // calls)
    events = [f"event_{(index * step) % handlers}" for index in range(calls)]
    use = [
        "from socketsundso.testing import EventSession\n",
        "from project.wide import Wide\n\n\n",
        "def test_sends(session: EventSession[Wide]) -> None:\n",
    ]
    use.extend(f'    session.send_event("{event}", room="lobby", count=1)\n' for event in events)
    use.append("\n\ndef lookups() -> None:\n")
    use.extend(f'    Wide.handlers["{event}"]\n' for event in events)
    return {"wide.py": "".join(endpoint), "test_wide.py": "".join(use)}


def many_sources(modules: int) -> dict[str, str]:
    """``modules`` modules of endpoint classes, and a test module beside each."""
    sources: dict[str, str] = {}
    for module in range(modules):
        sources[f"endpoints_{module}.py"] = module_source(module)
        sources[f"test_endpoints_{module}.py"] = tests_source(module)
    return sources


def generate(root: Path, sources: dict[str, str], plugin: str) -> list[str]:
    """Write the project's modules under ``root``; the module paths to check."""
    package = root / "project"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, text in sources.items():
        (package / name).write_text(text)
    for name, plugins in (("with", f"plugins = {plugin}"), ("without", "")):
        (root / f"mypy-{name}.ini").write_text(CONFIG.format(plugins=plugins))
    return [str(package)]


def run_mypy(root: Path, config: str, cache: Path, targets: list[str]) -> tuple[float, float]:
    """Seconds one mypy run takes, and its peak memory (MiB); fails loudly on mypy errors."""
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(root / config),
        "--cache-dir",
        str(cache),
        *targets,
    ]
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, stdout=output, stderr=output)
        # wait4: this child's own resource usage (ru_maxrss in KiB on Linux).
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            raise SystemExit(f"mypy failed ({config}):\n{output.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


Runs = dict[tuple[str, str], list[tuple[float, float]]]


def edit(root: Path) -> None:
    """Change every project module (a trailing newline): mypy checks them all again."""
    for path in (root / "project").glob("*.py"):
        path.write_text(path.read_text() + "\n")


def measure(root: Path, targets: list[str], repeat: int, warm_runs: int) -> Runs:
    """(seconds, MiB) of each run, by (plugin, cache); with and without alternate."""
    times: Runs = {}
    names = ("without", "with")
    for attempt in range(repeat):
        caches = {name: root / f"cache-{name}-{attempt}" for name in names}
        for name in names:
            cold = run_mypy(root, f"mypy-{name}.ini", caches[name], targets)
            times.setdefault((name, "cold"), []).append(cold)
        for _ in range(warm_runs):
            edit(root)
            for name in names:
                warm = run_mypy(root, f"mypy-{name}.ini", caches[name], targets)
                times.setdefault((name, "warm"), []).append(warm)
        for cache in caches.values():
            shutil.rmtree(cache)
    return times


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("wide", "many"), default="wide")
    parser.add_argument("--handlers", type=int, default=4000, help="wide: handlers")
    parser.add_argument("--calls", type=int, default=400, help="wide: sends and lookups")
    parser.add_argument("--modules", type=int, default=50, help="many: modules of 10 classes")
    parser.add_argument("--plugin", default="socketsundso.mypy", help="plugin module to load")
    parser.add_argument("--repeat", type=int, default=5, help="cold runs per configuration")
    parser.add_argument(
        "--warm-runs", type=int, default=5, help="edited warm runs after each cold one"
    )
    parser.add_argument("--keep", type=Path, help="generate the project here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="socketsundso-mypy-bench-"))
    try:
        if args.scenario == "wide":
            sources = wide_sources(args.handlers, args.calls)
            what = (
                f"1 endpoint x {args.handlers} handlers, {args.calls} send_event calls, "
                f"{args.calls} handlers[...] lookups"
            )
        else:
            sources = many_sources(args.modules)
            classes = args.modules * CLASSES_PER_MODULE
            what = (
                f"{classes} endpoint classes x {HANDLERS_PER_CLASS} handlers, "
                f"{2 * classes} send_event calls"
            )
        targets = generate(root, sources, args.plugin)
        print(
            f"{what}, plugin {args.plugin}, {args.repeat} cold runs, "
            f"{args.repeat * args.warm_runs} warm runs each"
        )
        runs = measure(root, targets, args.repeat, args.warm_runs)
        for cache in ("cold", "warm"):
            if not runs.get(("with", cache)):
                continue
            without = [seconds for seconds, _ in runs[("without", cache)]]
            with_plugin = [seconds for seconds, _ in runs[("with", cache)]]
            for label, pick in (("median", statistics.median), ("best", min)):
                print(
                    f"{cache} cache, {label:6}: without plugin {pick(without):6.3f} s, "
                    f"with plugin {pick(with_plugin):6.3f} s, "
                    f"time ratio {pick(with_plugin) / pick(without):.3f}"
                )
            memory_without = max(mib for _, mib in runs[("without", cache)])
            memory_with = max(mib for _, mib in runs[("with", cache)])
            print(
                f"{cache} cache, peak  : without plugin {memory_without:6.0f} MiB, "
                f"with plugin {memory_with:6.0f} MiB, "
                f"memory ratio {memory_with / memory_without:.3f}"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
