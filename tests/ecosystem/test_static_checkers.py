"""Without the plugin the API is typed too: three checkers agree with ``typesafety/static``.

Each line of ``typesafety/static/*.py`` marked ``# rejected`` must be an error for
mypy --strict without the socketsundso plugin, mypy --strict with it, and basedpyright
(strict, ``typesafety/static/pyrightconfig.json``); every other line must be clean for
all three. Each checker runs once, the three in parallel, over the sources and a
control file holding a wrong marker of each kind: the comparison must report both, so
a checker that stopped rejecting a marked line would be reported too.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "typesafety" / "static"
PLUGIN_CONFIG = ROOT / "typesafety" / "mypy.ini"
PYRIGHT_CONFIG = SOURCES / "pyrightconfig.json"
#: Seconds one checker may take (a cold run takes a few).
TIMEOUT = 300

MARKER = re.compile(r"#\s*rejected\b")
MYPY_ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: (?P<message>.*)$")

CONTROL = '''"""Harness control: a wrong marker of each kind, which the comparison must report."""

accepted: int = 1  # rejected: wrongly, nothing is wrong here
unmarked: int = "not an int"
'''
#: The control's lines: marked but accepted, and rejected but unmarked.
CONTROL_MISSING, CONTROL_UNEXPECTED = 3, 4

Location = tuple[Path, int]


@dataclass(frozen=True)
class Finding:
    """One error a checker reported."""

    path: Path
    line: int
    message: str

    @property
    def location(self) -> Location:
        """The file and line of the error."""
        return self.path, self.line


@dataclass(frozen=True)
class Checker:
    """How to run one checker over some files and read its errors."""

    name: str
    command: Callable[[Path, list[Path]], list[str]]
    parse: Callable[[str], list[Finding]]


def parse_mypy(output: str) -> list[Finding]:
    """The errors of mypy's plain output (``file:line: error: message``); notes are not."""
    findings = []
    for line in output.splitlines():
        match = MYPY_ERROR.match(line)
        if match:
            path = Path(match["path"])
            findings.append(Finding(ROOT / path, int(match["line"]), match["message"]))
    return findings


def parse_pyright(output: str) -> list[Finding]:
    """The errors and warnings of basedpyright's ``--outputjson`` (its lines count from 0)."""
    diagnostics = json.loads(output)["generalDiagnostics"]
    return [
        Finding(
            Path(diagnostic["file"]),
            diagnostic.get("range", {}).get("start", {}).get("line", -1) + 1,
            f"{diagnostic['message']} ({diagnostic.get('rule', diagnostic['severity'])})",
        )
        for diagnostic in diagnostics
        if diagnostic["severity"] in ("error", "warning")
    ]


def mypy_command(*config: str) -> Callable[[Path, list[Path]], list[str]]:
    """A mypy --strict command line with ``config``, its cache in the run's directory."""

    def command(work: Path, paths: list[Path]) -> list[str]:
        return [
            sys.executable,
            "-m",
            "mypy",
            *config,
            "--strict",
            "--python-version=3.10",
            f"--cache-dir={work / 'mypy-cache'}",
            "--show-absolute-path",
            "--no-error-summary",
            "--no-pretty",
            "--no-color-output",
            *map(str, paths),
        ]

    return command


def pyright_command(work: Path, paths: list[Path]) -> list[str]:
    """A basedpyright command line with the sources' config, in JSON."""
    del work  # basedpyright keeps no cache
    return [
        sys.executable,
        "-m",
        "basedpyright",
        f"--project={PYRIGHT_CONFIG}",
        f"--pythonpath={sys.executable}",
        "--outputjson",
        *map(str, paths),
    ]


CHECKERS = {
    checker.name: checker
    for checker in (
        # An empty --config-file: no config file at all, so no plugin.
        Checker("mypy", mypy_command("--config-file="), parse_mypy),
        Checker("mypy+plugin", mypy_command(f"--config-file={PLUGIN_CONFIG}"), parse_mypy),
        Checker("basedpyright", pyright_command, parse_pyright),
    )
}


def marked_lines(paths: Iterable[Path]) -> set[Location]:
    """The lines of ``paths`` whose comment is a ``# rejected`` marker."""
    marked = set()
    for path in paths:
        source = io.StringIO(path.read_text(encoding="utf-8"))
        for token in tokenize.generate_tokens(source.readline):
            if token.type == tokenize.COMMENT and MARKER.match(token.string):
                marked.add((path, token.start[0]))
    return marked


