"""``X.on_event`` decorators below a module's top level (under statements, in functions).

Any of them might attach a handler to an endpoint of the module, which then widens
its Literal. Finding them walks the whole module, so the walk is done once per
module tree and remembered: every endpoint class of the module asks. The memo holds
the module's ``defs`` list itself: the same list object means the same syntax (a
re-parsed module, also under ``dmypy``, gets a new list), and the decorators found
are syntax only. It is an optimisation, never shared between processes.
"""

from __future__ import annotations

from mypy.nodes import (
    CallExpr,
    ClassDef,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    OverloadedFuncDef,
    Statement,
)

from .. import fullnames
from .statements import inner_statements

#: Per module: the ``defs`` list last walked, and the ``.on_event`` decorators found below it.
_FOUND: dict[str, tuple[list[Statement], list[Expression]]] = {}


def nested_attachments(module: MypyFile) -> list[Expression]:
    """The ``X.on_event`` and ``X.on_event(...)`` decorators below the module's top level."""
    memo = _FOUND.get(module.fullname)
    if memo is not None and memo[0] is module.defs:
        return memo[1]
    found: list[Expression] = []
    stack: list[Statement] = []
    for stmt in module.defs:
        stack.extend(_children(stmt))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, Decorator):
            found.extend(expr for expr in stmt.original_decorators if _attaches(expr))
        stack.extend(_children(stmt))
    _FOUND[module.fullname] = (module.defs, found)
    return found


def _attaches(expr: Expression) -> bool:
    callee = expr.callee if isinstance(expr, CallExpr) else expr
    return isinstance(callee, MemberExpr) and callee.name == fullnames.ENDPOINT_DECORATOR


def _children(stmt: Statement) -> list[Statement]:
    """The statements directly below ``stmt``: in its blocks, function or class body."""
    if isinstance(stmt, Decorator):
        return stmt.func.body.body
    if isinstance(stmt, FuncDef):
        return stmt.body.body
    if isinstance(stmt, ClassDef):
        return stmt.defs.body
    if isinstance(stmt, OverloadedFuncDef):
        return list(stmt.items)
    return inner_statements(stmt)
