"""Class attributes of endpoint classes that cost nothing per connection and little per change.

``HandlerTable`` is what an endpoint class's ``handlers`` attribute really is: on the
class it is the class's dict of handlers; on an instance (a connection) it is a dict of
copies bound to that instance, made only if the connection's code reads it. The
endpoint itself runs the class's shared handlers with ``Handler.handle_for``, so a
connection that never reads ``self.handlers`` costs no copy of them.

``LazyClassAttribute`` builds a class attribute on first access and then replaces itself
with the value, so what depends on all of a class's handlers (the tagged union that
validates messages, ``event_message_model``) is rebuilt once after any number of changes,
not once per change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from .handler import Handler

__all__ = ["HandlerTable", "LazyClassAttribute"]

T = TypeVar("T")


class HandlerTable:
    """``handlers`` of one endpoint class: the class's dict, or an instance's own.

    An instance's own table is the bound copy made when its code first reads
    ``self.handlers``, or whatever dict it assigned to ``self.handlers``; either way
    it is stored as the instance's ``_handler_table``, which is what the endpoint
    dispatches with, so a connection that narrows its handlers narrows what it serves.
    A connection that never reads them dispatches with the class's table: no copy.
    """

    __slots__ = ("table",)

    def __init__(self, table: dict[str, Handler]) -> None:
        self.table = table

    @overload
    def __get__(self, instance: None, owner: type) -> dict[str, Handler]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> dict[str, Handler]: ...
    def __get__(self, instance: object, owner: type | None = None) -> dict[str, Handler]:
        if instance is None:
            return self.table
        own: dict[str, Handler] | None = instance.__dict__.get("_handler_table")
        if own is None:
            own = {event: handler.bind(instance) for event, handler in self.table.items()}
            instance.__dict__["_handler_table"] = own
        return own

    def __set__(self, instance: object, value: dict[str, Handler]) -> None:
        instance.__dict__["_handler_table"] = value

    def __repr__(self) -> str:
        return f"<handlers {list(self.table)!r}>"


class LazyClassAttribute(Generic[T]):
    """A class attribute built by ``build(cls)`` when first read, then stored as a plain value."""

    __slots__ = ("build", "cls", "name")

    def __init__(self, cls: type, name: str, build: Callable[[type], T]) -> None:
        self.cls = cls
        self.name = name
        self.build = build

    def __get__(self, instance: object, owner: type | None = None) -> T:
        value = self.build(self.cls)
        # type.__setattr__: the endpoint metaclass's own __setattr__ watches other names.
        type.__setattr__(self.cls, self.name, value)
        return value

    def __repr__(self) -> str:
        return f"<{self.cls.__qualname__}.{self.name}, built when first read>"


def install(cls: type, name: str, value: Any) -> None:
    """Set a class attribute past the endpoint metaclass's ``__setattr__``."""
    type.__setattr__(cls, name, value)
