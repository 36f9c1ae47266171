"""Type-only helpers the mypy plugin types endpoint classes with (no runtime module).

``handlers`` is a plain ``dict[str, Handler]`` at runtime. The plugin types it as
``EventHandlers[Literal[...]]``: a ``dict[str, Handler]`` (so it flows into any
``Mapping[str, Handler]`` and unpacks with ``**``) whose keys are the endpoint's
events; the plugin checks each index against them (``Chat.handlers["jion"]`` is an
error), which no signature can do without breaking ``dict``'s interface.
"""

from collections.abc import Iterator
from typing import Generic

from typing_extensions import TypeVar

from .handler import Handler

EventT = TypeVar("EventT", bound=str, default=str)

class EventHandlers(dict[str, Handler], Generic[EventT]):
    """An endpoint's handlers: a ``dict[str, Handler]`` indexed by its events only."""

    def __getitem__(self, key: str, /) -> Handler: ...
    def __iter__(self) -> Iterator[EventT]: ...
