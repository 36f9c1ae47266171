"""Every Python block of README.md and docs/ type-checks: mypy --strict with the plugin, and
basedpyright (standard mode) where a page doesn't need the plugin.

Blocks are collected from README.md and every ``docs/**/*.md``, whatever page they
move to. A page's blocks form one module (they build on each other, as the runtime
docs tests run them), each block at its own line, so an error's line is the page's.

Markers, visible where the code is:

- ``# error: <part of the message>`` at the end of a line: the line shows an error on
  purpose, and the checker must report one there (a comment line holding only the
  marker marks the next line of code);
- ``<!-- not type-checked: why -->`` right above a fence: a fragment that is not a
  program (an include, a piece of a class), left out.

A page that shows an error on purpose, or ``reveal_type``, is about the plugin and
skips basedpyright.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api

from tests.examples.test_readme_samples import PAGES as README_CHAIN

ROOT = Path(__file__).resolve().parents[2]
#: Seconds basedpyright may take (a cold run imports its typeshed).
TIMEOUT = 300

_FENCE = re.compile(
    r"(?:^<!-- not type-checked: (?P<skip>.*?) -->\n)?^```python\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
_DEFINITION = re.compile(r"^(?:class|def|async def) (\w+)", re.MULTILINE)
_MARKER = re.compile(r"#\s*error:\s*(?P<text>.*)$")
_MYPY_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")

CONFIG = """
[mypy]
strict = true
python_version = 3.10
plugins = socketsundso.mypy
# A page is one module: a later block may reuse a name for another value.
allow_redefinition = true
"""


@dataclasses.dataclass(frozen=True)
class Page:
    """Markdown files' Python blocks as one module, each block at its own lines.

    Usually one file; README.md and the pages that continue its samples (a chain, as
    ``tests/examples/test_readme_samples.py`` runs them) form one module together, their
    files one after the other.
    """

    paths: tuple[Path, ...]
    #: The module's line (0-based) where each of ``paths`` starts.
    starts: tuple[int, ...]
    source: str
    #: Lines (1-based, the module's) marked to show an error, with the marked text.
    expected: dict[int, str]

    @property
    def name(self) -> str:
        """The first file's path from the repository root (a chain adds "and what follows")."""
        first = self.paths[0].relative_to(ROOT).as_posix()
        return first if len(self.paths) == 1 else f"{first} and the pages continuing it"

    @property
    def module(self) -> str:
        """A module name for the page (``docs/tutorial.md``: ``docs_tutorial``)."""
        return re.sub(r"\W", "_", self.paths[0].relative_to(ROOT).as_posix().removesuffix(".md"))

    @property
    def needs_plugin(self) -> bool:
        """Whether the page shows what only the plugin says (errors, ``reveal_type``)."""
        return bool(self.expected) or "reveal_type(" in self.source

    def where(self, line: int) -> str:
        """``file:line`` of the module's (1-based) ``line``."""
        index = max(i for i, start in enumerate(self.starts) if start < line)
        return f"{self.paths[index].relative_to(ROOT).as_posix()}:{line - self.starts[index]}"


def read_page(*paths: Path) -> Page | None:
    """The files' checked blocks as one module; ``None`` if they have no Python block."""
    texts = [path.read_text(encoding="utf-8") for path in paths]
    starts = []
    text = ""
    for part in texts:
        starts.append(text.count("\n"))
        text += part if part.endswith("\n") else part + "\n"
    lines = [""] * (text.count("\n") + 1)
    expected: dict[int, str] = {}
    defined: set[str] = set()
    found = False
    for match in _FENCE.finditer(text):
        found = True
        if match["skip"] is not None:
            continue
        first = text.count("\n", 0, match.start("code"))
        names = set(_DEFINITION.findall(match["code"]))
        for number, name in enumerate(sorted(names & defined)):
            # A page that grows a class block by block: earlier blocks use the earlier one.
            pattern = re.compile(rf"\b{name}\b")
            lines[:first] = [
                pattern.sub(f"{name}_{first}_{number}", line) for line in lines[:first]
            ]
        defined |= names
        pending: str | None = None
        for offset, line in enumerate(match["code"].splitlines()):
            lines[first + offset] = line
            marker = _MARKER.search(line)
            code = line.split("#", 1)[0].strip()
            if marker is not None and not code:
                pending = marker["text"]
            elif marker is not None:
                expected[first + offset + 1] = marker["text"]
            elif pending is not None and code:
                expected[first + offset + 1] = pending
                pending = None
    if not found:
        return None
    return Page(tuple(paths), tuple(starts), "\n".join(lines) + "\n", expected)


