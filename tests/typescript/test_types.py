"""The generated clients under tsc --strict --noUncheckedIndexedAccess --exactOptionalPropertyTypes.

``usage.ts`` uses the Desk client as an application would, and marks each typical
mistake with ``@ts-expect-error``: tsc fails on an error that is not expected and on
an expectation that no error meets. The same usage compiles against the JavaScript
client's ``.d.ts``, and the chat page's own script is checked against its client.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from socketsundso.asyncapi._schemas import SCHEMAS_POINTER, SchemaSet
from socketsundso.typescript import RUNTIME_NAMES, typescript_client
from socketsundso.typescript._schema_types import TypeWriter
from tests.typescript.endpoints import Desk

from .conftest import MODULES, STRICT, tsc

USAGE = Path(__file__).with_name("usage.ts")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "static"


def check(tools: Path, folder: Path, *files: str, lib: str = "ES2022,DOM") -> None:
    result = tsc(tools, *STRICT, *MODULES, "--lib", lib, "--noEmit", *files, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typescript_client_compiles_alone_without_dom_types(
    typescript_tools: Path, desk_typescript: Path
) -> None:
    check(typescript_tools, desk_typescript.parent, desk_typescript.name, lib="ES2020")


def test_typical_mistakes_are_type_errors_and_correct_use_is_clean(
    typescript_tools: Path, desk_typescript: Path
) -> None:
    shutil.copy(USAGE, desk_typescript.parent)
    check(typescript_tools, desk_typescript.parent, USAGE.name)


def test_an_unmet_expectation_fails_the_check(typescript_tools: Path, tmp_path: Path) -> None:
    """The check above can fail: a mistake the types let through is reported."""
    (tmp_path / "desk_client.ts").write_text(typescript_client(Desk), encoding="utf-8")
    usage = USAGE.read_text(encoding="utf-8").replace('{ n: "1" }', "{ n: 1 }")
    (tmp_path / USAGE.name).write_text(usage, encoding="utf-8")
    result = tsc(typescript_tools, *STRICT, *MODULES, "--noEmit", USAGE.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "Unused '@ts-expect-error' directive" in result.stdout


def test_the_javascript_client_s_declarations_type_the_same_usage(
    typescript_tools: Path, desk_javascript: Path
) -> None:
    folder = desk_javascript.parent
    usage = USAGE.read_text(encoding="utf-8").replace('"./desk_client"', '"./desk_client.js"')
    (folder / USAGE.name).write_text(usage, encoding="utf-8")
    check(typescript_tools, folder, USAGE.name)


def test_nothing_the_client_exports_is_any(
    typescript_tools: Path, desk_typescript: Path, tmp_path: Path
) -> None:
    result = tsc(
        typescript_tools,
        *STRICT,
        *MODULES,
        "--lib",
        "ES2020",
        "--declaration",
        "--emitDeclarationOnly",
        "--removeComments",
        "--outDir",
        str(tmp_path),
        desk_typescript.name,
        cwd=desk_typescript.parent,
    )
    assert result.returncode == 0, result.stdout
    declarations = (tmp_path / "desk_client.d.ts").read_text(encoding="utf-8")
    assert "export declare function connect" in declarations
    assert re.findall(r"\bany\b", declarations) == []


def test_the_chat_page_is_checked_against_its_generated_client(typescript_tools: Path) -> None:
    check(
        typescript_tools,
        EXAMPLES,
        "--allowJs",
        "--checkJs",
        "chat.js",
        lib="ES2022,DOM,DOM.Iterable",
    )


def test_the_runtime_s_error_entry_is_what_the_server_sends(
    typescript_tools: Path, desk_typescript: Path
) -> None:
    """``ErrorEntry`` is written in runtime.ts; the server's schema of an entry must fit it."""
    writer = TypeWriter(SchemaSet([]).schemas, SCHEMAS_POINTER, RUNTIME_NAMES)
    wire = writer.expression({"$ref": SCHEMAS_POINTER + "socketsundso.ErrorEntry"})
    source = (
        'import type { ErrorEntry } from "./desk_client";\n'
        + writer.declarations()
        + "type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2"
        + " ? true : false;\n"
        + f"export const sameKeys: Equal<keyof ErrorEntry, keyof {wire}> = true;\n"
        + f"export function fits(entry: {wire}): ErrorEntry {{\n  return entry;\n}}\n"
    )
    (desk_typescript.parent / "error_entry.ts").write_text(source, encoding="utf-8")
    check(typescript_tools, desk_typescript.parent, "error_entry.ts")
