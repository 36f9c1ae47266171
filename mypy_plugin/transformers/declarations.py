"""What one endpoint class declares as handlers: its body, and attachments in its module.

Read from the syntax during semantic analysis, as the runtime metaclass and
``Chat.on_event`` would see it. Whatever the plugin cannot be sure of makes the
class *open* (its Literal widens to ``str``): a decorator held in a variable,
``attr = on_event(func)``, a handler under ``if``/``try``/``with``/``match``/a loop,
consecutive same-name definitions, ``del`` of a name or rebinding of a handler's
name, and ``Chat.on_event`` under a statement or inside a function. A name that is
not resolved yet (an import cycle) makes the caller defer instead.
"""

from __future__ import annotations

import dataclasses
import enum

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    ClassDef,
    Decorator,
    DelStmt,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    PlaceholderNode,
    RefExpr,
    Statement,
    SymbolNode,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.plugin import ClassDefContext
from mypy.types import Instance, get_proper_type

from .. import errorcodes
from .event_names import event_of, is_on_event, marking_decorator
from .metadata import EndpointEvents
from .nested_attachments import nested_attachments
from .statements import inner_statements


class Kind(enum.Enum):
    """What a decorator (or an attachment's receiver) is, as far as the plugin can tell."""

    MARKS = "marks"  #: ``on_event`` (or ours, for an attachment)
    OTHER = "other"  #: surely not ``on_event`` (a function, a class; another endpoint)
    UNKNOWN = "unknown"  #: a variable, an expression: it might be ``on_event``
    NOT_READY = "not ready"  #: a name semantic analysis has not bound yet


@dataclasses.dataclass
class Declared:
    """One class's own events in declaration order, the ``def`` and fullname of each.

    ``attached``: events of functions attached after the class body; ``is_open``:
    some handler's event, or existence, is not known statically.
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


def declared_events(ctx: ClassDefContext) -> Declared | None:
    """The class's own events; ``None`` if a name is not bound yet (the caller defers)."""
    final = ctx.api.final_iteration
    declared = Declared()
    rebound: set[str] = set()
    for stmt in ctx.cls.defs.body:
        if isinstance(stmt, Decorator):
            kinds = [decorator_kind(expr, final) for expr in stmt.original_decorators]
            if Kind.NOT_READY in kinds:
                return None
            marking = marking_decorator(stmt)
            if marking is not None:
                fullname = f"{ctx.cls.info.fullname}.{stmt.func.name}"
                declared.add(ctx, event_of(marking, stmt.func.name), stmt.func, fullname)
            elif Kind.UNKNOWN in kinds:
                declared.is_open = True
        elif isinstance(stmt, AssignmentStmt):
            rebound.update(lvalue.name for lvalue in stmt.lvalues if isinstance(lvalue, NameExpr))
            readiness = _statement_kind(stmt, final)
            if readiness is Kind.NOT_READY:
                return None
            declared.is_open |= readiness is not Kind.OTHER
        elif isinstance(stmt, DelStmt):
            declared.is_open = True
        elif not isinstance(stmt, (ClassDef, FuncDef)):
            readiness = _statement_kind(stmt, final)
            if readiness is Kind.NOT_READY:
                return None
            declared.is_open |= readiness is not Kind.OTHER
    handler_names = {func.name for func in declared.names.values()}
    declared.is_open |= bool(handler_names & rebound)
    if not _add_attached(ctx, declared):
        return None
    return declared


def mixin_events(info: TypeInfo, final: bool) -> EndpointEvents | None:
    """The handlers a plain mixin class's body declares, as the runtime collects them.

    Read from the class body, which exists only when its module was analysed in this
    run; ``None`` if a decorator's name is not bound yet (the caller defers).
    """
    body = info.defn.defs.body
    kinds = [_statement_kind(stmt, final) for stmt in body]
    if Kind.NOT_READY in kinds:
        return None
    names: dict[str, str] = {}
    is_open = False
    if Kind.MARKS not in kinds:
        # No on_event in sight: a plain class. (Its other decorators, variables
        # included, are not looked at: the cache could not tell the same answer.)
        return EndpointEvents([])
    for stmt, kind in zip(body, kinds, strict=True):
        marking = marking_decorator(stmt) if isinstance(stmt, Decorator) else None
        if isinstance(stmt, Decorator) and marking is not None:
            event = event_of(marking, stmt.func.name)
            is_open |= event is None
            if event and event not in names:
                names[event] = f"{info.fullname}.{stmt.func.name}"
        elif kind is not Kind.OTHER:
            is_open = True
    return EndpointEvents(list(names), is_open=is_open, functions=names)


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


