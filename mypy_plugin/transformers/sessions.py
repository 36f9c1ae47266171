"""Typed test clients: ``send_event`` checked against the endpoint's events and fields.

``EventSession[Chat].send_event(event, /, **fields)`` is declared with ``event: str``
and any fields. For an endpoint whose events are known, the plugin narrows ``event``
to their Literal (an unknown event is an ``arg-type`` error) and, for a string
literal event, replaces ``**fields`` with that handler's parameters as keyword
arguments (plus the optional request ``id``), so a missing, unknown or mistyped
field is an error at the call. Fields go by their wire names (a parameter's alias)
and take their wire types (``wire_types``): what the server accepts from JSON.
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
    TypeInfo,
)
from mypy.plugin import MethodSigContext
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    LiteralType,
    NoneType,
    Type,
    UnionType,
    get_proper_type,
)

from . import dependencies
from .declarations import HANDLERS
from .endpoint_attributes import EVENTS_ALIAS
from .handlers import takes_endpoint
from .metadata import EndpointEvents, event_type, read_events
from .wire_types import wire_type

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
#: A handler's fields as ``send_event`` keywords: their kinds, wire names and types.
Fields = tuple[list[ArgKind], list[str | None], list[Type]]

# Built once and reused by every call site (memory and time flat in call sites); an
# entry holds what it was built from, and is rebuilt when that object changes (a new
# run, a daemon update). Never shared between processes.
#: Per endpoint: its parsed events, and their Literal.
_LITERALS: dict[str, tuple[EndpointEvents, Type]] = {}
#: Per handler function: its signature, its aliases, and its fields.
_FIELDS: dict[str, tuple[CallableType, dict[str, str], Fields | None]] = {}


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
    dependencies.depend_on(ctx.api, f"{endpoint.type.fullname}.{EVENTS_ALIAS}")
    events = read_events(endpoint.type)
    if events is None or events.is_open or not events.names:
        return signature
    event = _literal_event(ctx)
    str_type = ctx.api.named_generic_type("builtins.str", [])
    if event is not None and event in events.functions:
        # A known event: its own Literal, not the endpoint's whole union.
        event_type: Type = LiteralType(event, fallback=str_type)
    else:
        event_type = _endpoint_literal(endpoint.type, events, str_type)
    narrowed = signature.copy_modified(arg_types=[event_type, *signature.arg_types[1:]])
    if event is None or event in events.unknown_fields:
        return narrowed
    fields = _fields(ctx, events, event, lookup)
    if fields is None:
        return narrowed
    kinds, names, types = fields
    return narrowed.copy_modified(
        arg_types=[event_type, *types],
        arg_kinds=[signature.arg_kinds[0], *kinds],
        arg_names=[signature.arg_names[0], *names],
    )


def _literal_event(ctx: MethodSigContext) -> str | None:
    """The event argument, if a string literal."""
    if ctx.args and len(ctx.args[0]) == 1 and isinstance(ctx.args[0][0], StrExpr):
        return ctx.args[0][0].value
    return None


def _endpoint_literal(info: TypeInfo, events: EndpointEvents, str_type: Instance) -> Type:
    """The Literal of the endpoint's events, built once per endpoint (not per call)."""
    memo = _LITERALS.get(info.fullname)
    if memo is not None and memo[0] is events:
        return memo[1]
    literal = event_type(events, str_type)
    _LITERALS[info.fullname] = (events, literal)
    return literal


def _fields(
    ctx: MethodSigContext, events: EndpointEvents, event: str, lookup: Lookup
) -> Fields | None:
    """The handler's fields by keyword, as they travel (built once per handler)."""
    function = events.functions.get(event)
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
    aliases = events.aliases.get(event, {})
    memo = _FIELDS.get(function)
    if memo is not None and memo[0] is declared and memo[1] == aliases:
        return memo[2]
    fields = _wire_fields(ctx, declared, skip_self=takes_endpoint(func), aliases=aliases)
    _FIELDS[function] = (declared, aliases, fields)
    return fields


def _wire_fields(
    ctx: MethodSigContext, handler: CallableType, *, skip_self: bool, aliases: dict[str, str]
) -> Fields | None:
    """The handler's parameters as ``send_event`` keywords: wire names and wire types.

    ``None`` for ``*args``, ``**kwargs`` or positional-only parameters (reported on
    the handler): ``send_event`` keeps its ``**fields`` then.
    """
    skipped = 1 if skip_self else 0
    if len(handler.arg_types) < skipped:
        return None
    kinds: list[ArgKind] = []
    names: list[str | None] = []
    types: list[Type] = []
    for kind, name, typ in zip(
        handler.arg_kinds[skipped:],
        handler.arg_names[skipped:],
        handler.arg_types[skipped:],
        strict=True,
    ):
        keyword = _AS_KEYWORD.get(kind)
        if keyword is None or name is None:
            return None
        kinds.append(keyword)
        names.append(aliases.get(name, name))
        types.append(wire_type(typ, ctx.api))
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
    return kinds, names, types
