"""Which decorators mark a handler, and the event name each gives, read from the syntax.

Shared by the semantic-analysis hook (which builds the endpoint's Literal) and the
type-checking hooks (which check each handler), so both derive names exactly as
the runtime does: an explicit string, else the function's name without a leading
``on_``/``handle_``.
"""

from __future__ import annotations

from typing import Final

from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    CallExpr,
    Decorator,
    Expression,
    MemberExpr,
    NameExpr,
    RefExpr,
    StrExpr,
    Var,
)

from .. import fullnames

#: Prefixes the runtime strips from a method's name (``socketsundso.handler.event_name``).
PREFIXES: Final = ("on_", "handle_")


def default_event(function_name: str) -> str:
    """The event a function handles by default: its name without ``on_``/``handle_``."""
    for prefix in PREFIXES:
        if function_name.startswith(prefix):
            return function_name[len(prefix) :]
    return function_name


def is_on_event(expr: Expression) -> bool:
    """Whether ``expr`` (without call) is ``on_event`` or ``<something>.on_event``."""
    if isinstance(expr, RefExpr) and expr.fullname == fullnames.ON_EVENT:
        return True
    return isinstance(expr, MemberExpr) and expr.name == fullnames.ENDPOINT_DECORATOR


def marking_decorator(decorator: Decorator) -> Expression | None:
    """The decorator expression that marks this function as a handler, if any."""
    for expr in decorator.original_decorators:
        callee = expr.callee if isinstance(expr, CallExpr) else expr
        if is_on_event(callee):
            return expr
    return None


def event_argument(call: CallExpr) -> Expression | None:
    """The ``event`` argument of an ``on_event(...)`` call, positional or by keyword."""
    if call.args and call.arg_kinds[0] == ARG_POS:
        return call.args[0]
    for kind, name, arg in zip(call.arg_kinds, call.arg_names, call.args, strict=True):
        if kind == ARG_NAMED and name == "event":
            return arg
    return None


def event_of(expr: Expression, function_name: str) -> str | None:
    """The event that decorator ``expr`` gives function ``function_name``.

    ``None`` when the name is not known statically (a variable, a call): the
    endpoint's Literal widens to ``str`` then.
    """
    if not isinstance(expr, CallExpr):
        return default_event(function_name)
    if any(kind.is_star() for kind in expr.arg_kinds):
        return None
    arg = event_argument(expr)
    if arg is None or (isinstance(arg, NameExpr) and arg.fullname == "builtins.None"):
        return default_event(function_name)
    if isinstance(arg, StrExpr):
        return arg.value
    if isinstance(arg, RefExpr) and isinstance(arg.node, Var):
        value = arg.node.final_value
        if isinstance(value, str):
            return value
    return None
