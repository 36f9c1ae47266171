"""Hypothesis strategies for hostile frames, the endpoint they are thrown at, and the property.

Shared by the short fuzz profile in the suite (``test_fuzz.py``) and the long one
in ``bench/fuzz.py``. A frame is ``("text", str)`` or ``("bytes", bytes)``. After
the frames of an example the client sends ``FINAL``; the property is that every
frame got exactly one reply (so the reply to ``FINAL`` is the last one, at index
``len(frames)``), that each reply is an answer or an error reply, and that no
handler ever saw a value of another type than its annotation says.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar, NamedTuple

from hypothesis import strategies as st
from pydantic import BaseModel

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["FINAL", "Frame", "FuzzEndpoint", "check_replies", "frames"]


class Frame(NamedTuple):
    """One frame to send: ``kind`` ``"text"`` or ``"bytes"``, its ``data``, and ``answer``:
    the exact reply a valid message must get, or ``None`` where an error reply may come.
    """

    kind: str
    data: str | bytes
    answer: dict[str, Any] | None = None


#: The message that ends every example; its answer must be the last reply.
FINAL: dict[str, Any] = {"type": "ping", "id": "final"}


class Point(BaseModel):
    """A nested model parameter."""

    x: int
    y: int


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    """A ``str`` that is valid Unicode (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class FuzzEndpoint(WebSocketHandlingEndpoint):
    """Handlers of many parameter types, each checking with ``isinstance`` what it got.

    ``seen`` counts calls per event and ``violations`` lists every value that was not
    of its annotated type; the property wants ``violations`` empty. Messages over
    64 KiB are refused, so the fuzzer's huge strings hit the size limit too.
    """

    max_message_size = 64 * 1024
    seen: ClassVar[dict[str, int]] = {}
    violations: ClassVar[list[str]] = []

    @classmethod
    def reset(cls) -> None:
        """Forget what earlier examples recorded."""
        cls.seen.clear()
        cls.violations.clear()

    def _check(self, event: str, **checks: bool) -> dict[str, Any]:
        type(self).seen[event] = type(self).seen.get(event, 0) + 1
        type(self).violations.extend(f"{event}.{name}" for name, ok in checks.items() if not ok)
        return {"event": event}

    @on_event
    async def text(self, value: str) -> dict[str, Any]:
        """A string."""
        return self._check("text", value=_is_text(value))

    @on_event
    async def add(self, a: int, b: int) -> dict[str, Any]:
        """Two integers, of any size."""
        return self._check("add", a=_is_int(a), b=_is_int(b))

    @on_event
    async def scale(self, x: float, factor: float = 1.0) -> dict[str, Any]:
        """Two floats (a JSON integer becomes a float)."""
        return self._check("scale", x=isinstance(x, float), factor=isinstance(factor, float))

    @on_event
    def flags(self, on: bool, tags: list[str]) -> dict[str, Any]:
        """A bool and a list of strings (a sync handler, run in the threadpool)."""
        return self._check(
            "flags",
            on=isinstance(on, bool),
            tags=isinstance(tags, list) and all(_is_text(tag) for tag in tags),
        )

    @on_event
    async def table(self, rows: dict[str, list[int]]) -> dict[str, Any]:
        """A mapping of strings to lists of integers."""
        valid = isinstance(rows, dict) and all(
            _is_text(key) and isinstance(row, list) and all(_is_int(n) for n in row)
            for key, row in rows.items()
        )
        return self._check("table", rows=valid)

    @on_event
    async def point(self, p: Point, label: str | None = None) -> dict[str, Any]:
        """A nested model and an optional string."""
        return self._check(
            "point",
            p=isinstance(p, Point) and _is_int(p.x) and _is_int(p.y),
            label=label is None or _is_text(label),
        )

    @on_event
    async def ping(self) -> dict[str, Any]:
        """No parameters: the message that ends every example."""
        return {"pong": True}


# --- values ---------------------------------------------------------------------------

#: Numbers at the edges, as JSON tokens: 64-bit bounds, beyond them, float extremes, and
#: the non-standard literals some parsers take.
EDGE_NUMBERS = (
    "0", "-0", "1", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551616", "-18446744073709551616", "1" + "0" * 400, "1e308", "-1e308",
    "1.7976931348623157e308", "1e309", "-1e400", "5e-324", "1e-400", "0.1", "1E+2", "NaN",
    "Infinity", "-Infinity", "nan", "inf", "01", "1.", ".5", "+1", "0x10", "1_000",
)  # fmt: skip
#: The same edges as JSON strings, which lax validation may read as numbers.
EDGE_STRINGS = ("NaN", "nan", "Infinity", "-inf", "1e309", "9223372036854775808", " 1 ", "1_0")

lone_surrogates = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1)
unicode_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), lone_surrogates, st.text(max_size=5)),
)
huge_strings = st.sampled_from([1_000, 65_000, 70_000, 200_000]).map(lambda n: "é" * n)
edge_values = st.sampled_from(EDGE_STRINGS)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(2**62)), st.floats(), unicode_text, edge_values,
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
    max_leaves=12,
)

#: Valid fields for each event: right types, random values.
VALID_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "text": {"value": st.text()},
    "add": {"a": st.integers(), "b": st.integers()},
    "scale": {
        "x": st.floats(allow_nan=False, allow_infinity=False),
        "factor": st.floats(-1e6, 1e6),
    },
    "flags": {"on": st.booleans(), "tags": st.lists(st.text(max_size=8), max_size=5)},
    "table": {"rows": st.dictionaries(st.text(max_size=8), st.lists(st.integers()), max_size=4)},
    "point": {"p": st.fixed_dictionaries({"x": st.integers(), "y": st.integers()})},
    "ping": {},
}
EVENTS = tuple(VALID_FIELDS)


