"""An endpoint's events as stored in its ``TypeInfo.metadata`` (serialized in mypy's cache).

The names are stored as a list: mypy writes metadata with sorted dict keys, which
would reorder a dict and print a different Literal on a warm run than on a cold one.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from mypy.nodes import TypeInfo

#: Key of the plugin's entry in ``TypeInfo.metadata``.
METADATA_KEY: Final = "socketsundso"


@dataclasses.dataclass(frozen=True)
class EndpointEvents:
    """An endpoint's events in runtime order; ``is_open``: some names are unknown statically."""

    names: list[str]
    is_open: bool = False


def write_events(info: TypeInfo, events: EndpointEvents) -> None:
    """Store ``events`` on ``info`` (replacing what an earlier pass stored)."""
    info.metadata[METADATA_KEY] = {"events": list(events.names), "open": events.is_open}


def read_events(info: TypeInfo) -> EndpointEvents | None:
    """The events stored on ``info``, or ``None`` if it was not analysed as an endpoint."""
    data = info.metadata.get(METADATA_KEY)
    if not isinstance(data, dict):
        return None
    names = data.get("events")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    return EndpointEvents(list(names), is_open=bool(data.get("open")))