def disagreements(checker: str, marked: set[Location], findings: list[Finding]) -> list[str]:
    """Where ``findings`` and the markers disagree, one ``file:line: checker: why`` each."""
    found = {finding.location for finding in findings}
    missing = [
        (location, "no error, but the line is marked # rejected") for location in marked - found
    ]
    unexpected = [
        (finding.location, f"unexpected error: {finding.message}")
        for finding in findings
        if finding.location not in marked
    ]
    return [
        f"{shown(path)}:{line}: {checker}: {why}"
        for (path, line), why in sorted(missing + unexpected)
    ]


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def checker_environment() -> dict[str, str]:
    """The environment of a checker: this checkout's ``socketsundso`` comes first."""
    environment = dict(os.environ)
    for variable in ("PYTHONPATH", "MYPYPATH"):  # the plugin's import; mypy's module search
        environment[variable] = os.pathsep.join(
            filter(None, [str(ROOT), environment.get(variable)])
        )
    return environment


def run_checkers(work: Path, paths: list[Path]) -> dict[str, list[Finding]]:
    """Run every checker over ``paths``, in parallel, and return the errors of each."""
    processes = {}
    for name, checker in CHECKERS.items():
        (work / name).mkdir()
        processes[name] = subprocess.Popen(
            checker.command(work / name, paths),
            cwd=ROOT,
            env=checker_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        return {name: finished(name, process) for name, process in processes.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def finished(name: str, process: subprocess.Popen[str]) -> list[Finding]:
    """The errors checker ``name`` reports, once its ``process`` has ended."""
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    # 0: no errors, 1: errors; anything else is a crash or a bad command line.
    assert process.returncode in (0, 1), f"{name} failed ({process.returncode}):\n{stderr}"
    return CHECKERS[name].parse(stdout)


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The control file, outside the sources."""
    path = tmp_path_factory.mktemp("control") / "harness_control.py"
    path.write_text(CONTROL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory, control: Path) -> dict[str, list[Finding]]:
    """Every checker's errors over the sources and the control, one run each."""
    return run_checkers(tmp_path_factory.mktemp("checkers"), [SOURCES, control])


def sources() -> list[Path]:
    """The typesafety sources the markers are read from."""
    return sorted(SOURCES.glob("*.py"))


@pytest.mark.parametrize("checker", CHECKERS)
def test_each_checker_rejects_the_marked_lines_and_only_them(
    checker: str, findings: dict[str, list[Finding]], control: Path
) -> None:
    reported = [finding for finding in findings[checker] if finding.path != control]
    problems = disagreements(checker, marked_lines(sources()), reported)
    if problems:
        pytest.fail("checker and markers disagree:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("checker", CHECKERS)
def test_the_control_shows_wrong_markers_are_reported(
    checker: str, findings: dict[str, list[Finding]], control: Path
) -> None:
    reported = [finding for finding in findings[checker] if finding.path == control]
    problems = disagreements(checker, marked_lines([control]), reported)
    assert [problem.split(": ")[0] for problem in problems] == [
        f"{control}:{CONTROL_MISSING}",
        f"{control}:{CONTROL_UNEXPECTED}",
    ]
    assert "marked # rejected" in problems[0]
    assert "unexpected error" in problems[1]


def test_the_plugin_run_loads_the_plugin() -> None:
    config = configparser.ConfigParser()
    config.read(PLUGIN_CONFIG)
    assert "socketsundso.mypy" in config["mypy"]["plugins"]


def test_a_marker_is_a_comment_not_text_in_a_string(tmp_path: Path) -> None:
    path = tmp_path / "source.py"
    path.write_text('x = "# rejected"\ny: int = "a"  # rejected: wrong type\n', encoding="utf-8")
    assert marked_lines([path]) == {(path, 2)}


def test_the_parsers_read_errors_and_skip_notes() -> None:
    mypy_output = (
        f"{ROOT / 'a.py'}:3: error: Bad thing  [arg-type]\n{ROOT / 'a.py'}:3: note: More about it\n"
    )
    pyright_output = json.dumps(
        {
            "generalDiagnostics": [
                {
                    "file": "/x/b.py",
                    "severity": "error",
                    "message": "Bad",
                    "rule": "r",
                    "range": {"start": {"line": 4, "character": 0}},
                },
                {
                    "file": "/x/b.py",
                    "severity": "information",
                    "message": "Type of x",
                    "range": {"start": {"line": 6, "character": 0}},
                },
            ]
        }
    )
    assert parse_mypy(mypy_output) == [Finding(ROOT / "a.py", 3, "Bad thing  [arg-type]")]
    assert parse_pyright(pyright_output) == [Finding(Path("/x/b.py"), 5, "Bad (r)")]
