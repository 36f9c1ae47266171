"""``Chat.handlers[event]``: the index must be one of the endpoint's events.

``handlers`` is typed ``EventHandlers[<events>]``, a ``dict[str, Handler]``: it must
keep ``dict``'s ``__getitem__(str)`` to flow into ``Mapping[str, Handler]`` and unpack
with ``**``, so the plugin checks the index here, with mypy's own message and code. A literal
index is looked up in the events' values (found once per endpoint), not checked
against the whole union at every lookup.
"""

from __future__ import annotations

from mypy.errorcodes import INDEX
from mypy.messages import format_type
from mypy.plugin import MethodContext
from mypy.subtypes import is_subtype
from mypy.types import (
    Instance,
    LiteralType,
    Type,
    TypeAliasType,
    UnionType,
    get_proper_type,
)

#: Per event type (an alias's target, held so its id is not reused): its literal values.
#: Keyed by the target, not the alias: dmypy's merge of a re-analysed module keeps the
#: alias object and gives it the new target.
_NAMES: dict[int, tuple[Type, frozenset[object]]] = {}
#: Most event types remembered (one per endpoint class, in practice).
_MEMO_SIZE = 4096


def _event_names(events: Type) -> frozenset[object]:
    """The literal values of an endpoint's event type, found once per alias target."""
    target = events.alias.target if isinstance(events, TypeAliasType) and events.alias else events
    memo = _NAMES.get(id(target))
    if memo is not None and memo[0] is target:
        return memo[1]
    proper = get_proper_type(events)
    items = proper.items if isinstance(proper, UnionType) else [proper]
    names = frozenset(
        item.value for item in map(get_proper_type, items) if isinstance(item, LiteralType)
    )
    if len(_NAMES) >= _MEMO_SIZE:
        _NAMES.clear()
    _NAMES[id(target)] = (target, names)
    return names


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
    if isinstance(index, LiteralType) and index.value in _event_names(events):
        return ctx.default_return_type  # the common case, without a walk of the union
    if not is_subtype(index, events):
        options = ctx.api.options
        ctx.api.fail(
            f"Invalid index type {format_type(index, options)} for "
            f"{format_type(handlers, options)}; expected type {format_type(events, options)}",
            ctx.context,
            code=INDEX,
        )
    return ctx.default_return_type