@st.composite
def valid_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A message every handler must accept: a known event, its fields, right types."""
    event = draw(st.sampled_from(EVENTS))
    message: dict[str, Any] = {"type": event}
    message.update({name: draw(strategy) for name, strategy in VALID_FIELDS[event].items()})
    if draw(st.booleans()):
        message["id"] = draw(st.one_of(st.integers(), st.text(max_size=8)))
    return message


@st.composite
def mutated_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A known (or unknown) event whose fields are any JSON, some missing, some extra."""
    event = draw(st.sampled_from((*EVENTS, "nope", "", "__class__")))
    message: dict[str, Any] = {"type": event}
    for name in VALID_FIELDS.get(event, {}):
        if draw(st.integers(0, 4)):
            message[name] = draw(json_values)
    if draw(st.integers(0, 3)) == 0:
        message[draw(unicode_text)] = draw(json_values)
    if draw(st.integers(0, 3)) == 0:
        message["id"] = draw(json_values)
    if draw(st.integers(0, 5)) == 0:
        message["type"] = draw(json_values)
    return message


def _encode(message: Any, ascii_only: bool) -> str:
    return json.dumps(message, ensure_ascii=ascii_only, allow_nan=True)


@st.composite
def raw_texts(draw: st.DrawFn) -> str:
    """Text that is not a JSON message, or barely: hand-made hostile documents."""
    event = draw(st.sampled_from(EVENTS))
    field = next(iter(VALID_FIELDS[event]), "x")
    depth = draw(st.sampled_from([1, 10, 64, 200, 256, 1_000, 10_000]))
    number = draw(st.sampled_from(EDGE_NUMBERS))
    return draw(
        st.sampled_from(
            [
                f'{{"type": "add", "a": {number}, "b": 1}}',
                f'{{"type": "scale", "x": {number}}}',
                f'{{"type": "{event}", "{field}": {"[" * depth}{"]" * depth}}}',
                '{"type": "point", "p": ' + '{"x": ' * depth + "1" + "}" * depth + "}",
                "[" * depth,
                '{"a":' * depth + "1" + "}" * depth,
                "",
                " ",
                "null",
                "[]",
                '"type"',
                f'{{"type": "{event}"',
                f'{{"type": "{event}", "type": "ping"}}',
                '{"type": "ping"} {"type": "ping"}',
                "\x00",
                "\ufeff" + _encode(FINAL, True),
            ]
        )
    )


def _answer(message: dict[str, Any]) -> dict[str, Any]:
    answer = {"type": "ping", "pong": True} if message["type"] == "ping" else {}
    answer = answer or {"type": message["type"], "event": message["type"]}
    if "id" in message:
        answer["id"] = message["id"]
    return answer


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    """One hostile frame, text or binary; a third of them valid messages."""
    kind = draw(st.integers(0, 9))
    answer = None
    if kind <= 2:
        message = draw(valid_messages())
        text = _encode(message, draw(st.booleans()))
        answer = _answer(message)
    elif kind <= 4:
        text = _encode(draw(mutated_messages()), draw(st.booleans()))
    elif kind == 5:
        text = draw(raw_texts())
    elif kind == 6:
        field = draw(st.sampled_from(["value", "label"]))
        event = "text" if field == "value" else "point"
        message = {"type": event, field: draw(huge_strings)}
        if event == "point":
            message["p"] = {"x": 1, "y": 2}
        text = _encode(message, draw(st.booleans()))
    elif kind == 7:
        text = draw(st.text(max_size=60))
    elif kind == 8:
        return Frame("bytes", draw(st.binary(max_size=80)))
    else:
        # Invalid UTF-8 inside an otherwise valid message, as a binary frame.
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]))
        return Frame("bytes", b'{"type": "text", "value": "' + junk + b'"}')
    if draw(st.integers(0, 4)) == 0:
        return Frame("bytes", text.encode("utf-8", "surrogatepass"), answer)
    return Frame("text", text, answer)


def _is_error_reply(reply: dict[str, Any]) -> bool:
    errors = reply.get("errors")
    return (
        isinstance(errors, list)
        and len(errors) > 0
        and all(isinstance(e, dict) and {"type", "loc", "msg"} <= e.keys() for e in errors)
    )


def check_replies(sent: list[Frame], replies: list[str]) -> None:
    """Assert the property for one example: ``replies`` are all texts received, in order.

    One reply per frame sent and one for ``FINAL``, the last; each a JSON object that
    is an answer (``type``) or an error reply; and no handler saw an ill-typed value.
    """
    assert len(replies) == len(sent) + 1, f"{len(replies)} replies to {len(sent)} + 1 frames"
    decoded = [json.loads(reply) for reply in replies]
    assert decoded[-1] == {"type": "ping", "pong": True, "id": "final"}
    for frame, reply in zip(sent, decoded[:-1], strict=True):
        assert isinstance(reply, dict)
        if frame.answer is not None:
            assert reply == frame.answer, (frame, reply)
        assert "type" in reply or _is_error_reply(reply), reply
        assert not any(isinstance(v, float) and math.isnan(v) for v in reply.values())
    assert FuzzEndpoint.violations == []
