"""Class attributes of endpoint classes that cost nothing per connection and little per change.

``HandlerTable`` is what an endpoint class's ``handlers`` attribute really is: on the
class it is the class's dict of handlers; on an instance (a connection) it is a dict of
copies bound to that instance, made only if the connection's code reads it. The
endpoint itself never reads it per connection: it runs the class's shared handlers with
``Handler.handle_for``.

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
    """``handlers`` of one endpoint class: the class's dict, or an instance's bound copy.

    A non-data descriptor: an instance's own ``handlers`` (the bound copy cached on
    first read, or a dict the instance assigned) wins over it, as for any attribute.
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
        bound = {event: handler.bind(instance) for event, handler in self.table.items()}
        instance.__dict__["handlers"] = bound
        return bound

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
