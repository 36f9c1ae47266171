"""``python -m socketsundso asyncapi``: the document as JSON, drift checks, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from socketsundso.__main__ import main
from socketsundso.asyncapi import asyncapi_document

from .endpoints import Shop, app

ROOT = Path(__file__).resolve().parents[2]
SHOP = "tests.asyncapi.endpoints:Shop"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line in a fresh interpreter, from the repository's root."""
    return subprocess.run(
        [sys.executable, "-m", "socketsundso", "asyncapi", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prints_the_document() -> None:
    result = cli(SHOP, "--path", "/shop", "--title", "Shop API", "--version", "2.0.0")
    assert result.returncode == 0, result.stderr
    expected = asyncapi_document(Shop, path="/shop", title="Shop API", version="2.0.0")
    assert json.loads(result.stdout) == expected
    assert result.stdout == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert list(json.loads(result.stdout)) == list(expected)


def test_bad_reference_is_a_clear_error() -> None:
    result = cli("tests.asyncapi.endpoints:Nope", "--path", "/shop")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "'tests.asyncapi.endpoints' has no attribute 'Nope'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("tests.asyncapi.endpoints", "is not a reference of the form module:Endpoint"),
        ("tests.asyncapi.nowhere:Shop", "cannot import 'tests.asyncapi.nowhere'"),
        ("tests.asyncapi.endpoints:Catalog.Nope", "(missing: 'Nope')"),
        ("tests.asyncapi.endpoints:Size", "takes a WebSocketHandlingEndpoint subclass"),
        ("tests.asyncapi.endpoints:Size", "tests.asyncapi.endpoints:Size: "),
        ("tests.asyncapi.endpoints:cli_sample", "not a function object: <function cli_sample"),
        ("tests.asyncapi.endpoints:Shop", "needs path="),
    ],
)
def test_bad_references(capsys: pytest.CaptureFixture[str], reference: str, message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["asyncapi", reference])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_app_reference_needs_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asyncapi", "tests.asyncapi.endpoints:app"]) == 0
    assert json.loads(capsys.readouterr().out) == asyncapi_document(app)


def test_output_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    committed = tmp_path / "asyncapi.json"
    assert main(["asyncapi", SHOP, "--path", "/shop", "--output", str(committed)]) == 0
    assert json.loads(committed.read_text()) == asyncapi_document(Shop, path="/shop")
    assert main(["asyncapi", SHOP, "--path", "/shop", "--check", str(committed)]) == 0
    assert capsys.readouterr().out == ""

    assert main(["asyncapi", SHOP, "--path", "/moved", "--check", str(committed)]) == 1
    captured = capsys.readouterr()
    assert '-      "address": "/shop",' in captured.out
    assert '+      "address": "/moved",' in captured.out
    assert "is out of date" in captured.err


def test_version_is_printed() -> None:
    from socketsundso import __version__

    result = subprocess.run(
        [sys.executable, "-m", "socketsundso", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith(f"socketsundso {__version__} at ")  # then where from


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    read, write = os.pipe()
    os.close(read)  # like `| head` that has read what it wanted and left
    with subprocess.Popen(
        [sys.executable, "-m", "socketsundso", "asyncapi", "tests.asyncapi.endpoints:app"],
        cwd=ROOT,
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        os.close(write)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert errors == ""
