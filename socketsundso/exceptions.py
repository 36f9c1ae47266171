"""Exceptions socketsundso raises, and the error entries it sends to clients."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict

from ._envelope import EVENT_BRANCH, PROBE_BRANCH
from .models import RequestId

__all__ = [
    "EXCERPT_LENGTH",
    "MAX_ERRORS_LISTED",
    "MAX_ERROR_ENTRIES",
    "MAX_MESSAGE_LENGTH",
    "BroadcastUnavailable",
    "ErrorEntry",
    "EventError",
    "InvalidGroupName",
    "InvalidMessage",
    "MessageError",
    "ResponseError",
    "TooManyGroups",
    "errors_for_client",
]


class ErrorEntry(TypedDict, total=False):
    """One entry of an error reply's ``errors`` list, in pydantic's own error shape."""

    type: str
    loc: Sequence[str | int]
    msg: str
    ctx: dict[str, Any]


#: Most entries one error reply lists; the rest are counted in a ``too_many_errors`` entry.
MAX_ERROR_ENTRIES = 10
#: A validation error with more errors than this is answered by one ``too_many_errors``
#: entry: building pydantic's entries costs about 1.5 µs each, so a client sending
#: 80,000 wrong items must not make the server build 80,000 of them.
MAX_ERRORS_LISTED = 100
#: Longest ``msg`` of an entry, in characters (a custom validator's message may quote input).
MAX_MESSAGE_LENGTH = 300
#: Longest excerpt of client-controlled text in an entry (a ``loc`` key, a ``ctx`` string,
#: an unknown event's name).
EXCERPT_LENGTH = 64

#: What a client is told when the server failed in a way it must not describe.
INTERNAL_ERROR: ErrorEntry = {
    "type": "internal_error",
    "loc": [],
    "msg": "The server could not process this message",
}


class MessageError(Exception):
    """An error caused by one client message, told to that client as ``{"errors": [...]}``.

    ``errors`` are the entries the client gets; ``request_id`` is the message's ``id``
    (set by the endpoint), echoed in the error reply. Raise it from a handler to
    answer with your own error entries; the connection goes on.
    """

    request_id: RequestId | None = None

    def __init__(self, errors: list[ErrorEntry]) -> None:
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def rate_limited(cls, per_second: float) -> MessageError:
        """The error for a message over the connection's rate limit; it was not processed."""
        return cls(
            [
                {
                    "type": "rate_limited",
                    "loc": [],
                    "msg": f"Too many messages: the limit is {per_second:g} per second",
                    "ctx": {"per_second": per_second},
                }
            ]
        )

    @classmethod
    def handler_timeout(cls, event: str, seconds: float) -> MessageError:
        """The error for a message whose handler ran past the endpoint's ``handler_timeout``."""
        return cls(
            [
                {
                    "type": "handler_timeout",
                    "loc": [],
                    "msg": f"Handling {event!r} took longer than {seconds:g} seconds",
                    "ctx": {"timeout": seconds},
                }
            ]
        )


class BroadcastUnavailable(MessageError):
    """A broadcast could not reach the other worker processes: the broker is unreachable
    or doesn't answer, or the hub's queue of messages to publish is full (said at once).

    The members in this process got the message; those of other processes did not.
    Raised by ``Endpoint.broadcast`` outside a connection; from a handler, the client
    gets it as a ``broadcast_unavailable`` error reply and the connection goes on.
    """

    def __init__(self, group: str) -> None:
        super().__init__(
            [
                {
                    "type": "broadcast_unavailable",
                    "loc": [],
                    "msg": "The message could not be broadcast to every server; try again later",
                }
            ]
        )
        self.group = group

    def __str__(self) -> str:
        return f"broadcast to group {self.group[:64]!r} could not reach the broker"


class InvalidGroupName(MessageError, ValueError):
    """A group name that is empty or too long, told to the client as ``group_name_invalid``.

    A handler passing a client's text to ``join``, ``leave`` or ``broadcast`` gets this
    for a name of the wrong length: from a handler, the client gets the error reply
    (with an excerpt of the name, ``EXCERPT_LENGTH`` characters at most) and the
    connection goes on; nothing is logged. Also a ``ValueError``.
    """

    def __init__(self, group: str, limit: int) -> None:
        super().__init__(
            [
                {
                    "type": "group_name_invalid",
                    "loc": [],
                    "msg": f"A group name has 1 to {limit} characters, not {len(group)}",
                    "ctx": {"group": _excerpt(group), "length": len(group), "limit": limit},
                }
            ]
        )
        self.group = group

    def __str__(self) -> str:
        return str(self.errors[0]["msg"]) + f" ({_excerpt(self.group)!r})"


