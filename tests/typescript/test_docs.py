"""The TypeScript blocks of docs/clients.md and docs/features.md compile against the chat client."""

from __future__ import annotations

import re
from pathlib import Path

from examples.chat import Chat
from socketsundso.typescript import typescript_client

from .conftest import MODULES, STRICT, tsc

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "clients.md", ROOT / "docs" / "features.md"]
_TS_BLOCK = re.compile(r"^```ts\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def test_every_typescript_block_of_the_docs_compiles(
    typescript_tools: Path, tmp_path: Path
) -> None:
    blocks = [block for page in PAGES for block in _TS_BLOCK.findall(page.read_text("utf-8"))]
    assert len(blocks) >= 5
    (tmp_path / "chat_client.ts").write_text(typescript_client(Chat), encoding="utf-8")
    names = []
    for number, block in enumerate(blocks, 1):
        names.append(f"block{number}.ts")
        (tmp_path / names[-1]).write_text(block, encoding="utf-8")
    result = tsc(
        typescript_tools,
        *STRICT,
        *MODULES,
        "--lib",
        "ES2022,DOM",
        "--noEmit",
        *names,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
