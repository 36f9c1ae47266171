"""Exceptions socketsundso raises, and the error entries it sends to clients."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict

from .models import RequestId

__all__ = [
    "ErrorEntry",
    "InvalidMessage",
    "MessageError",
    "ResponseError",
    "errors_for_client",
]


class ErrorEntry(TypedDict, total=False):
    """One entry of an error reply's ``errors`` list, in pydantic's own error shape."""

    type: str
    loc: Sequence[str | int]
    msg: str
    ctx: dict[str, Any]


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
        and ``["type"]``, and the list of events they may send.
        """
        known = ", ".join(repr(event) for event in events) or "none"
        errors: list[ErrorEntry] = []
        for error in exc.errors(include_url=False, include_input=False):
            entry = _entry(error)
            loc = error["loc"]
            if error["type"] == "union_tag_not_found" or (
                error["type"] == "missing" and tuple(loc) == ("type",)
            ):
                entry = {
                    "type": "missing",
                    "loc": ["type"],
                    "msg": f"Field required: 'type' must name one of the events {known}",
                }
            elif error["type"] == "union_tag_invalid":
                entry = cls.unknown_event(error.get("ctx", {}).get("tag"), events).errors[0]
            elif error["type"] == "model_type" and not loc:
                entry = {"type": "dict_type", "loc": [], "msg": "Input should be an object"}
            elif loc and loc[0] in events:
                entry["loc"] = loc[1:]
            errors.append(entry)
        return cls(errors)

    @classmethod
    def unknown_event(cls, tag: object, events: Collection[str]) -> InvalidMessage:
        """The error for a message whose ``type`` names no event of the endpoint."""
        known = ", ".join(repr(event) for event in events) or "none"
        return cls(
            [
                {
                    "type": "union_tag_invalid",
                    "loc": ["type"],
                    "msg": f"Unknown event {tag!r}: expected one of {known}",
                    "ctx": {"tag": tag, "expected": list(events)},
                }
            ]
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


def errors_for_client(exc: Exception) -> list[ErrorEntry]:
    """The error entries a client may see for ``exc``; never an internal exception's text."""
    if isinstance(exc, MessageError):
        return exc.errors
    if isinstance(exc, ValidationError):
        return [_entry(error) for error in exc.errors(include_url=False, include_input=False)]
    return [INTERNAL_ERROR]


def _entry(error: ErrorDetails) -> ErrorEntry:
    entry: ErrorEntry = {"type": error["type"], "loc": error["loc"], "msg": error["msg"]}
    if "ctx" in error:
        # A custom validator's ctx holds its exception: clients get its message only.
        entry["ctx"] = {
            key: value if isinstance(value, _JSON_SCALARS) else str(value)
            for key, value in error["ctx"].items()
        }
    return entry


_JSON_SCALARS = (str, int, float, bool, type(None))