class TooManyGroups(MessageError):
    """``join`` past the endpoint's ``max_groups_per_connection``: ``too_many_groups``.

    From a handler, the client gets the error reply and the connection goes on, a
    member of the groups it had joined.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            [
                {
                    "type": "too_many_groups",
                    "loc": [],
                    "msg": f"A connection may be a member of {limit} groups at most",
                    "ctx": {"limit": limit},
                }
            ]
        )
        self.limit = limit

    def __str__(self) -> str:
        return str(self.errors[0]["msg"])


class InvalidMessage(MessageError):
    """A client's message was rejected before any handler saw it.

    The envelope's errors (invalid JSON, unknown ``type``, a message too large) and a
    handler model's validation errors reach the client in this one shape.
    """

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> InvalidMessage:
        """A handler model's (or a handler's own) validation errors, as client errors."""
        return cls(errors_for_client(exc))

    @classmethod
    def from_envelope(cls, exc: ValidationError, events: Collection[str]) -> InvalidMessage:
        """Turn the errors of the endpoint's tagged-union validation into client errors.

        pydantic reports a field error of a tagged union under the tag (``("join",
        "room")``) and a missing or unknown tag at the root; clients get ``["room"]``
        and ``["type"]``, and the list of events they may send. Only the envelope's
        own tag is reported as an unknown event: a discriminated union inside a
        message keeps pydantic's entry and location. Locations labelled with the
        endpoint validator's branches (see ``socketsundso._envelope``) lose the label;
        the request-id probe's entry is dropped. Entries are bounded as
        ``errors_for_client`` bounds them.
        """
        details = _listed(exc)
        if details is None:
            return cls([_too_many_to_list()])
        known = ", ".join(repr(event) for event in events) or "none"
        errors: list[ErrorEntry] = []
        for error in details:
            loc = tuple(error["loc"])
            if loc[:1] == (PROBE_BRANCH,):
                continue
            if loc[:1] == (EVENT_BRANCH,):
                loc = loc[1:]
            entry = _entry(error, loc)
            if error["type"] == "union_tag_not_found" and not loc:
                entry = {
                    "type": "missing",
                    "loc": ["type"],
                    "msg": f"Field required: 'type' must name one of the events {known}",
                }
            elif error["type"] == "union_tag_invalid" and not loc:
                entry = cls.unknown_event(error.get("ctx", {}).get("tag"), events).errors[0]
            elif error["type"] in ("model_type", "dict_type") and not loc:
                entry = {"type": "dict_type", "loc": [], "msg": "Input should be an object"}
            elif loc and loc[0] in events:
                entry["loc"] = list(loc[1:])
            errors.append(entry)
        return cls(_capped(errors))

    @classmethod
    def unknown_event(cls, tag: object, events: Collection[str]) -> InvalidMessage:
        """The error for a message whose ``type`` names no event of the endpoint.

        The name the client sent is reflected as a bounded excerpt: its first
        ``EXCERPT_LENGTH`` characters, quoted and escaped as a Python ``repr``.
        """
        known = ", ".join(repr(event) for event in events) or "none"
        excerpt = _excerpt(tag)
        return cls(
            [
                {
                    "type": "union_tag_invalid",
                    "loc": ["type"],
                    "msg": f"Unknown event {excerpt!r}: expected one of {known}",
                    "ctx": {"tag": excerpt, "expected": list(events)},
                }
            ]
        )

    @classmethod
    def unknown_keys(cls, keys: Collection[str]) -> InvalidMessage:
        """The error for a message with keys its handler has no parameter for.

        One ``extra_forbidden`` entry per key, as pydantic words it, up to the cap.
        """
        return cls(
            _capped(
                [
                    {"type": "extra_forbidden", "loc": [_excerpt(key)], "msg": _EXTRA_FORBIDDEN}
                    for key in itertools.islice(keys, MAX_ERROR_ENTRIES + 1)
                ],
                total=len(keys),
            )
        )

    @classmethod
    def too_large(cls, size: int, limit: int) -> InvalidMessage:
        """The error for a message over the endpoint's ``max_message_size``."""
        return cls(
            [
                {
                    "type": "message_too_large",
                    "loc": [],
                    "msg": f"Message of {size} bytes exceeds the limit of {limit} bytes",
                    "ctx": {"size": size, "limit": limit},
                }
            ]
        )


