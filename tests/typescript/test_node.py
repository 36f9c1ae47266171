"""The generated JavaScript client in Node against uvicorn on 127.0.0.1 (scenarios.mjs).

Each scenario is one Node process with Node's own WebSocket; the server is
``tests.typescript.endpoints:app`` in a thread. ``restart`` stops the server under a
connected client and starts it again on the same port.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.servers import end_process, free_port, serve

from .endpoints import app

SCENARIOS = Path(__file__).with_name("scenarios.mjs")
#: Seconds a scenario may take before the test fails (they take one or two).
SCENARIO_TIMEOUT = 60
#: Seconds a server being stopped gives its handlers (the restart leaves one sleeping).
GRACE = 1


def node_command(node: str, client: Path, url: str, scenario: str) -> list[str]:
    """The command that runs ``scenario`` of scenarios.mjs with ``client`` against ``url``."""
    return [node, "--experimental-websocket", str(SCENARIOS), str(client), url, scenario]


def run_scenario(node: str, client: Path, url: str, scenario: str) -> list[str]:
    """Run one scenario to its end; return the steps it printed. Fails with its stderr."""
    result = subprocess.run(
        node_command(node, client, url, scenario),
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("scenario", "steps"),
    [
        (
            "requests",
            [
                "request and reply",
                "200 concurrent requests, each with its own reply",
                "error replies reject with RequestError and their entries",
                "an error reply to send reaches onError with its event",
            ],
        ),
        (
            "timeouts",
            [
                "a request past its timeout rejects with TimeoutError",
                "a late reply is dropped",
                "an aborted request rejects with the signal's reason",
                "requests past maxPending are refused at once",
            ],
        ),
        (
            "events",
            ["a server event reaches another member", "a listener stops when its off() is called"],
        ),
    ],
)
def test_scenario_against_uvicorn(
    node: str, desk_javascript: Path, scenario: str, steps: list[str]
) -> None:
    with serve(app) as base:
        assert run_scenario(node, desk_javascript, f"{base}/desk", scenario) == [*steps, "done"]


def test_a_client_that_comes_back_resumes_its_groups(node: str, history_javascript: Path) -> None:
    with serve(app) as base:
        assert run_scenario(node, history_javascript, f"{base}/history", "resume") == [
            "positions are kept per group",
            "a re-join with the last position gets what was missed, once, in order",
            "done",
        ]


def test_requests_never_hang_while_the_server_is_down(node: str, desk_javascript: Path) -> None:
    url = f"ws://127.0.0.1:{free_port()}/desk"
    assert run_scenario(node, desk_javascript, url, "down") == [
        "a request while the server is down rejects within its timeout",
        "close() rejects what waits, and what comes after, at once",
        "without reconnect, a lost connection closes the client",
        "done",
    ]


def test_the_client_reconnects_after_the_server_restarts(node: str, desk_javascript: Path) -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}/desk"
    with serve(app, port=port, timeout_graceful_shutdown=GRACE):
        process = subprocess.Popen(
            node_command(node, desk_javascript, url, "restart"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        try:
            assert process.stdout.readline().strip() == "connected"
        except BaseException:
            end_process(process, 5)
            raise
    # The server is down: the client notices, and a request made now times out.
    try:
        assert process.stdout.readline().strip() == "lost"
        assert process.stdout.readline().strip() == "waiting"
        with serve(app, port=port, timeout_graceful_shutdown=GRACE):
            out, err = process.communicate(timeout=SCENARIO_TIMEOUT)
    finally:
        if process.poll() is None:
            end_process(process, 5)
    assert process.returncode == 0, out + err
    assert out.splitlines() == ["back", "done"]