def pages() -> list[Page]:
    """The README chain as one page, then every other page under docs/ with Python blocks."""
    chain = [path.resolve() for path in README_CHAIN]
    others = [path for path in sorted((ROOT / "docs").rglob("*.md")) if path.resolve() not in chain]
    found = [read_page(*chain), *map(read_page, others)]
    return [page for page in found if page is not None]


PAGES = pages()
#: Pages known to fail, each with why. Strict: a page that passes must leave this list.
KNOWN_FAILURES: dict[str, str] = {}


def _params(pages: list[Page]) -> list[object]:
    return [
        pytest.param(
            page,
            id=page.name,
            marks=[pytest.mark.xfail(reason=KNOWN_FAILURES[page.name], strict=True)]
            if page.name in KNOWN_FAILURES
            else [],
        )
        for page in pages
    ]


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, list[str]]]:
    """mypy's errors on every page, by module and line (one mypy run for all)."""
    root = tmp_path_factory.mktemp("docs_typecheck")
    (root / "mypy.ini").write_text(CONFIG)
    for page in PAGES:
        (root / f"{page.module}.py").write_text(page.source)
    stdout, stderr, _ = api.run(
        [
            "--config-file",
            str(root / "mypy.ini"),
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "docs_typecheck"),
            "--no-error-summary",
            "--hide-error-context",
            *(str(root / f"{page.module}.py") for page in PAGES),
        ]
    )
    assert not stderr, stderr
    errors: dict[str, dict[int, list[str]]] = {}
    for line in stdout.splitlines():
        match = _MYPY_ERROR.match(line)
        if match is not None:
            module = Path(match["path"]).stem
            errors.setdefault(module, {}).setdefault(int(match["line"]), []).append(
                match["message"]
            )
    return errors


def _mismatches(page: Page, found: dict[int, list[str]]) -> list[str]:
    """What differs between the page's markers and the errors a checker reported."""
    problems = [
        f"{page.where(line)}: {message}"
        for line, messages in sorted(found.items())
        if line not in page.expected
        for message in messages
    ]
    for line, text in sorted(page.expected.items()):
        messages = found.get(line, [])
        fragment = text.replace("...", "").strip()
        if not any(_matches(message, text) for message in messages):
            problems.append(
                f"{page.where(line)}: marked '# error: {fragment}', "
                f"reported {messages or 'nothing'}"
            )
    return problems


def _matches(message: str, marker: str) -> bool:
    """Whether ``message`` holds each ``...``-separated part of the marker, in order."""
    position = 0
    for part in (part.strip() for part in marker.split("...")):
        found = message.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


@pytest.mark.parametrize("page", _params(PAGES))
def test_page_type_checks_with_mypy_and_the_plugin(
    page: Page, mypy_errors: dict[str, dict[int, list[str]]]
) -> None:
    problems = _mismatches(page, mypy_errors.get(page.module, {}))
    assert not problems, "\n".join(problems)


PLAIN_PAGES = [page for page in PAGES if not page.needs_plugin]


@pytest.fixture(scope="module")
def pyright_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, list[str]]]:
    """basedpyright's errors on the pages that don't need the plugin (one run)."""
    root = tmp_path_factory.mktemp("docs_pyright")
    # Standard, not strict: strict reports every library type it only partly knows
    # (Starlette's TestClient), which is no error of the docs.
    config = {"typeCheckingMode": "standard", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]}
    (root / "pyrightconfig.json").write_text(json.dumps(config))
    for page in PLAIN_PAGES:
        (root / f"{page.module}.py").write_text(page.source)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "basedpyright",
            "--outputjson",
            f"--pythonpath={sys.executable}",
            "--project",
            str(root),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=TIMEOUT,
        check=False,
    )
    report = json.loads(completed.stdout)
    errors: dict[str, dict[int, list[str]]] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        module = Path(diagnostic["file"]).stem
        line = diagnostic["range"]["start"]["line"] + 1
        errors.setdefault(module, {}).setdefault(line, []).append(diagnostic["message"])
    return errors


@pytest.mark.parametrize("page", _params(PLAIN_PAGES))
def test_page_type_checks_with_basedpyright(
    page: Page, pyright_errors: dict[str, dict[int, list[str]]]
) -> None:
    problems = _mismatches(page, pyright_errors.get(page.module, {}))
    assert not problems, "\n".join(problems)
