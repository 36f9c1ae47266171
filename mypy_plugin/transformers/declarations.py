"""What one class body declares as handlers, read from the syntax of the module being analysed.

Used for an endpoint class in its own hook, and for a plain mixin while its own module
is analysed or checked: a class's syntax is read only while that module is at hand,
never from another module (mypy frees a checked module's tree, and a cached module
has none). What the plugin cannot be sure of makes the class *open* (its Literal
widens to ``str``): a decorator held in a variable or stacked above ``on_event`` (it
may hide the mark), ``attr = on_event(func)``, an attribute bound to a decorated
function of another module, a handler under ``if``/``try``/``with``/``match``/a loop,
consecutive same-name definitions, ``del`` of a name or rebinding of a handler's name,
and a class decorator. (``handlers = ...`` in the body is replaced by the metaclass,
and ``self.handlers = ...`` narrows one connection's, not the class's: neither widens.)
A name that is not resolved yet (an import cycle) makes the caller defer instead.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Final

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    DelStmt,
    Expression,
    FuncDef,
    NameExpr,
    OverloadedFuncDef,
    PlaceholderNode,
    RefExpr,
    Statement,
    TypeInfo,
    Var,
)

from .. import fullnames
from .event_names import event_of, is_on_event, marking_decorator
from .statements import inner_statements
from .wire_names import wire_names

#: The attribute whose assignment replaces a class's (or a connection's) handlers.
HANDLERS: Final = fullnames.HANDLERS_ATTRIBUTE
#: Class decorators known to leave a class's attributes alone.
HARMLESS_CLASS_DECORATORS: Final = frozenset({"typing.final", "typing_extensions.final"})

#: Reports two handlers for one event: (event, first function's name, second ``def``).
ReportDuplicate = Callable[[str, str, Context], None]


class Kind(enum.Enum):
    """What a decorator (or an attachment's receiver) is, as far as the plugin can tell."""

    MARKS = "marks"  #: ``on_event`` (or ours, for an attachment)
    OTHER = "other"  #: surely not ``on_event`` (a function, a class; another endpoint)
    UNKNOWN = "unknown"  #: a variable, an expression: it might be ``on_event``
    NOT_READY = "not ready"  #: a name semantic analysis has not bound yet


@dataclasses.dataclass
class Declared:
    """One class's own events in declaration order, the ``def`` name and fullname of each.

    ``attached``: events of functions attached after the class body, with the line
    of each attachment; ``is_open``: some handler's event, or existence, is unknown.
    ``aliases``: per event, the wire names of its aliased fields (``wire_names``);
    ``unknown_fields``: events whose wire names can't be read.
    """

    names: dict[str, str] = dataclasses.field(default_factory=dict)
    functions: dict[str, str] = dataclasses.field(default_factory=dict)
    attached: dict[str, int] = dataclasses.field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    unknown_fields: set[str] = dataclasses.field(default_factory=set)
    is_open: bool = False

    def add(
        self,
        event: str | None,
        func: FuncDef,
        fullname: str,
        report: ReportDuplicate | None,
        *,
        attached_at: int | None = None,
    ) -> None:
        """Record ``func`` as the handler of ``event``; report a second one for one event."""
        if event is None:
            self.is_open = True
        elif event in self.names:
            if report is not None:
                report(event, self.names[event], func)
        elif event:
            self.names[event] = func.name
            self.functions[event] = fullname
            if attached_at is not None:
                self.attached[event] = attached_at
            aliases = wire_names(func, skip_self=attached_at is None)
            if aliases is None:
                self.unknown_fields.add(event)
            elif aliases:
                self.aliases[event] = aliases


def body_events(
    info: TypeInfo, module: str, final: bool, report: ReportDuplicate | None = None
) -> Declared | None:
    """The handlers ``info``'s body declares, as the runtime collects them from its dict.

    ``module``: the module being analysed (``info``'s own). ``None`` if a name is not
    bound yet (the caller defers).
    """
    declared = Declared()
    rebound: set[str] = set()
    declared.is_open = _has_class_decorator(info.defn)
    for stmt in info.defn.defs.body:
        if isinstance(stmt, Decorator):
            kinds = [decorator_kind(expr, final) for expr in stmt.original_decorators]
            if Kind.NOT_READY in kinds:
                return None
            marking = marking_decorator(stmt)
            if marking is not None and stmt.original_decorators[0] is not marking:
                declared.is_open = True  # a wrapper above on_event may hide the mark
            elif marking is not None:
                fullname = f"{info.fullname}.{stmt.func.name}"
                declared.add(event_of(marking, stmt.func.name), stmt.func, fullname, report)
            elif Kind.UNKNOWN in kinds:
                declared.is_open = True
        elif isinstance(stmt, AssignmentStmt):
            names = [lvalue.name for lvalue in stmt.lvalues if isinstance(lvalue, NameExpr)]
            rebound.update(names)
            kind = _value_kind(stmt.rvalue, module, final)
            if kind is Kind.NOT_READY:
                return None
            declared.is_open |= kind is not Kind.OTHER
        elif isinstance(stmt, DelStmt):
            declared.is_open = True
        elif not isinstance(stmt, (ClassDef, FuncDef)):
            kind = _statement_kind(stmt, module, final)
            if kind is Kind.NOT_READY:
                return None
            declared.is_open |= kind is not Kind.OTHER
    declared.is_open |= bool(set(declared.names.values()) & rebound)
    return declared


def decorator_kind(expr: Expression, final: bool) -> Kind:
    """Whether decorator ``expr`` is ``on_event`` (called or not), surely not, or unknown."""
    callee = expr.callee if isinstance(expr, CallExpr) else expr
    if is_on_event(callee):
        return Kind.MARKS
    if not isinstance(callee, RefExpr):
        return Kind.UNKNOWN
    node = callee.node
    if isinstance(node, PlaceholderNode) or (node is None and isinstance(callee, NameExpr)):
        return Kind.UNKNOWN if final else Kind.NOT_READY
    if node is None or isinstance(node, Var):
        return Kind.UNKNOWN
    return Kind.OTHER


def _has_class_decorator(defn: ClassDef) -> bool:
    """Whether a class decorator (which may attach handlers) is applied to the class."""
    return any(
        not (isinstance(expr, RefExpr) and expr.fullname in HARMLESS_CLASS_DECORATORS)
        for expr in defn.decorators
    )


def _statement_kind(stmt: Statement, module: str, final: bool) -> Kind:
    """For a statement other than a plain ``def``: whether it may declare a handler."""
    kinds: set[Kind] = set()
    if isinstance(stmt, Decorator):
        kinds.update(decorator_kind(expr, final) for expr in stmt.original_decorators)
    elif isinstance(stmt, OverloadedFuncDef):
        for item in stmt.items:
            kinds.add(_statement_kind(item, module, final))
    elif isinstance(stmt, AssignmentStmt):
        kinds.add(_value_kind(stmt.rvalue, module, final))
    else:
        kinds.update(_statement_kind(inner, module, final) for inner in inner_statements(stmt))
    for kind in (Kind.NOT_READY, Kind.MARKS, Kind.UNKNOWN):
        if kind in kinds:
            return kind
    return Kind.OTHER


def _value_kind(rvalue: Expression, module: str, final: bool) -> Kind:
    """Whether a class attribute's value may be a handler: ``on_event(f)``, a decorated def.

    A function decorated in another module is unknown, whether or not its decorators
    can be read in this run: the answer must not depend on mypy's cache.
    """
    if isinstance(rvalue, CallExpr):
        callee = rvalue.callee.callee if isinstance(rvalue.callee, CallExpr) else rvalue.callee
        return Kind.MARKS if is_on_event(callee) else Kind.OTHER
    if isinstance(rvalue, RefExpr) and isinstance(rvalue.node, Decorator):
        if not rvalue.node.fullname.startswith(f"{module}."):
            return Kind.UNKNOWN
        return _statement_kind(rvalue.node, module, final)
    return Kind.OTHER
