"""An endpoint's events as stored in its ``TypeInfo.metadata`` (serialized in mypy's cache).

The names are stored as a list: mypy writes metadata with sorted dict keys, which
would reorder a dict and print a different Literal on a warm run than on a cold one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Final, Protocol, TypeVar

from mypy.nodes import TypeInfo
from mypy.types import Instance, LiteralType, Type, UnionType

#: Key of the plugin's entry in ``TypeInfo.metadata``.
METADATA_KEY: Final = "socketsundso"

_V = TypeVar("_V")

#: Per class: the metadata entry last parsed, and what it holds (never shared between
#: processes; the same entry object means the same contents).
_PARSED: dict[str, tuple[dict[str, object], EndpointEvents]] = {}


@dataclasses.dataclass(frozen=True)
class EndpointEvents:
    """An endpoint's events in runtime order; ``is_open``: some names are unknown statically.

    ``functions`` maps each event to its handler function's fullname (for the typed
    test clients, which check a message's fields against the handler's parameters).
    ``attached``: the events the class's own module attaches after its body
    (``Chat.on_event``), with the line of each: a subclass that module makes before
    that line lacks the event at runtime. ``aliases``: per event, the wire names of
    its handler's aliased fields; ``unknown_fields``: events whose wire names the
    plugin could not read.
    """

    names: list[str]
    is_open: bool = False
    functions: dict[str, str] = dataclasses.field(default_factory=dict)
    attached: dict[str, int] = dataclasses.field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    unknown_fields: frozenset[str] = frozenset()


class HandlerFacts(Protocol):
    """Where each event's handler facts come from: an endpoint's metadata, or a body."""

    @property
    def functions(self) -> Mapping[str, str]: ...
    @property
    def aliases(self) -> Mapping[str, Mapping[str, str]]: ...
    @property
    def unknown_fields(self) -> AbstractSet[str]: ...


@dataclasses.dataclass
class Facts:
    """Each event's handler facts, gathered as the runtime builds ``handlers``: last wins."""

    functions: dict[str, str] = dataclasses.field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    unknown_fields: set[str] = dataclasses.field(default_factory=set)

    def take(self, source: HandlerFacts, event: str) -> None:
        """Make ``event``'s facts those of ``source``."""
        function = source.functions.get(event)
        if function is None:
            self.functions.pop(event, None)
        else:
            self.functions[event] = function
        aliases = source.aliases.get(event)
        if aliases:
            self.aliases[event] = dict(aliases)
        else:
            self.aliases.pop(event, None)
        if event in source.unknown_fields:
            self.unknown_fields.add(event)
        else:
            self.unknown_fields.discard(event)

    def events(
        self, names: list[str], *, is_open: bool, attached: dict[str, int] | None = None
    ) -> EndpointEvents:
        """An endpoint's events ``names`` with these facts."""
        return EndpointEvents(
            names,
            is_open=is_open,
            functions=self.functions,
            attached=attached or {},
            aliases=self.aliases,
            unknown_fields=frozenset(self.unknown_fields),
        )


def write_events(info: TypeInfo, events: EndpointEvents) -> None:
    """Store ``events`` on ``info`` (replacing what an earlier pass stored)."""
    info.metadata[METADATA_KEY] = {
        "events": list(events.names),
        "open": events.is_open,
        "functions": dict(events.functions),
        "attached": dict(events.attached),
        "aliases": {event: dict(names) for event, names in events.aliases.items()},
        "unknown_fields": sorted(events.unknown_fields),
    }


def clear_events(info: TypeInfo) -> None:
    """Forget what an earlier pass stored on ``info`` (this pass is not complete)."""
    info.metadata.pop(METADATA_KEY, None)


def read_events(info: TypeInfo) -> EndpointEvents | None:
    """The events stored on ``info``, or ``None`` if it was not analysed as an endpoint.

    Parsed once per stored entry (a call site asks for it every time).
    """
    data = info.metadata.get(METADATA_KEY)
    if not isinstance(data, dict):
        return None
    memo = _PARSED.get(info.fullname)
    if memo is not None and memo[0] is data:
        return memo[1]
    events = _parse(data)
    if events is not None:
        _PARSED[info.fullname] = (data, events)
    return events


def _parse(data: dict[str, object]) -> EndpointEvents | None:
    names = data.get("events")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    unknown = data.get("unknown_fields")
    return EndpointEvents(
        list(names),
        is_open=bool(data.get("open")),
        functions=_str_dict(data.get("functions"), str),
        attached=_str_dict(data.get("attached"), int),
        aliases={
            event: _str_dict(aliases, str)
            for event, aliases in _str_dict(data.get("aliases"), dict).items()
        },
        unknown_fields=frozenset(
            str(event) for event in (unknown if isinstance(unknown, list) else [])
        ),
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
