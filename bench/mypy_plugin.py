"""How much the mypy plugin costs: mypy on a generated project, with and without it.

Generates endpoint classes with 10 handlers each (modules of 10 classes, in every
decorator form, with parameters, response models, and subclasses) and, beside each
module, a test module calling ``EventSession[...].send_event`` twice per class (500
classes and 1,000 calls by default), then runs mypy in a subprocess on it, with and
without ``plugins = socketsundso.mypy``, on a cold cache (fresh cache directory) and on
a warm one (runs after it, nothing changed). Prints the median and the best time of
each and the with/without ratios; on a shared, noisy machine the best-of-N ratio is the
steadier one. Goal: at most 1.10 cold, about 1.0 warm.

    .venv/bin/python bench/mypy_plugin.py [--modules 50] [--repeat 5] [--warm-runs 5]
        [--plugin socketsundso.mypy] [--keep DIR]

``--plugin`` names the plugin module to load (an older checkout's ``mypy_plugin``, put
first on ``PYTHONPATH``, to compare before and after a change).
"""

from __future__ import annotations

import argparse
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


def generate(root: Path, modules: int, plugin: str) -> list[str]:
    """Write the project under ``root``; the module paths to check."""
    package = root / "project"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for module in range(modules):
        (package / f"endpoints_{module}.py").write_text(module_source(module))
        (package / f"test_endpoints_{module}.py").write_text(tests_source(module))
    for name, plugins in (("with", f"plugins = {plugin}"), ("without", "")):
        (root / f"mypy-{name}.ini").write_text(CONFIG.format(plugins=plugins))
    return [str(package)]


def run_mypy(root: Path, config: str, cache: Path, targets: list[str]) -> float:
    """Seconds one mypy run takes; fails loudly if mypy reports errors."""
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
    start = time.perf_counter()
    completed = subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=900, check=False
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"mypy failed ({config}):\n{completed.stdout}{completed.stderr}")
    return elapsed


def measure(
    root: Path, targets: list[str], repeat: int, warm_runs: int
) -> dict[tuple[str, str], list[float]]:
    """Seconds of each run, by (plugin, cache); with and without alternate run by run."""
    times: dict[tuple[str, str], list[float]] = {}
    names = ("without", "with")
    for attempt in range(repeat):
        caches = {name: root / f"cache-{name}-{attempt}" for name in names}
        for name in names:
            cold = run_mypy(root, f"mypy-{name}.ini", caches[name], targets)
            times.setdefault((name, "cold"), []).append(cold)
        for _ in range(warm_runs):
            for name in names:
                warm = run_mypy(root, f"mypy-{name}.ini", caches[name], targets)
                times.setdefault((name, "warm"), []).append(warm)
        for cache in caches.values():
            shutil.rmtree(cache)
    return times


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=50, help="modules of 10 classes")
    parser.add_argument("--plugin", default="socketsundso.mypy", help="plugin module to load")
    parser.add_argument("--repeat", type=int, default=5, help="cold runs per configuration")
    parser.add_argument("--warm-runs", type=int, default=5, help="warm runs after each cold one")
    parser.add_argument("--keep", type=Path, help="generate the project here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="socketsundso-mypy-bench-"))
    try:
        targets = generate(root, args.modules, args.plugin)
        classes = args.modules * CLASSES_PER_MODULE
        print(
            f"{classes} endpoint classes x {HANDLERS_PER_CLASS} handlers, "
            f"{2 * classes} send_event calls, plugin {args.plugin}, "
            f"{args.repeat} cold runs, {args.repeat * args.warm_runs} warm runs each"
        )
        times = measure(root, targets, args.repeat, args.warm_runs)
        for cache in ("cold", "warm"):
            without, with_plugin = times[("without", cache)], times[("with", cache)]
            for label, pick in (("median", statistics.median), ("best", min)):
                print(
                    f"{cache} cache, {label:6}: without plugin {pick(without):6.3f} s, "
                    f"with plugin {pick(with_plugin):6.3f} s, "
                    f"ratio {pick(with_plugin) / pick(without):.3f}"
                )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
