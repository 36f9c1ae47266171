"""What ``send_event`` accepts for a handler's field: its Python type, or its JSON form.

The server validates what travels, as JSON: a test (or a client) may send a model
field as a mapping, an enum as its value, a datetime as an ISO string. So for a
field of type ``T`` the typed test clients take ``T`` or its JSON form: a
``Mapping[str, Any]`` for a model, a dataclass or a TypedDict; the value (``str``,
``int``) for an enum; a ``str`` for dates, times, UUIDs, decimals, paths and bytes
(a number too for decimals and durations); a sequence or a mapping of those for
containers. What already is JSON (``str``, ``int``, a ``Literal``) is unchanged.
"""

from __future__ import annotations

from typing import Final

from mypy.plugin import CheckerPluginInterface
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    ProperType,
    TupleType,
    Type,
    TypedDictType,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from .. import fullnames

#: Types sent as a JSON string (pydantic parses it back).
AS_STRING: Final = frozenset(
    {
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "uuid.UUID",
        "decimal.Decimal",
        "pathlib.Path",
        "builtins.bytes",
    }
)
#: Of those, the ones also sent as a JSON number.
AS_NUMBER: Final = frozenset({"decimal.Decimal", "datetime.timedelta"})
#: Containers sent as a JSON array.
SEQUENCES: Final = frozenset(
    {
        "builtins.list",
        "builtins.set",
        "builtins.frozenset",
        "typing.Sequence",
        "typing.AbstractSet",
        "typing.MutableSequence",
    }
)
#: Containers sent as a JSON object.
MAPPINGS: Final = frozenset({"builtins.dict", "typing.Mapping", "typing.MutableMapping"})


def wire_type(typ: Type, api: CheckerPluginInterface) -> Type:
    """``typ`` or its JSON form; ``typ`` itself (the same object) if JSON already."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        items = [wire_type(item, api) for item in proper.items]
        if all(new is old for new, old in zip(items, proper.items, strict=True)):
            return typ
        return UnionType.make_union(items)
    json_form = _json_form(proper, api)
    return typ if json_form is None else UnionType.make_union([typ, json_form])


def _json_form(proper: ProperType, api: CheckerPluginInterface) -> Type | None:
    """What JSON carries for a value of ``proper``, if not ``proper`` itself."""
    if isinstance(proper, LiteralType):
        return _enum_value(proper.fallback, api) if proper.is_enum_literal() else None
    if isinstance(proper, TypedDictType):
        return _json_object(api)
    if isinstance(proper, TupleType):
        items = [wire_type(item, api) for item in proper.items]
        return _sequence(UnionType.make_union(items), api)
    if isinstance(proper, Instance):
        return _scalar_form(proper, api) or _container_form(proper, api)
    return None


def _scalar_form(proper: Instance, api: CheckerPluginInterface) -> Type | None:
    """The JSON form of an enum, a model or a type JSON carries as a string."""
    info = proper.type
    if info.is_enum:
        return _enum_value(proper, api)
    if info.fullname in AS_STRING:
        text = api.named_generic_type("builtins.str", [])
        if info.fullname in AS_NUMBER:
            return UnionType.make_union([text, api.named_generic_type("builtins.float", [])])
        return text
    if info.has_base(fullnames.BASE_MODEL) or "dataclass" in info.metadata:
        return _json_object(api)
    return None


def _container_form(proper: Instance, api: CheckerPluginInterface) -> Type | None:
    """The JSON form of a list, set or dict whose items have a JSON form of their own."""
    info = proper.type
    if info.fullname in SEQUENCES and len(proper.args) == 1:
        item = wire_type(proper.args[0], api)
        return None if item is proper.args[0] else _sequence(item, api)
    if info.fullname in MAPPINGS and len(proper.args) == 2:
        value = wire_type(proper.args[1], api)
        if value is not proper.args[1]:
            return api.named_generic_type("typing.Mapping", [proper.args[0], value])
    return None


def _enum_value(enum: Instance, api: CheckerPluginInterface) -> Type:
    """The JSON value of a member of ``enum``: its ``str`` or ``int`` base, else either."""
    for base in ("builtins.str", "builtins.int"):
        if enum.type.has_base(base):
            return api.named_generic_type(base, [])
    return UnionType.make_union(
        [api.named_generic_type("builtins.str", []), api.named_generic_type("builtins.int", [])]
    )


def _json_object(api: CheckerPluginInterface) -> Type:
    text = api.named_generic_type("builtins.str", [])
    return api.named_generic_type("typing.Mapping", [text, AnyType(TypeOfAny.special_form)])


def _sequence(item: Type, api: CheckerPluginInterface) -> Type:
    return api.named_generic_type("typing.Sequence", [item])
