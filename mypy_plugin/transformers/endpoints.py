"""Endpoint classes: their events, as a Literal, on ``handlers`` and ``event_message_model``.

Runs in semantic analysis (``get_base_class_hook``), once the class body is
analysed. The events are collected as the runtime metaclass does: inherited ones
first (bases in reverse MRO order), then the class body's own in source order (an
own handler moving an inherited event to its own place), then the ones attached in
the same module with ``Chat.on_event``. The list is stored in the class's metadata,
so subclasses in other modules, and cached runs, read it back unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from mypy.nodes import (
    Block,
    Decorator,
    ForStmt,
    FuncDef,
    IfStmt,
    Statement,
    TryStmt,
    WhileStmt,
    WithStmt,
)
from mypy.plugin import ClassDefContext
from mypy.plugins.common import add_attribute_to_class
from mypy.server.trigger import make_wildcard_trigger
from mypy.types import TypeType

from mypy_plugin import errorcodes, fullnames
from mypy_plugin.transformers.event_names import attached_to, event_of, marking_decorator
from mypy_plugin.transformers.metadata import (
    EndpointEvents,
    event_type,
    read_events,
    write_events,
)

#: The attributes re-typed on each endpoint class.
HANDLERS: Final = "handlers"
EVENT_MESSAGE_MODEL: Final = "event_message_model"


def transform_endpoint(ctx: ClassDefContext) -> None:
    """Collect the class's events, store them, and re-type its attributes with them."""
    info = ctx.cls.info
    inherited = _inherited_events(ctx)
    if inherited is None:
        return
    own = _own_events(ctx)
    body = [event for event in own.names if event not in own.attached]
    events = [event for event in inherited.names if event not in body]
    events.extend(body)
    # ``Chat.on_event`` updates the class's dict: an inherited event keeps its place.
    events.extend(event for event in own.names if event in own.attached and event not in events)
    functions = dict(inherited.functions)
    functions.update(own.functions)
    result = EndpointEvents(events, is_open=inherited.is_open or own.is_open, functions=functions)
    write_events(info, result)
    _retype_attributes(ctx, result)


def _inherited_events(ctx: ClassDefContext) -> EndpointEvents | None:
    """The events of the bases, or ``None`` after deferring for a base not analysed yet."""
    names: dict[str, None] = {}
    functions: dict[str, str] = {}
    is_open = False
    for base in reversed(ctx.cls.info.mro[1:]):
        if not any(b.fullname == fullnames.ENDPOINT for b in base.mro):
            continue
        ctx.api.add_plugin_dependency(make_wildcard_trigger(base.fullname))
        events = read_events(base)
        if events is None:
            if base.fullname == fullnames.ENDPOINT:
                continue
            if not ctx.api.final_iteration:
                ctx.api.defer()
                return None
            is_open = True
            continue
        names.update(dict.fromkeys(events.names))
        functions.update(events.functions)
        is_open = is_open or events.is_open
    return EndpointEvents(list(names), is_open=is_open, functions=functions)


@dataclasses.dataclass
class _OwnEvents:
    """What one class declares: its events in order, the ``def`` of each.

    ``attached``: the events of functions attached after the class body; ``functions``:
    each event's function by fullname (given, as a later statement is not analysed yet).
    """

    names: dict[str, FuncDef] = dataclasses.field(default_factory=dict)
    functions: dict[str, str] = dataclasses.field(default_factory=dict)
    attached: set[str] = dataclasses.field(default_factory=set)
    is_open: bool = False

    def add(
        self,
        ctx: ClassDefContext,
        event: str | None,
        func: FuncDef,
        fullname: str,
        *,
        attached: bool = False,
    ) -> None:
        """Record ``func`` as the handler of ``event``; report a second one for one event."""
        if event is None:
            self.is_open = True
        elif event in self.names:
            ctx.api.fail(
                f'"{ctx.cls.name}" has two handlers for event "{event}": '
                f'"{self.names[event].name}" and "{func.name}"',
                func,
                code=errorcodes.DUPLICATE_EVENT,
            )
        elif event:
            self.names[event] = func
            self.functions[event] = fullname
            if attached:
                self.attached.add(event)


def _own_events(ctx: ClassDefContext) -> _OwnEvents:
    """The events of the class body, then those attached later in the same module."""
    own = _OwnEvents()
    for stmt in ctx.cls.defs.body:
        if isinstance(stmt, Decorator):
            expr = marking_decorator(stmt)
            if expr is not None:
                fullname = f"{ctx.cls.info.fullname}.{stmt.func.name}"
                own.add(ctx, event_of(expr, stmt.func.name), stmt.func, fullname)
        elif _declares_handlers(stmt):
            # A handler under ``if``/``try``/``with``: which one exists is known at runtime only.
            own.is_open = True
    if ctx.cls.info.fullname == f"{ctx.api.cur_mod_id}.{ctx.cls.name}":
        for stmt in ctx.api.modules[ctx.api.cur_mod_id].defs:
            if isinstance(stmt, Decorator):
                expr = marking_decorator(stmt)
                if expr is not None and attached_to(expr) == ctx.cls.name:
                    fullname = f"{ctx.api.cur_mod_id}.{stmt.func.name}"
                    event = event_of(expr, stmt.func.name)
                    own.add(ctx, event, stmt.func, fullname, attached=True)
    return own


def _declares_handlers(stmt: Statement) -> bool:
    """Whether a compound statement (``if``, ``try``, ``with``, loops) defines a handler."""
    if isinstance(stmt, Decorator):
        return marking_decorator(stmt) is not None
    blocks: list[Block | None] = []
    if isinstance(stmt, IfStmt):
        blocks = [*stmt.body, stmt.else_body]
    elif isinstance(stmt, TryStmt):
        blocks = [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]
    elif isinstance(stmt, (ForStmt, WhileStmt)):
        blocks = [stmt.body, stmt.else_body]
    elif isinstance(stmt, WithStmt):
        blocks = [stmt.body]
    return any(
        _declares_handlers(inner) for block in blocks if block is not None for inner in block.body
    )


def _retype_attributes(ctx: ClassDefContext, events: EndpointEvents) -> None:
    """Give ``handlers`` and ``event_message_model`` the class's event type."""
    api = ctx.api
    handler = api.named_type_or_none(fullnames.HANDLER)
    message = api.lookup_fully_qualified_or_none(fullnames.EVENT_MESSAGE)
    if handler is None or message is None:
        return
    key = event_type(events, api.named_type("builtins.str"))
    handlers_type = api.named_type("builtins.dict", [key, handler])
    add_attribute_to_class(api, ctx.cls, HANDLERS, handlers_type, overwrite_existing=True)
    message_type = TypeType(api.named_type(fullnames.EVENT_MESSAGE, [key]))
    add_attribute_to_class(
        api,
        ctx.cls,
        EVENT_MESSAGE_MODEL,
        message_type,
        is_classvar=True,
        overwrite_existing=True,
    )
