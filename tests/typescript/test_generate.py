"""Generating clients: the command line, deterministic bytes, the runtime's build and size.

The runtime (``socketsundso/typescript/runtime.ts``) is shipped beside its JavaScript
and declarations, which tsc makes from it (``tools/typescript``, ``npm run
build-runtime``): a test fails when they are stale. The chat example's committed
client must match its endpoint, as a CI would check any committed client.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.__main__ import main
from socketsundso.typescript import RUNTIME_NAMES, javascript_client, typescript_client
from tests.hardening.figures import write_figures
from tests.typescript.endpoints import Desk

from .conftest import tsc

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "socketsundso" / "typescript"
DESK = "tests.typescript.endpoints:Desk"
#: The issue's goal for the runtime, minified and gzipped.
RUNTIME_BUDGET = 4096


def test_the_same_endpoint_gives_the_same_bytes_in_another_process() -> None:
    here = typescript_client(Desk)
    assert typescript_client(Desk) == here
    for seed in ("1", "2"):
        other = subprocess.run(
            [sys.executable, "-m", "socketsundso", "typescript", DESK],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert other.stdout == here


def test_the_command_writes_to_stdout_or_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["typescript", DESK]) == 0
    assert capsys.readouterr().out == typescript_client(Desk)
    out = tmp_path / "desk.ts"
    assert main(["typescript", DESK, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == typescript_client(Desk)


def test_js_writes_a_module_and_its_declarations(tmp_path: Path) -> None:
    out = tmp_path / "desk_client.js"
    assert main(["typescript", DESK, "--js", "--out", str(out)]) == 0
    client = javascript_client(Desk)
    assert out.read_text(encoding="utf-8") == client.module
    assert (tmp_path / "desk_client.d.ts").read_text(encoding="utf-8") == client.declarations
    assert "export function connect(url, options)" in client.module
    assert ": string" not in client.module  # plain JavaScript


def test_check_passes_on_a_fresh_file_and_fails_with_a_diff_on_a_stale_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "desk_client.js"
    main(["typescript", DESK, "--js", "--out", str(out)])
    assert main(["typescript", DESK, "--js", "--check", str(out)]) == 0
    declarations = tmp_path / "desk_client.d.ts"
    declarations.write_text(declarations.read_text().replace("ticketId", "ticket_id"))
    capsys.readouterr()
    assert main(["typescript", DESK, "--js", "--check", str(out)]) == 1
    captured = capsys.readouterr()
    assert "-  ticket_id: number;" in captured.out
    assert "+  ticketId: number;" in captured.out
    assert "desk_client.d.ts is out of date" in captured.err


def test_the_chat_example_s_committed_client_matches_its_endpoint() -> None:
    module = ROOT / "examples" / "static" / "chat_client.js"
    assert main(["typescript", "examples.chat:Chat", "--js", "--check", str(module)]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["examples.chat:app"], "not a WebSocketHandlingEndpoint subclass"),
        (["examples.chat:Chat", "--js"], "--js writes two files: give the module's path"),
        (["examples.chat:Nope"], "has no attribute 'Nope'"),
    ],
)
def test_bad_arguments_exit_2_saying_why(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["typescript", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_fingerprint_follows_the_protocol() -> None:
    class Small(WebSocketHandlingEndpoint):
        @on_event
        async def on_ping(self, n: int) -> None:
            """Ping."""

    class Wider(Small):
        @on_event
        async def on_pong(self) -> None:
            """Pong."""

    def fingerprint(endpoint: type[WebSocketHandlingEndpoint]) -> str:
        text = typescript_client(endpoint)
        return text.split('export const PROTOCOL = "', 1)[1].split('"', 1)[0]

    assert fingerprint(Small).startswith("sha256:")
    assert fingerprint(Small) == fingerprint(Small)
    assert fingerprint(Wider) != fingerprint(Small)


def test_model_names_never_take_the_runtime_s_names() -> None:
    class Client(BaseModel):
        name: str

    class Clients(WebSocketHandlingEndpoint):
        @on_event
        async def on_register(self, client: Client) -> Client:
            return client

    text = typescript_client(Clients)
    assert "export interface Client_2 {" in text
    assert "client: Client_2;" in text
    assert "export class Client<P extends ProtocolShape>" in text


def test_runtime_names_lists_every_name_the_module_exports() -> None:
    exported = re.findall(
        r"^export (?:declare )?(?:class|interface|type|const|function) (\w+)",
        typescript_client(Desk),
        re.MULTILINE,
    )
    models = {"ItemInput", "ItemOutput", "Priority", "Ticket", "Posted", "Moved"}
    responses = {"EchoResponse", "SlowResponse", "RefuseResponse"}
    assert sorted(set(exported) - models - responses) == sorted(RUNTIME_NAMES)


def test_the_shipped_runtime_is_what_tsc_makes_of_runtime_ts(
    typescript_tools: Path, tmp_path: Path
) -> None:
    result = tsc(
        typescript_tools,
        "-p",
        "tsconfig.runtime.json",
        "--outDir",
        str(tmp_path),
        cwd=typescript_tools,
    )
    assert result.returncode == 0, result.stdout
    for name in ("runtime.js", "runtime.d.ts"):
        assert (tmp_path / name).read_text() == (RUNTIME / name).read_text(), (
            f"socketsundso/typescript/{name} is stale: cd tools/typescript && npm run build-runtime"
        )


def test_the_runtime_is_small_minified_and_gzipped(typescript_tools: Path) -> None:
    minified = subprocess.run(
        [
            str(typescript_tools / "node_modules" / ".bin" / "terser"),
            str(RUNTIME / "runtime.js"),
            "--module",
            "--compress",
            "--mangle",
        ],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    size = len(gzip.compress(minified, 9))
    write_figures(
        "typescript-runtime-size",
        {
            "source bytes": len((RUNTIME / "runtime.js").read_bytes()),
            "minified bytes": len(minified),
            "minified+gzip bytes": size,
        },
    )
    assert size <= RUNTIME_BUDGET
