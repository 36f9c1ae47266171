"""Endpoint classes: their events, as a Literal, on ``handlers`` and ``event_message_model``.

Runs in semantic analysis (``get_base_class_hook``), once the class body is
analysed. The events are collected as the runtime metaclass does: inherited ones
first (bases in reverse MRO order), then the class body's own in source order (an
own handler moving an inherited event to its own place), then the ones attached in
the same module with ``Chat.on_event``. The list is stored in the class's metadata,
so subclasses in other modules, and cached runs, read it back unchanged. The events
the class declares it sends are checked too (``server_events``).
"""

from __future__ import annotations

from mypy.nodes import Context, FuncDef, TypeInfo
from mypy.plugin import ClassDefContext
from mypy.server.trigger import make_wildcard_trigger

from .. import errorcodes, fullnames
from .attachments import add_attached
from .declarations import Declared, body_events
from .endpoint_attributes import retype_attributes
from .metadata import (
    EndpointEvents,
    Facts,
    clear_events,
    read_events,
    write_events,
)
from .mixins import mixin_events
from .server_events import check_server_events


def transform_endpoint(ctx: ClassDefContext) -> None:
    """Type the class's handled events; check the events it declares it sends."""
    _type_handled_events(ctx)
    if not check_server_events(ctx) and not ctx.api.final_iteration:
        ctx.api.defer()


def _type_handled_events(ctx: ClassDefContext) -> None:
    """Collect the class's events, store them, and re-type its attributes with them."""
    info = ctx.cls.info
    inherited = _inherited_events(ctx)
    own = _own_events(ctx) if inherited is not None else None
    if inherited is None or own is None:
        # Not ready (a base or a decorator not analysed yet): no subclass may read
        # what an earlier, incomplete pass stored.
        clear_events(info)
        if not ctx.api.final_iteration:
            ctx.api.defer()
        return
    body = [event for event in own.names if event not in own.attached]
    events = [event for event in inherited.names if event not in body]
    events.extend(body)
    # ``Chat.on_event`` updates the class's dict: an inherited event keeps its place.
    events.extend(event for event in own.names if event in own.attached and event not in events)
    facts = Facts()
    for event in inherited.names:
        facts.take(inherited, event)
    for event in own.names:
        facts.take(own, event)
    result = facts.events(events, is_open=inherited.is_open or own.is_open, attached=own.attached)
    write_events(info, result)
    retype_attributes(ctx, result)


def _own_events(ctx: ClassDefContext) -> Declared | None:
    """The class body's handlers, then those its module attaches; ``None``: not ready."""
    info = ctx.cls.info

    def report(event: str, first: str, second: Context) -> None:
        name = second.name if isinstance(second, FuncDef) else "?"
        ctx.api.fail(
            f'"{ctx.cls.name}" has two handlers for event "{event}": "{first}" and "{name}"',
            second,
            code=errorcodes.DUPLICATE_EVENT,
        )

    own = body_events(info, ctx.api.cur_mod_id, ctx.api.final_iteration, report)
    if own is None or not add_attached(ctx, own, report):
        return None
    return own


def _inherited_events(ctx: ClassDefContext) -> EndpointEvents | None:
    """The events of the bases, or ``None`` while a base is not analysed yet.

    As at runtime, endpoint bases give their ``handlers``, plain mixins the handlers
    their bodies declare. A base's events attached in this module after this class's
    line are not inherited (the runtime copies a base's handlers when a class is made).
    """
    names: dict[str, None] = {}
    facts = Facts()
    is_open = False
    final = ctx.api.final_iteration
    module = ctx.api.cur_mod_id
    for base in reversed(ctx.cls.info.mro[1:]):
        if base.fullname in (fullnames.ENDPOINT, "builtins.object"):
            continue
        ctx.api.add_plugin_dependency(make_wildcard_trigger(base.fullname))
        if any(b.fullname == fullnames.ENDPOINT for b in base.mro):
            events = read_events(base)
        else:
            events = mixin_events(base, module, ctx.api.modules, final)
        if events is None:
            if not final:
                return None
            is_open = True
            continue
        later = _attached_later(ctx, base, events)
        for event in events.names:
            if event not in later:
                names[event] = None
                facts.take(events, event)
        is_open = is_open or events.is_open
    return facts.events(list(names), is_open=is_open)


def _attached_later(ctx: ClassDefContext, base: TypeInfo, events: EndpointEvents) -> set[str]:
    """Events attached to ``base`` after this class is made (so not inherited at runtime).

    Only ``base``'s own module attaches (what other modules attach is not seen), so
    only a class of that module made at its top level, before the attachment, misses
    one; a class made in a function is made later, when the function runs.
    """
    local = "@" in ctx.cls.info.fullname  # mypy's name of a class made in a function
    if base.module_name != ctx.api.cur_mod_id or local:
        return set()
    return {event for event, line in events.attached.items() if line > ctx.cls.line}
