"""Typed test clients: ``send_event`` checked against the endpoint's events and fields.

``EventSession[Chat].send_event(event, /, **fields)`` is declared with ``event: str``
and any fields. For an endpoint whose events are known, the plugin narrows ``event``
to their Literal (an unknown event is an ``arg-type`` error) and, for a string
literal event, replaces ``**fields`` with that handler's parameters as keyword
arguments (plus the optional request ``id``), so a missing, unknown or mistyped
field is an error at the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    ArgKind,
    Decorator,
    StrExpr,
    SymbolTableNode,
)
from mypy.plugin import MethodSigContext
from mypy.types import CallableType, FunctionLike, Instance, NoneType, UnionType, get_proper_type

from . import dependencies
from .declarations import HANDLERS
from .handlers import takes_endpoint
from .metadata import EndpointEvents, event_type, read_events

#: Name of the request-id keyword ``send_event`` accepts beside the handler's fields.
REQUEST_ID: Final = "id"
#: How a handler's parameter is passed to ``send_event``: by keyword, keeping its default.
_AS_KEYWORD: Final = {
    ARG_POS: ARG_NAMED,
    ARG_OPT: ARG_NAMED_OPT,
    ARG_NAMED: ARG_NAMED,
    ARG_NAMED_OPT: ARG_NAMED_OPT,
}


#: Finds a symbol by fullname in the whole build (the plugin's ``lookup_fully_qualified``).
Lookup = Callable[[str], SymbolTableNode | None]


def send_event_signature(ctx: MethodSigContext, lookup: Lookup) -> FunctionLike:
    """``send_event``'s signature for this session's endpoint and this call's event."""
    signature = ctx.default_signature
    session = ctx.type
    if not isinstance(session, Instance) or not session.args:
        return signature
    endpoint = get_proper_type(session.args[0])
    if not isinstance(endpoint, Instance):
        return signature
    # dmypy re-checks this call when the endpoint's events or the handler change.
    dependencies.depend_on(ctx.api, f"{endpoint.type.fullname}.{HANDLERS}")
    events = read_events(endpoint.type)
    if events is None or events.is_open or not events.names:
        return signature
    literal = event_type(events, ctx.api.named_generic_type("builtins.str", []))
    narrowed = signature.copy_modified(arg_types=[literal, *signature.arg_types[1:]])
    handler = _handler_signature(ctx, events, lookup)
    if handler is None:
        return narrowed
    return _with_fields(ctx, narrowed, handler)


def _handler_signature(
    ctx: MethodSigContext, events: EndpointEvents, lookup: Lookup
) -> CallableType | None:
    """The handler's fields as a callable (``self`` dropped), for a literal event argument.

    Reads only what mypy's cache keeps of a function (its signature and flags): the
    handler's module may come from the cache, or from another worker.
    """
    if not ctx.args or len(ctx.args[0]) != 1 or not isinstance(ctx.args[0][0], StrExpr):
        return None
    function = events.functions.get(ctx.args[0][0].value)
    if not function:
        return None
    dependencies.depend_on(ctx.api, function)
    symbol = lookup(function)
    if symbol is None or not isinstance(symbol.node, Decorator):
        return None
    func = symbol.node.func
    declared = func.type
    if not isinstance(declared, CallableType):
        return None
    skipped = 1 if takes_endpoint(func) else 0
    if len(declared.arg_types) < skipped:
        return None
    return declared.copy_modified(
        arg_types=declared.arg_types[skipped:],
        arg_kinds=declared.arg_kinds[skipped:],
        arg_names=declared.arg_names[skipped:],
    )


def _with_fields(
    ctx: MethodSigContext, signature: CallableType, handler: CallableType
) -> CallableType:
    """``signature`` with ``**fields`` replaced by the handler's parameters, by keyword."""
    kinds: list[ArgKind] = []
    names: list[str | None] = []
    for kind, name in zip(handler.arg_kinds, handler.arg_names, strict=True):
        keyword = _AS_KEYWORD.get(kind)
        if keyword is None or name is None:
            # *args, **kwargs, positional-only: reported on the handler; keep **fields.
            return signature
        kinds.append(keyword)
        names.append(name)
    types = list(handler.arg_types)
    if REQUEST_ID not in names:
        request_id = UnionType.make_union(
            [
                ctx.api.named_generic_type("builtins.str", []),
                ctx.api.named_generic_type("builtins.int", []),
                NoneType(),
            ]
        )
        kinds.append(ARG_NAMED_OPT)
        names.append(REQUEST_ID)
        types.append(request_id)
    return signature.copy_modified(
        arg_types=[signature.arg_types[0], *types],
        arg_kinds=[signature.arg_kinds[0], *kinds],
        arg_names=[signature.arg_names[0], *names],
    )
