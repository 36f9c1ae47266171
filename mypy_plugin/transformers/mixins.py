"""The handlers a plain mixin (a base that is not an endpoint) gives an endpoint.

At runtime the endpoint's metaclass collects the marked functions of each plain base's
dict. The plugin reads a mixin's body only while the mixin's own module is at hand:
in the endpoint's hook when both share a module, and while the mixin's module is
type-checked, where every ``on_event`` in it stores the mixin's events in its
metadata (``record_mixin``), cached with the class. A mixin of another module is read
from that metadata only; without it (no ``on_event`` anywhere in the class), its
symbol table (which mypy keeps in its cache) tells whether an attribute might still
be a handler: a decorated function or a callable attribute makes it open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from mypy.checker import TypeChecker
from mypy.nodes import Decorator, MypyFile, Statement, TypeInfo, Var
from mypy.plugin import CheckerPluginInterface
from mypy.types import AnyType, FunctionLike, Instance, get_proper_type

from .. import fullnames
from .declarations import body_events
from .metadata import EndpointEvents, Facts, read_events, write_events

#: Per mixin: the body last read, and the events found (a class's body is read once per run).
_READ: dict[str, tuple[list[Statement], EndpointEvents]] = {}
#: Bases that never hold handlers.
_PLAIN: Final = frozenset({"builtins.object", "typing.Generic"})


def mixin_events(
    info: TypeInfo, module: str, modules: Mapping[str, MypyFile], final: bool
) -> EndpointEvents | None:
    """The events plain base ``info`` gives an endpoint of ``module``; ``None``: not ready."""
    if info.fullname in _PLAIN:
        return EndpointEvents([])
    if info.module_name == module:
        return _read_body(info, final)
    stored = read_events(info)
    if stored is not None:
        return stored
    source = modules.get(info.module_name)
    if source is not None and source.is_stub:
        return EndpointEvents([])
    return EndpointEvents([], is_open=_may_hold_handlers(info))


def record_mixin(api: CheckerPluginInterface) -> None:
    """Store the events of the plain class being checked, if ``on_event`` is used in one."""
    if not isinstance(api, TypeChecker):
        return
    info = api.scope.active_class()
    if info is None or info.has_base(fullnames.ENDPOINT):
        return
    events = _read_body(info, final=True)
    if events is not None:
        write_events(info, events)


def _read_body(info: TypeInfo, final: bool) -> EndpointEvents | None:
    body = info.defn.defs.body
    memo = _READ.get(info.fullname)
    if memo is not None and memo[0] is body:
        return memo[1]
    declared = body_events(info, info.module_name, final)
    if declared is None:
        return None
    facts = Facts()
    for event in declared.names:
        facts.take(declared, event)
    events = facts.events(list(declared.names), is_open=declared.is_open)
    _READ[info.fullname] = (body, events)
    return events


def _may_hold_handlers(info: TypeInfo) -> bool:
    """Whether an attribute of ``info`` might carry ``on_event``'s mark, from its symbol table."""
    for symbol in info.names.values():
        node = symbol.node
        if isinstance(node, Decorator) and not node.func.is_property:
            return True
        if isinstance(node, Var) and not node.is_property and _may_be_callable(node):
            return True
    return False


def _may_be_callable(var: Var) -> bool:
    if var.type is None:
        return True
    proper = get_proper_type(var.type)
    if isinstance(proper, (AnyType, FunctionLike)):
        return True
    return isinstance(proper, Instance) and proper.type.get("__call__") is not None
