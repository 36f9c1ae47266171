"""What a class's own module does to it after its body: ``Chat.on_event``, ``Chat.handlers =``.

Read from the syntax of the module being analysed (the class's own), never another
module's. A receiver is matched by identity (the class it resolves to), never by its
simple name: a nested ``Admin.Chat`` or a local ``Chat`` is another class. Top-level
attachments narrow the Literal, each recorded with its line (a subclass made before it
at runtime lacks its event); an attachment under a statement or in a function (where
the class might be meant), an assignment to ``handlers`` anywhere in the module, or a
receiver the plugin cannot resolve widens it.
"""

from __future__ import annotations

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    Decorator,
    Expression,
    MemberExpr,
    MypyFile,
    NameExpr,
    PlaceholderNode,
    RefExpr,
    SymbolNode,
    TypeAlias,
    TypeInfo,
)
from mypy.plugin import ClassDefContext
from mypy.types import Instance, get_proper_type

from .declarations import HANDLERS, Declared, Kind, ReportDuplicate
from .event_names import event_of, is_on_event
from .nested_attachments import nested_attachments


def add_attached(ctx: ClassDefContext, declared: Declared, report: ReportDuplicate) -> bool:
    """Add the functions the class's module attaches to it; ``False``: not ready (defer)."""
    module = ctx.api.modules[ctx.api.cur_mod_id]
    final = ctx.api.final_iteration
    info = ctx.cls.info
    for stmt in module.defs:
        if isinstance(stmt, Decorator):
            for expr in stmt.original_decorators:
                kind = _receiver_kind(module, _attachment_receiver(expr), info, final)
                if kind is Kind.NOT_READY:
                    return False
                if kind is Kind.MARKS:
                    fullname = f"{module.fullname}.{stmt.func.name}"
                    event = event_of(expr, stmt.func.name)
                    declared.add(event, stmt.func, fullname, report, attached_at=stmt.line)
                elif kind is Kind.UNKNOWN:
                    declared.is_open = True
        elif isinstance(stmt, AssignmentStmt):
            for lvalue in stmt.lvalues:
                if isinstance(lvalue, MemberExpr) and lvalue.name == HANDLERS:
                    kind = _receiver_kind(module, lvalue.expr, info, final)
                    if kind is Kind.NOT_READY:
                        return False
                    declared.is_open |= kind is not Kind.OTHER
    for expr in nested_attachments(module):
        receiver = _attachment_receiver(expr)
        declared.is_open |= _receiver_kind(module, receiver, info, True) is not Kind.OTHER
    return True


def _attachment_receiver(expr: Expression) -> Expression | None:
    """``X`` of decorator ``X.on_event`` or ``X.on_event(...)``; ``None`` for other decorators."""
    callee = expr.callee if isinstance(expr, CallExpr) else expr
    if isinstance(callee, MemberExpr) and is_on_event(callee):
        return callee.expr
    return None


def _receiver_kind(
    module: MypyFile, receiver: Expression | None, info: TypeInfo, final: bool
) -> Kind:
    """Whether ``receiver`` (of ``.on_event`` or ``.handlers``) is class ``info``.

    A name is looked up in the module's symbol table (a later statement may not be
    analysed yet when the class hook runs).
    """
    if receiver is None:
        return Kind.OTHER
    if not isinstance(receiver, RefExpr):
        return Kind.UNKNOWN
    node = receiver.node
    if isinstance(receiver, NameExpr) and not isinstance(node, TypeInfo):
        symbol = module.names.get(receiver.name)
        node = symbol.node if symbol is not None else node
    if node is None or isinstance(node, PlaceholderNode):
        return Kind.UNKNOWN if final else Kind.NOT_READY
    return _node_kind(node, info)


def _node_kind(node: SymbolNode, info: TypeInfo) -> Kind:
    """Whether a receiver is class ``info`` (also through an alias), by its fullname."""
    if isinstance(node, TypeAlias):
        target = get_proper_type(node.target)
        if isinstance(target, Instance):
            node = target.type
    if isinstance(node, TypeInfo):
        return Kind.MARKS if node.fullname == info.fullname else Kind.OTHER
    # ``socketsundso.on_event``: the decorator itself, attaching nothing.
    return Kind.OTHER if isinstance(node, MypyFile) else Kind.UNKNOWN
