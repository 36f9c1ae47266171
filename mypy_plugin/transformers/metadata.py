"""An endpoint's events as stored in its ``TypeInfo.metadata`` (serialized in mypy's cache).

The names are stored as a list: mypy writes metadata with sorted dict keys, which
would reorder a dict and print a different Literal on a warm run than on a cold one.
"""

from __future__ import annotations

import dataclasses
from typing import Final, TypeVar

from mypy.nodes import TypeInfo
from mypy.types import Instance, LiteralType, Type, UnionType

#: Key of the plugin's entry in ``TypeInfo.metadata``.
METADATA_KEY: Final = "socketsundso"

_V = TypeVar("_V")


@dataclasses.dataclass(frozen=True)
class EndpointEvents:
    """An endpoint's events in runtime order; ``is_open``: some names are unknown statically.

    ``functions`` maps each event to its handler function's fullname (for the typed
    test clients, which check a message's fields against the handler's parameters).
    ``attached``: the events the class's own module attaches after its body
    (``Chat.on_event``), with the line of each: a subclass that module makes before
    that line lacks the event at runtime.
    """

    names: list[str]
    is_open: bool = False
    functions: dict[str, str] = dataclasses.field(default_factory=dict)
    attached: dict[str, int] = dataclasses.field(default_factory=dict)


def write_events(info: TypeInfo, events: EndpointEvents) -> None:
    """Store ``events`` on ``info`` (replacing what an earlier pass stored)."""
    info.metadata[METADATA_KEY] = {
        "events": list(events.names),
        "open": events.is_open,
        "functions": dict(events.functions),
        "attached": dict(events.attached),
    }


def clear_events(info: TypeInfo) -> None:
    """Forget what an earlier pass stored on ``info`` (this pass is not complete)."""
    info.metadata.pop(METADATA_KEY, None)


def read_events(info: TypeInfo) -> EndpointEvents | None:
    """The events stored on ``info``, or ``None`` if it was not analysed as an endpoint."""
    data = info.metadata.get(METADATA_KEY)
    if not isinstance(data, dict):
        return None
    names = data.get("events")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    functions = data.get("functions")
    attached = data.get("attached")
    return EndpointEvents(
        list(names),
        is_open=bool(data.get("open")),
        functions=_str_dict(functions, str),
        attached=_str_dict(attached, int),
    )


def _str_dict(data: object, value: type[_V]) -> dict[str, _V]:
    """``data`` if a dict of ``str`` to ``value`` (as it was written), else empty."""
    if not isinstance(data, dict):
        return {}
    return {str(key): item for key, item in data.items() if isinstance(item, value)}


def event_type(events: EndpointEvents, str_type: Instance) -> Type:
    """The type of an event name of this endpoint: the Literal of its events, else ``str``."""
    if events.is_open or not events.names:
        return str_type
    return UnionType.make_union([LiteralType(name, fallback=str_type) for name in events.names])
