"""``Chat.handlers[event]``: the index must be one of the endpoint's events.

``handlers`` is typed ``EventHandlers[<events>]``, a ``dict[str, Handler]``: it must
keep ``dict``'s ``__getitem__(str)`` to flow into ``Mapping[str, Handler]`` and unpack
with ``**``, so the plugin checks the index here, with mypy's own message and code.
"""

from __future__ import annotations

from mypy.errorcodes import INDEX
from mypy.messages import format_type
from mypy.plugin import MethodContext
from mypy.subtypes import is_subtype
from mypy.types import Instance, Type, get_proper_type


def check_event_index(ctx: MethodContext) -> Type:
    """Report an index that is not one of the endpoint's events; the type is unchanged."""
    handlers = ctx.type
    if not (isinstance(handlers, Instance) and handlers.args and ctx.arg_types):
        return ctx.default_return_type
    events = handlers.args[0]
    if len(ctx.arg_types[0]) != 1:
        return ctx.default_return_type
    index = get_proper_type(ctx.arg_types[0][0])
    if isinstance(index, Instance) and index.last_known_value is not None:
        index = index.last_known_value  # a string literal, inferred against ``str``
    if not is_subtype(index, events):
        options = ctx.api.options
        ctx.api.fail(
            f"Invalid index type {format_type(index, options)} for "
            f"{format_type(handlers, options)}; expected type {format_type(events, options)}",
            ctx.context,
            code=INDEX,
        )
    return ctx.default_return_type
