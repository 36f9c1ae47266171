"""Assigning an endpoint's ``handlers``: any ``Mapping[str, Handler]`` is accepted.

Read, ``handlers`` is ``EventHandlers[<events>]`` (its index checked against the
events). Assigned, on the class (``NoLeave.handlers = {...}``) or on an instance
(``self.handlers = {...}`` in ``on_connect``), it takes what the runtime takes: a
mapping of event names to handlers, which narrows what a class or a connection
serves. An assignment in the class's module also widens the class's Literal
(``attachments``); elsewhere it is not seen, and the Literal stays the declared one.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import TypeInfo
from mypy.plugin import AttributeContext
from mypy.types import Instance, Type, get_proper_type

from .. import fullnames


def handlers_attribute(ctx: AttributeContext) -> Type:
    """``Mapping[str, Handler]`` as an assignment's target; the declared type when read."""
    declared = get_proper_type(ctx.default_attr_type)
    if (
        not ctx.is_lvalue
        or not isinstance(ctx.api, TypeChecker)
        or not (
            isinstance(declared, Instance) and declared.type.fullname == fullnames.EVENT_HANDLERS
        )
    ):
        return ctx.default_attr_type
    module, _, name = fullnames.HANDLER.rpartition(".")
    handler = ctx.api.modules[module].names[name].node
    if not isinstance(handler, TypeInfo):
        return ctx.default_attr_type
    key = ctx.api.named_generic_type("builtins.str", [])
    return ctx.api.named_generic_type("typing.Mapping", [key, Instance(handler, [])])