def _statement_kind(stmt: Statement, final: bool) -> Kind:
    """For a statement other than a plain ``def``: whether it may declare a handler."""
    kinds: set[Kind] = set()
    if isinstance(stmt, Decorator):
        kinds.update(decorator_kind(expr, final) for expr in stmt.original_decorators)
    elif isinstance(stmt, OverloadedFuncDef):
        for item in stmt.items:
            kinds.add(_statement_kind(item, final))
    elif isinstance(stmt, AssignmentStmt):
        kinds.add(_value_kind(stmt.rvalue, final))
    else:
        kinds.update(_statement_kind(inner, final) for inner in inner_statements(stmt))
    for kind in (Kind.NOT_READY, Kind.MARKS, Kind.UNKNOWN):
        if kind in kinds:
            return kind
    return Kind.OTHER


def _value_kind(rvalue: Expression, final: bool) -> Kind:
    """Whether a class attribute's value may be a handler: ``on_event(f)``, a decorated def."""
    if isinstance(rvalue, CallExpr):
        callee = rvalue.callee.callee if isinstance(rvalue.callee, CallExpr) else rvalue.callee
        return Kind.MARKS if is_on_event(callee) else Kind.OTHER
    if isinstance(rvalue, RefExpr) and isinstance(rvalue.node, Decorator):
        decorators = rvalue.node.original_decorators
        if not decorators:  # loaded from the cache: its decorators are unknown
            return Kind.UNKNOWN
        return _statement_kind(rvalue.node, final)
    return Kind.OTHER


def _add_attached(ctx: ClassDefContext, declared: Declared) -> bool:
    """Add the functions attached with ``Chat.on_event`` in the class's module.

    Top-level statements narrow the Literal; an attachment under a statement or in
    a function (where ``Chat`` might be meant) widens it. ``False``: a receiver's
    name is not bound yet (the caller defers).
    """
    module = ctx.api.modules[ctx.api.cur_mod_id]
    final = ctx.api.final_iteration
    for stmt in module.defs:
        if isinstance(stmt, Decorator):
            for expr in stmt.original_decorators:
                kind = _receiver_kind(ctx, expr, final)
                if kind is Kind.NOT_READY:
                    return False
                if kind is Kind.MARKS:
                    fullname = f"{ctx.api.cur_mod_id}.{stmt.func.name}"
                    event = event_of(expr, stmt.func.name)
                    declared.add(ctx, event, stmt.func, fullname, attached=True)
                elif kind is Kind.UNKNOWN:
                    declared.is_open = True
    if any(
        _receiver_kind(ctx, expr, final=True) in (Kind.MARKS, Kind.UNKNOWN)
        for expr in nested_attachments(module)
    ):
        declared.is_open = True
    return True


def _receiver_kind(ctx: ClassDefContext, expr: Expression, final: bool) -> Kind:
    """For ``X.on_event`` or ``X.on_event(...)``: whether ``X`` is this class.

    Plain ``on_event`` and other decorators attach nothing: ``OTHER``.
    """
    callee = expr.callee if isinstance(expr, CallExpr) else expr
    if not (isinstance(callee, MemberExpr) and is_on_event(callee)):
        return Kind.OTHER
    receiver = callee.expr
    if not isinstance(receiver, NameExpr):
        return Kind.UNKNOWN
    if receiver.name == ctx.cls.name:
        return Kind.MARKS
    symbol = ctx.api.modules[ctx.api.cur_mod_id].names.get(receiver.name)
    node = symbol.node if symbol is not None else receiver.node
    if node is None or isinstance(node, PlaceholderNode):
        return Kind.UNKNOWN if final else Kind.NOT_READY
    return _node_kind(node, ctx.cls.info)


def _node_kind(node: SymbolNode, info: TypeInfo) -> Kind:
    """Whether a receiver of ``.on_event`` is class ``info`` (also through an alias)."""
    if isinstance(node, TypeAlias):
        target = get_proper_type(node.target)
        if isinstance(target, Instance):
            node = target.type
    if isinstance(node, TypeInfo):
        return Kind.MARKS if node is info else Kind.OTHER
    # ``socketsundso.on_event``: the decorator itself, attaching nothing.
    return Kind.OTHER if isinstance(node, MypyFile) else Kind.UNKNOWN
