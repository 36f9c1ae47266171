"""The names a handler's fields travel under: a parameter's alias, read from its ``def``.

``room: str = Field(alias="roomName")`` is sent as ``roomName`` (``validation_alias``
first, as pydantic reads it). An alias in ``Annotated[..., Field(...)]`` cannot be
read (mypy keeps no expression of ``Annotated``'s metadata), nor one that is not a
string literal: such a handler's fields are *unknown* and ``send_event`` takes any.
Read from the syntax while the handler's module is analysed; stored in metadata.
"""

from __future__ import annotations

from typing import Final

from mypy.nodes import CallExpr, FuncDef, MemberExpr, NameExpr, RefExpr, StrExpr
from mypy.types import CallableType, RawExpressionType, Type, UnboundType

#: pydantic's ``Field`` function.
FIELD: Final = "pydantic.fields.Field"
#: ``Field`` keywords naming what a field is read as, the first given wins.
ALIAS_KEYWORDS: Final = ("validation_alias", "alias")


def wire_names(func: FuncDef, skip_self: bool) -> dict[str, str] | None:
    """``{parameter: alias}`` for ``func``'s aliased parameters; ``None``: unknown."""
    aliases: dict[str, str] = {}
    arguments = func.arguments[1:] if skip_self else func.arguments
    declared = func.unanalyzed_type
    annotations: list[Type | None] = [None] * len(func.arguments)
    if isinstance(declared, CallableType) and len(declared.arg_types) == len(annotations):
        annotations = list(declared.arg_types)
    offset = len(func.arguments) - len(arguments)
    for index, argument in enumerate(arguments):
        if _annotated_with_call(annotations[index + offset]):
            return None
        initializer = argument.initializer
        if not (
            isinstance(initializer, CallExpr)
            and isinstance(initializer.callee, RefExpr)
            and _is_field(initializer.callee)
        ):
            continue
        for keyword in ALIAS_KEYWORDS:
            if keyword not in initializer.arg_names:
                continue
            value = initializer.args[initializer.arg_names.index(keyword)]
            if not isinstance(value, StrExpr):
                return None
            aliases[argument.variable.name] = value.value
            break
    return aliases


def _is_field(callee: RefExpr) -> bool:
    """Whether ``callee`` is pydantic's ``Field`` (by name while defaults are unanalysed)."""
    name = callee.name if isinstance(callee, (NameExpr, MemberExpr)) else ""
    return callee.fullname == FIELD or (not callee.fullname and name == "Field")


def _annotated_with_call(annotation: Type | None) -> bool:
    """Whether ``annotation`` is ``Annotated[T, <a call, like Field(...)>, ...]``."""
    if not isinstance(annotation, UnboundType):
        return False
    if annotation.name.rpartition(".")[2] != "Annotated":
        return False
    return any(
        isinstance(arg, RawExpressionType) and arg.literal_value is None
        for arg in annotation.args[1:]
    )
