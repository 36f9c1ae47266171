"""Bad input: answered with ``{"errors": [...]}``, never handled, never fatal."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from starlette.testclient import WebSocketTestSession

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect, is_error_reply

EVENTS = ("echo", "add")


class Strict(WebSocketHandlingEndpoint):
    """Records every call, so a test can see that bad input reached no handler."""

    calls: ClassVar[Recorder]

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        self.calls.put(("echo", text))
        return {"text": text}

    @on_event
    def add(self, a: int, b: int) -> dict[str, Any]:
        self.calls.put(("add", a, b))
        return {"sum": a + b}


@pytest.fixture
def strict() -> type[Strict]:
    """``Strict`` with a fresh call log."""
    return type("Recorded", (Strict,), {"calls": Recorder()})


def send(ws: WebSocketTestSession, frame: str | bytes) -> None:
    """Send ``frame`` as a text frame if it is a ``str``, a binary one if ``bytes``."""
    if isinstance(frame, str):
        ws.send_text(frame)
    else:
        ws.send_bytes(frame)


def assert_still_serving(ws: WebSocketTestSession, endpoint: type[Strict]) -> None:
    """The next valid message is handled, and was the first one to reach a handler."""
    ws.send_json({"type": "echo", "text": "next"})
    assert ws.receive_json() == {"type": "echo", "text": "next"}
    assert endpoint.calls.get() == ("echo", "next")
    assert endpoint.calls.empty()


DEEP = "[" * 5000 + "]" * 5000

#: Each kind of bad frame: the frame, the error ``type`` expected (if fixed), its ``loc``.
BAD_FRAMES: dict[str, tuple[str | bytes, str | None, list[str]]] = {
    "invalid json": ('{"type": "echo", "text": ', "json_invalid", []),
    "invalid json in bytes": (b'{"type": "echo"', "json_invalid", []),
    "empty text": ("", "json_invalid", []),
    "empty bytes": (b"", "json_invalid", []),
    "trailing garbage": ('{"type": "echo", "text": "x"} !', "json_invalid", []),
    "undecodable bytes": (b"\xff\xfe\x00{", "json_invalid", []),
    "latin-1 bytes": ('{"type": "echo", "text": "é"}'.encode("latin-1"), "json_invalid", []),
    "array": ("[1, 2]", "dict_type", []),
    "string": ('"echo"', "dict_type", []),
    "number": ("42", "dict_type", []),
    "null": ("null", "dict_type", []),
    "missing type": ('{"text": "x"}', "missing", ["type"]),
    "unknown type": ('{"type": "nope", "text": "x"}', "union_tag_invalid", ["type"]),
    "non-string type": ('{"type": 3}', None, ["type"]),
    "wrong field type": ('{"type": "echo", "text": 3}', "string_type", ["text"]),
    "unparsable int": ('{"type": "add", "a": "x", "b": 1}', "int_parsing", ["a"]),
    "fractional int": ('{"type": "add", "a": 1.5, "b": 1}', "int_from_float", ["a"]),
    "missing field": ('{"type": "add", "a": 1}', "missing", ["b"]),
    "extra field": ('{"type": "echo", "text": "x", "room": 1}', "extra_forbidden", ["room"]),
    "over-deep nesting": ('{"type": "echo", "text": ' + DEEP + "}", "json_invalid", []),
    "over-deep in bytes": (('{"type": "echo", "text": ' + DEEP + "}").encode(), "json_invalid", []),
}


@pytest.mark.parametrize(
    ("frame", "error_type", "loc"), list(BAD_FRAMES.values()), ids=list(BAD_FRAMES)
)
def test_bad_input_gets_an_error_reply_and_the_next_message_is_handled(
    strict: type[Strict], frame: str | bytes, error_type: str | None, loc: list[str]
) -> None:
    with connect(strict) as ws:
        send(ws, frame)
        reply = ws.receive_json()
        assert is_error_reply(reply), reply
        assert loc in [entry["loc"] for entry in reply["errors"]]
        if error_type is not None:
            assert error_type in [entry["type"] for entry in reply["errors"]]
        assert_still_serving(ws, strict)


def test_every_field_error_is_reported_at_once_and_unknown_keys_when_the_fields_are_valid(
    strict: type[Strict],
) -> None:
    with connect(strict) as ws:
        ws.send_json({"type": "add", "a": "x", "extra": 1})
        reply = ws.receive_json()
        assert is_error_reply(reply)
        assert sorted((e["type"], e["loc"]) for e in reply["errors"]) == [
            ("int_parsing", ["a"]),
            ("missing", ["b"]),
        ]
        ws.send_json({"type": "add", "a": 1, "b": 2, "extra": 1, "more": 2})
        reply = ws.receive_json()
        assert [(e["type"], e["loc"]) for e in reply["errors"]] == [
            ("extra_forbidden", ["extra"]),
            ("extra_forbidden", ["more"]),
        ]
        assert_still_serving(ws, strict)


@pytest.mark.parametrize("frame", ['{"type": "nope"}', '{"text": "x"}', "{}"])
def test_a_missing_or_unknown_type_lists_the_known_events(strict: type[Strict], frame: str) -> None:
    with connect(strict) as ws:
        ws.send_text(frame)
        (entry,) = ws.receive_json()["errors"]
        assert entry["loc"] == ["type"]
        for event in EVENTS:
            assert repr(event) in entry["msg"]
        assert_still_serving(ws, strict)


def test_the_rejected_input_is_never_echoed(strict: type[Strict]) -> None:
    with connect(strict) as ws:
        ws.send_text('{"type": "add", "a": "SECRET-INPUT", "b": 1}')
        frame = ws.receive()
        assert "SECRET-INPUT" not in frame["text"]
        assert is_error_reply(json.loads(frame["text"]))


def test_many_bad_messages_in_a_row_do_not_close_the_connection(strict: type[Strict]) -> None:
    with connect(strict) as ws:
        for frame, _, _ in BAD_FRAMES.values():
            send(ws, frame)
        for _ in BAD_FRAMES:
            assert is_error_reply(ws.receive_json())
        assert_still_serving(ws, strict)


class Small(Strict):
    """A 64-byte message limit."""

    max_message_size = 64


@pytest.fixture
def small() -> type[Small]:
    """``Small`` with a fresh call log."""
    return type("Recorded", (Small,), {"calls": Recorder()})


def padded(size: int, char: str = "x") -> str:
    """A valid ``echo`` message of exactly ``size`` bytes of UTF-8 (``char`` repeated)."""
    stem = len('{"type":"echo","text":""}')
    width = len(char.encode())
    assert (size - stem) % width == 0
    return '{"type":"echo","text":"' + char * ((size - stem) // width) + '"}'


def test_the_default_limit_is_one_mebibyte() -> None:
    assert WebSocketHandlingEndpoint.max_message_size == 1024 * 1024


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_a_message_over_max_message_size_is_refused_unread(
    small: type[Small], as_bytes: bool
) -> None:
    message = padded(65)
    with connect(small) as ws:
        send(ws, message.encode() if as_bytes else message)
        (entry,) = ws.receive_json()["errors"]
        assert entry["type"] == "message_too_large"
        assert {"type", "loc", "msg"} <= set(entry)
        assert "input" not in entry
        assert "url" not in entry
        assert_still_serving(ws, small)


def test_a_message_of_exactly_max_message_size_is_handled(small: type[Small]) -> None:
    message = padded(64)
    with connect(small) as ws:
        ws.send_text(message)
        assert ws.receive_json() == json.loads(message)


def test_the_limit_counts_utf8_bytes_not_characters(small: type[Small]) -> None:
    """39 characters, but 25 + 3 x 13 = 64 bytes: handled; one more '€' is 67 bytes."""
    with connect(small) as ws:
        ws.send_text(padded(64, "€"))
        assert ws.receive_json() == {"type": "echo", "text": "€" * 13}
        ws.send_text(padded(67, "€"))
        assert ws.receive_json()["errors"][0]["type"] == "message_too_large"
        ws.send_bytes(padded(67, "€").encode())
        assert ws.receive_json()["errors"][0]["type"] == "message_too_large"
        ws.send_json({"type": "echo", "text": "next"})
        assert ws.receive_json() == {"type": "echo", "text": "next"}


def test_the_default_limit_refuses_a_message_just_over_it(strict: type[Strict]) -> None:
    with connect(strict) as ws:
        ws.send_text(padded(1024 * 1024))
        assert ws.receive_json() == {"type": "echo", "text": "x" * (1024 * 1024 - 25)}
        ws.send_bytes(padded(1024 * 1024 + 1).encode())
        assert ws.receive_json()["errors"][0]["type"] == "message_too_large"


class NoHandlers(WebSocketHandlingEndpoint):
    """An endpoint without events: every message is an error, none is fatal."""


@pytest.mark.parametrize(
    ("frame", "error_type", "loc"),
    [
        ('{"type": "echo"}', "union_tag_invalid", ["type"]),
        ("{}", "missing", ["type"]),
        ("nope", "json_invalid", []),
        (b"\xff", "json_invalid", []),
        ("[]", "dict_type", []),
    ],
)
def test_an_endpoint_without_handlers_answers_like_any_other(
    frame: str | bytes, error_type: str, loc: list[str]
) -> None:
    """The same error shapes as an endpoint with events, and the connection goes on."""
    with connect(NoHandlers) as ws:
        send(ws, frame)
        reply = ws.receive_json()
        assert is_error_reply(reply)
        assert [(e["type"], e["loc"]) for e in reply["errors"]] == [(error_type, loc)]
        assert "class_name" not in reply["errors"][0].get("ctx", {})
        ws.send_json({"type": "echo"})
        (entry,) = ws.receive_json()["errors"]
        assert entry["loc"] == ["type"]
