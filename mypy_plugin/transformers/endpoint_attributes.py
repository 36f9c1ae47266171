"""An endpoint's ``handlers`` and ``event_message_model``: typed by its events, cheaply.

Stored on the class (semantic analysis), each attribute's type holds the class's
event type: ``EventHandlers[<events>]`` and ``type[WebSocketEventMessage[<events>]]``.
When the events are a union (two or more), the union is an alias stored in the class's
symbol table, and the attributes are stored with ``str`` in its place: mypy walks an
attribute's whole type, alias target included, at every ``Chat.handlers`` (looking
for type variables), so a stored union would cost time in events x call sites. The
attribute hook puts the alias back where the attribute is read (``attribute_type``).
Without the hook (another checker), the attributes read as ``str``-keyed: open, never
wrong.

Assigned, on the class (``NoLeave.handlers = {...}``) or on an instance
(``self.handlers = {...}`` in ``on_connect``), ``handlers`` takes what the runtime
takes: any ``Mapping[str, Handler]``, which narrows what a class or a connection
serves. An assignment in the class's module also widens the class's Literal
(``attachments``); elsewhere it is not seen, and the Literal stays the declared one.
"""

from __future__ import annotations

from typing import Final, TypeGuard

from mypy.checker import TypeChecker
from mypy.nodes import MDEF, SymbolTableNode, TypeAlias, TypeInfo, Var
from mypy.plugin import AttributeContext, ClassDefContext
from mypy.plugins.common import add_attribute_to_class
from mypy.types import (
    Instance,
    ProperType,
    Type,
    TypeAliasType,
    TypeType,
    UnionType,
    get_proper_type,
)

from .. import fullnames
from . import dependencies
from .declarations import HANDLERS
from .metadata import EndpointEvents, event_type

#: The attribute holding the class's message model, ``type[WebSocketEventMessage[...]]``.
EVENT_MESSAGE_MODEL: Final = "event_message_model"
#: The alias of the class's event Literal, in its symbol table (when a union).
EVENTS_ALIAS: Final = "__socketsundso_events__"
#: The attributes typed by the class's events.
TYPED_ATTRIBUTES: Final = frozenset({HANDLERS, EVENT_MESSAGE_MODEL})


def retype_attributes(ctx: ClassDefContext, events: EndpointEvents) -> None:
    """Store ``handlers`` and ``event_message_model`` with the class's event type.

    ``handlers`` becomes ``EventHandlers[<events>]``, a ``dict[str, Handler]`` indexed by
    the events only, unless the class declares ``handlers`` itself.
    """
    api = ctx.api
    if api.lookup_fully_qualified_or_none(fullnames.EVENT_MESSAGE) is None:
        return
    str_type = api.named_type("builtins.str")
    events_type = event_type(events, str_type)
    # A union is read through the alias (``attribute_type``); the class stores ``str``.
    key = str_type if _store_alias(ctx, events_type) else events_type
    handlers_type = api.named_type_or_none(fullnames.EVENT_HANDLERS, [key])
    declared = ctx.cls.info.names.get(HANDLERS)
    if handlers_type is not None and (declared is None or declared.plugin_generated):
        add_attribute_to_class(api, ctx.cls, HANDLERS, handlers_type, overwrite_existing=True)
    elif declared is not None and isinstance(declared.node, Var):
        # ``handlers = {...}`` in the body: any mapping, as on assignment elsewhere.
        declared.node.allow_incompatible_override = True
    message_type = TypeType(api.named_type(fullnames.EVENT_MESSAGE, [key]))
    add_attribute_to_class(
        api,
        ctx.cls,
        EVENT_MESSAGE_MODEL,
        message_type,
        is_classvar=True,
        overwrite_existing=True,
    )


def _store_alias(ctx: ClassDefContext, events: Type) -> bool:
    """Store the event union as the class's alias (cached with the class); ``False``: not a union.

    mypy copies a type's arguments wherever it binds a method or an attribute, so a
    union of every event at each ``Chat.handlers[...]`` would cost time and memory in
    events x call sites; an alias is expanded only where needed. mypy prints it expanded.
    """
    info = ctx.cls.info
    if not isinstance(get_proper_type(events), UnionType):
        info.names.pop(EVENTS_ALIAS, None)
        return False
    alias = TypeAlias(
        events, f"{info.fullname}.{EVENTS_ALIAS}", info.module_name, ctx.cls.line, ctx.cls.column
    )
    info.names[EVENTS_ALIAS] = SymbolTableNode(MDEF, alias, plugin_generated=True)
    return True


def attribute_type(owner: TypeInfo | None, name: str, ctx: AttributeContext) -> Type:
    """The type of ``owner.<name>`` where it is read or assigned.

    Read: the stored type with the class's event alias back in place of ``str``.
    Assigned (``handlers`` only): any ``Mapping[str, Handler]``.
    """
    if ctx.is_lvalue:
        return _assigned_handlers(ctx) if name == HANDLERS else ctx.default_attr_type
    alias = _events_alias(owner, name)
    if alias is None:
        return ctx.default_attr_type
    # dmypy re-checks this read when the events change (the stored type doesn't).
    dependencies.depend_on(ctx.api, alias.fullname)
    events = TypeAliasType(alias, [])
    declared = get_proper_type(ctx.default_attr_type)
    if name == HANDLERS and _is_event_handlers(declared):
        return declared.copy_modified(args=[events])
    if (
        name == EVENT_MESSAGE_MODEL
        and isinstance(declared, TypeType)
        and isinstance(declared.item, Instance)
        and declared.item.type.fullname == fullnames.EVENT_MESSAGE
    ):
        return TypeType(declared.item.copy_modified(args=[events]))
    return ctx.default_attr_type


def _events_alias(owner: TypeInfo | None, name: str) -> TypeAlias | None:
    """The class's event alias, if ``name`` is one of its own plugin-typed attributes."""
    if owner is None:
        return None
    symbol = owner.names.get(name)
    alias = owner.names.get(EVENTS_ALIAS)
    if symbol is None or not symbol.plugin_generated or alias is None:
        return None
    return alias.node if isinstance(alias.node, TypeAlias) else None


def _assigned_handlers(ctx: AttributeContext) -> Type:
    """``Mapping[str, Handler]``, for an assignment to an endpoint's ``handlers``."""
    if not isinstance(ctx.api, TypeChecker) or not _is_event_handlers(
        get_proper_type(ctx.default_attr_type)
    ):
        return ctx.default_attr_type
    module, _, name = fullnames.HANDLER.rpartition(".")
    handler = ctx.api.modules[module].names[name].node
    if not isinstance(handler, TypeInfo):
        return ctx.default_attr_type
    key = ctx.api.named_generic_type("builtins.str", [])
    return ctx.api.named_generic_type("typing.Mapping", [key, Instance(handler, [])])


def _is_event_handlers(declared: ProperType) -> TypeGuard[Instance]:
    return isinstance(declared, Instance) and declared.type.fullname == fullnames.EVENT_HANDLERS
