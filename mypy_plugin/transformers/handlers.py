"""Handler checks, at type-checking time, where each decorator is applied to its ``def``.

mypy applies a decorator as a call whose context is the ``Decorator`` node: from it
the hooks read the decorator expression (for the event name) and the ``def`` (for
the parameters, and the line every error is reported on). Calling ``on_event``
other than as a decorator is not checked here.
"""

from __future__ import annotations

from typing import Final

from mypy.messages import format_type
from mypy.nodes import ARG_STAR2, FUNC_NO_INFO, Argument, CallExpr, Decorator, FuncDef, RefExpr
from mypy.plugin import FunctionContext, MethodContext
from mypy.subtypes import is_subtype
from mypy.types import (
    CallableType,
    Instance,
    LiteralType,
    ProperType,
    TupleType,
    Type,
    UnionType,
    get_proper_type,
)

from .. import errorcodes, fullnames
from .event_names import event_of, marking_decorator
from .mixins import record_mixin

#: The message envelope's fields, which no handler parameter may be named, and what each is.
ENVELOPE_FIELDS: Final = {"type": "names the event of a message", "id": "is the request id"}


def check_bare_decorator(ctx: FunctionContext | MethodContext) -> Type:
    """``@on_event`` / ``@Chat.on_event``: check the handler; its type is unchanged."""
    _check_handler(ctx, response_model=None)
    return ctx.default_return_type


def check_decorator_call(ctx: MethodContext) -> Type:
    """``@on_event("name", response_model=M)``: check the handler against ``M`` too.

    A ``response_model`` that is no pydantic model is mypy's own error (the type
    variable's bound): the return type is not checked against it as well.
    """
    decorator = ctx.type
    response_model: Instance | None = None
    if isinstance(decorator, Instance) and decorator.args:
        model = get_proper_type(decorator.args[0])
        if not (isinstance(model, Instance) and model.type.has_base(fullnames.BASE_MODEL)):
            _check_handler(ctx, response_model=None, check_return=False)
            return ctx.default_return_type
        if model.type.fullname != fullnames.BASE_MODEL:
            response_model = model
    _check_handler(ctx, response_model)
    return ctx.default_return_type


def _check_handler(
    ctx: FunctionContext | MethodContext,
    response_model: Instance | None,
    *,
    check_return: bool = True,
) -> None:
    """Check the decorated handler; its return type against ``response_model`` (if
    ``None``: against what the runtime answers with, a model, a dict, a dataclass)."""
    record_mixin(ctx.api)
    decorator = ctx.context
    if not isinstance(decorator, Decorator):
        return
    func = decorator.func
    expr = marking_decorator(decorator)
    if expr is None:
        return
    if event_of(expr, func.name) == "":
        ctx.api.fail(
            f'Handler "{func.name}" has an empty event name: name the event, '
            'or name the function more than "on_" or "handle_"',
            func,
            code=errorcodes.EMPTY_EVENT,
        )
    if func.info is not FUNC_NO_INFO and (func.is_static or func.is_class):
        kind = "staticmethod" if func.is_static else "classmethod"
        ctx.api.fail(
            f'Handler "{func.name}" is a {kind}: on_event handlers are methods; drop '
            f'@{kind}, or attach a function with "{func.info.name}.on_event"',
            func,
            code=errorcodes.STATIC_HANDLER,
        )
    for argument in message_parameters(func):
        _check_parameter(ctx, func, argument)
    if check_return and ctx.arg_types and ctx.arg_types[0]:
        _check_response(ctx, func, ctx.arg_types[0][0], response_model)


def takes_endpoint(func: FuncDef) -> bool:
    """Whether ``func`` is an endpoint method, whose first parameter (``self``) no message fills.

    Reads only flags mypy's cache keeps, so it holds for a function loaded from the cache.
    """
    return func.info is not FUNC_NO_INFO and not func.is_static


def message_parameters(func: FuncDef) -> list[Argument]:
    """The parameters a message fills: all but ``self`` of an endpoint method."""
    return list(func.arguments[1:] if takes_endpoint(func) else func.arguments)


def _check_parameter(
    ctx: FunctionContext | MethodContext, func: FuncDef, argument: Argument
) -> None:
    name = argument.variable.name
    if argument.kind.is_star():
        star = "**" if argument.kind == ARG_STAR2 else "*"
        ctx.api.fail(
            f'Handler "{func.name}" takes "{star}{name}": a message has named fields only',
            func,
            code=errorcodes.VARIADIC_PARAMETER,
        )
    elif argument.pos_only:
        ctx.api.fail(
            f'Handler "{func.name}" takes "{name}" by position only: '
            "a message has named fields only",
            func,
            code=errorcodes.POSITIONAL_ONLY_PARAMETER,
        )
    elif _fastapi_parameter(argument) is not None:
        ctx.api.fail(
            f'Handler "{func.name}" takes "{name}" = {_fastapi_parameter(argument)}(...): '
            "FastAPI's parameter objects are not filled in a WebSocket handler (a message "
            "fills it); resolve dependencies in on_connect",
            func,
            code=errorcodes.FASTAPI_PARAMETER,
        )
    elif name in ENVELOPE_FIELDS:
        ctx.api.fail(
            f'Handler "{func.name}" has a parameter named "{name}": '
            f"that field {ENVELOPE_FIELDS[name]}",
            func,
            code=errorcodes.TYPE_PARAMETER,
        )


def _fastapi_parameter(argument: Argument) -> str | None:
    """The name of the FastAPI parameter function (``Depends``...) a default calls, if one."""
    default = argument.initializer
    if not (isinstance(default, CallExpr) and isinstance(default.callee, RefExpr)):
        return None
    module, _, name = default.callee.fullname.rpartition(".")
    if module.split(".")[0] == "fastapi" and name in fullnames.FASTAPI_PARAMETERS:
        return name
    return None


def _check_response(
    ctx: FunctionContext | MethodContext,
    func: FuncDef,
    handler: Type,
    response_model: Instance | None,
) -> None:
    """Report a declared return type the runtime refuses whatever the value."""
    signature = get_proper_type(handler)
    if not isinstance(signature, CallableType):
        return
    returned = get_proper_type(signature.ret_type)
    if func.is_coroutine and isinstance(returned, Instance) and len(returned.args) == 3:
        returned = get_proper_type(returned.args[2])
    items = returned.items if isinstance(returned, UnionType) else [returned]
    options = ctx.api.options
    for item in map(get_proper_type, items):
        if not _never_accepted(item, response_model):
            continue
        if response_model is None:
            message = (
                f'Handler "{func.name}" returns {format_type(item, options)}, which is no '
                "reply: return a dict, a pydantic model, a dataclass or None, or give a "
                "response_model"
            )
        else:
            message = (
                f'Handler "{func.name}" returns {format_type(item, options)}, which its '
                f"response_model {format_type(response_model, options)} does not accept"
            )
        ctx.api.fail(message, func, code=errorcodes.RESPONSE_TYPE)


def _never_accepted(item: ProperType, response_model: Instance | None) -> bool:
    """Whether the runtime refuses every value of type ``item`` for ``response_model``.

    It accepts ``None``, dicts, instances of the model (any model without one), and
    any object whose attributes fit it (a dataclass, say): only other models and the
    builtin scalars and sequences are refused whatever their value.
    """
    if isinstance(item, (LiteralType, TupleType)):
        return True
    if not isinstance(item, Instance):
        return False
    if item.type.has_base(fullnames.BASE_MODEL):
        return response_model is not None and not is_subtype(item, response_model)
    return item.type.fullname in fullnames.NEVER_A_RESPONSE