class ResponseError(Exception):
    """A handler returned something its response model rejects or JSON can't carry.

    That is a bug on the server: the client gets a generic error entry, the server's
    log gets this exception with its cause.
    """

    request_id: RequestId | None = None


class EventError(ResponseError):
    """``emit`` or ``broadcast`` got something the endpoint doesn't declare it sends.

    An undeclared model, a dict that fits none of the declared events, or neither a
    model nor a dict: a bug on the server, like a reply its response model rejects.
    From a handler, the client gets a generic ``internal_error`` entry and the
    connection goes on; the server's log gets this exception, naming the culprit.
    """


def errors_for_client(exc: Exception) -> list[ErrorEntry]:
    """The error entries a client may see for ``exc``; never an internal exception's text.

    Bounded whatever the input: at most ``MAX_ERROR_ENTRIES`` entries (then one
    ``too_many_errors`` entry counting the rest), and a validation error of more
    than ``MAX_ERRORS_LISTED`` errors is not even listed (one ``too_many_errors``
    entry). Each entry's ``msg``, ``loc`` items and ``ctx`` strings are cut to a
    bounded length, so a huge key or a validator quoting its input can't make a
    huge reply.
    """
    if isinstance(exc, MessageError):
        return exc.errors
    if isinstance(exc, ValidationError):
        details = _listed(exc)
        if details is None:
            return [_too_many_to_list()]
        return _capped([_entry(error, tuple(error["loc"])) for error in details])
    return [INTERNAL_ERROR]


def _listed(exc: ValidationError) -> list[ErrorDetails] | None:
    """pydantic's entries of ``exc``, or ``None`` when there are too many to build them."""
    if exc.error_count() > MAX_ERRORS_LISTED:
        return None
    return exc.errors(include_url=False, include_input=False)


def _capped(entries: list[ErrorEntry], total: int | None = None) -> list[ErrorEntry]:
    """The first ``MAX_ERROR_ENTRIES`` entries, and one counting the rest if there are more.

    ``total`` is how many entries there are when ``entries`` holds only the first ones.
    """
    total = len(entries) if total is None else total
    if total <= MAX_ERROR_ENTRIES:
        return entries
    omitted = total - MAX_ERROR_ENTRIES
    return [
        *entries[:MAX_ERROR_ENTRIES],
        {
            "type": "too_many_errors",
            "loc": [],
            "msg": f"{omitted} more errors not listed",
            "ctx": {"listed": MAX_ERROR_ENTRIES, "omitted": omitted},
        },
    ]


def _too_many_to_list() -> ErrorEntry:
    return {
        "type": "too_many_errors",
        "loc": [],
        "msg": f"The message has more than {MAX_ERRORS_LISTED} errors; none are listed",
        "ctx": {"limit": MAX_ERRORS_LISTED},
    }


def _entry(error: ErrorDetails, loc: tuple[str | int, ...]) -> ErrorEntry:
    entry: ErrorEntry = {
        "type": error["type"],
        "loc": [_excerpt(part) for part in loc],
        "msg": _cut(error["msg"], MAX_MESSAGE_LENGTH),
    }
    if "ctx" in error:
        # A custom validator's ctx holds its exception: clients get its message only.
        entry["ctx"] = {
            key: _excerpt(value if isinstance(value, _JSON_SCALARS) else str(value))
            for key, value in error["ctx"].items()
        }
    return entry


def _excerpt(value: Any) -> Any:
    """``value`` itself, or its first ``EXCERPT_LENGTH`` characters if it is a longer string."""
    if isinstance(value, str) and len(value) > EXCERPT_LENGTH:
        return _cut(value, EXCERPT_LENGTH)
    return value


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "\u2026"


_JSON_SCALARS = (str, int, float, bool, type(None))
_EXTRA_FORBIDDEN = "Extra inputs are not permitted"
