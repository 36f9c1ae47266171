"""The events an endpoint class declares (``WebSocketHandlingEndpoint[Said | Left]``), checked.

Runs in semantic analysis with the endpoint's class hook. The runtime raises
``TypeError`` when such a class is made if an event model has no ``type`` field
annotated as a ``Literal`` of strings, or if two events share a value; the plugin
reports both on the class line, where the class itself parameterizes a base (a
subclass inheriting the events is not checked again).

It reports only what it is sure of: a model it cannot read (a ``type`` that is not a
plain field, ``Any``, an enum literal, a PEP 695 alias) is skipped. An alias on the
field (``Field(alias="kind")``) is not looked at: mypy's cache does not keep it, and
the runtime refuses an aliased ``type`` field anyway, so no error reported here is
one the runtime would not raise.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from mypy.expandtype import expand_type_by_instance
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type_bare
from mypy.nodes import ClassDef, IndexExpr, PlaceholderNode, RefExpr, TypeInfo, Var
from mypy.options import Options
from mypy.plugin import ClassDefContext
from mypy.server.trigger import make_wildcard_trigger
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    PlaceholderType,
    ProperType,
    Type,
    TypeAliasType,
    TypeVarLikeType,
    TypeVarType,
    UnboundType,
    UnionType,
    get_proper_type,
)
from mypy.typevars import fill_typevars

from .. import errorcodes, fullnames

#: The field whose Literal names an event on the wire.
TYPE_FIELD: Final = "type"


@dataclasses.dataclass(frozen=True)
class Values:
    """A model's ``type`` values, or why it surely has none (``problem``).

    ``ready``: its ``type`` field is analysed; ``sure``: the plugin can tell what the
    runtime will see (else the model is skipped).
    """

    values: tuple[str, ...] = ()
    problem: str | None = None
    ready: bool = True
    sure: bool = True


#: The model's ``type`` is not analysed yet: defer.
NOT_READY: Final = Values(ready=False)
#: The plugin cannot tell what the runtime will see: skip the model.
UNSURE: Final = Values(sure=False)


def check_server_events(ctx: ClassDefContext) -> bool:
    """Report the declared events' problems; ``False`` while one is not analysed yet.

    Nothing is reported until every model is analysed, or on the final iteration
    (when a model still not analysed is skipped).
    """
    models = declared_models(ctx.cls)
    if not models:
        return True
    for model in models:
        for info in _model_classes(model.type):
            ctx.api.add_plugin_dependency(make_wildcard_trigger(info.fullname))
    found = [(model.type, type_values(model, ctx.api.options)) for model in models]
    if not all(values.ready for _, values in found) and not ctx.api.final_iteration:
        return False
    for info, values in found:
        if values.problem is not None:
            ctx.api.fail(
                f'Event "{info.name}" of "{ctx.cls.name}" needs a field '
                f'"type: Literal[...]" of strings; {values.problem}',
                ctx.cls,
                code=errorcodes.EVENT_TYPE,
            )
    _report_shared_values(ctx, [(info, values.values) for info, values in found])
    return True


def declared_models(cls: ClassDef) -> list[Instance]:
    """The event models the class's own bases declare; empty if it declares none.

    As at runtime, the first subscripted base whose parameter is the endpoint's events
    parameter declares them (``WebSocketHandlingEndpoint[X]``, ``Base[X]`` for a base
    generic in its events); a type variable, ``Any`` or ``BaseModel`` declares nothing,
    and so does a union with anything but model classes in it. A bare ``Base`` inherits
    (mypy fills in its parameter's default, the runtime does not).
    """
    subscripted = {
        expr.base.fullname
        for expr in cls.base_type_exprs
        if isinstance(expr, IndexExpr) and isinstance(expr.base, RefExpr)
    }
    for base in cls.info.bases:
        if base.type.fullname not in subscripted:
            continue
        argument = _events_argument(base)
        if argument is None:
            continue
        members = argument.items if isinstance(argument, UnionType) else [argument]
        models = [get_proper_type(member) for member in members]
        if all(_is_event_model(model) for model in models):
            return [model for model in models if isinstance(model, Instance)]
        return []
    return []


def _events_argument(base: Instance) -> ProperType | None:
    """``base``'s argument for the endpoint's events parameter, if ``base`` has one."""
    endpoint = next((b for b in base.type.mro if b.fullname == fullnames.ENDPOINT), None)
    if endpoint is None or not base.type.type_vars:
        return None
    parameter = _endpoint_argument(map_instance_to_supertype(_fill_typevars_of(base), endpoint))
    if not isinstance(parameter, TypeVarType):
        return None  # the base's events are fixed: inherited, not declared here
    return _endpoint_argument(map_instance_to_supertype(base, endpoint))


def _fill_typevars_of(base: Instance) -> Instance:
    """``base``'s class applied to its own type variables (``Base[E]``)."""
    filled = fill_typevars(base.type)
    return filled if isinstance(filled, Instance) else base


def _endpoint_argument(endpoint: Instance) -> ProperType | None:
    return get_proper_type(endpoint.args[0]) if endpoint.args else None


def _is_event_model(model: ProperType) -> bool:
    """Whether ``model`` is a pydantic model class (``BaseModel`` itself: any event)."""
    return (
        isinstance(model, Instance)
        and model.type.fullname != fullnames.BASE_MODEL
        and model.type.has_base(fullnames.BASE_MODEL)
    )


def type_values(model: Instance, options: Options) -> Values:
    """The values of ``model``'s ``type: Literal[...]`` field, as the runtime reads them."""
    field = _type_field(model.type)
    if isinstance(field, Values):
        return field
    owner, declared = field
    return _literal_values(_field_type(model, owner, declared), options)


def _type_field(info: TypeInfo) -> tuple[TypeInfo, Type] | Values:
    """The model class declaring the ``type`` field and its declared type, if a field."""
    owner = next((base for base in _model_classes(info) if TYPE_FIELD in base.names), None)
    if owner is None:
        unsure = any(base.fallback_to_any for base in info.mro)
        return UNSURE if unsure else Values(problem='it has no field "type"')
    node = owner.names[TYPE_FIELD].node
    if isinstance(node, PlaceholderNode):
        return NOT_READY
    if not isinstance(node, Var) or node.is_inferred:
        # A method, a property, a nested class, an unannotated attribute: pydantic's
        # own business, not a field the plugin can read.
        return UNSURE
    if node.is_classvar:
        return Values(problem='its "type" is a ClassVar, not a field')
    if node.type is None:
        return NOT_READY
    return owner, node.type


def _model_classes(info: TypeInfo) -> list[TypeInfo]:
    """``info`` and its bases below ``BaseModel``, where its fields may be declared."""
    classes: list[TypeInfo] = []
    for base in info.mro:
        if base.fullname == fullnames.BASE_MODEL:
            break
        classes.append(base)
    return classes


def _field_type(model: Instance, owner: TypeInfo, declared: Type) -> Type:
    """The field's type on ``model`` (a generic model's type variables filled in)."""
    return expand_type_by_instance(declared, map_instance_to_supertype(model, owner))


def _literal_values(annotation: Type, options: Options) -> Values:
    """The strings of a ``Literal`` annotation, or what is wrong with the annotation."""
    alias = annotation.alias if isinstance(annotation, TypeAliasType) else None
    if alias is not None and alias.python_3_12_type_alias:
        return UNSURE  # ``type T = Literal[...]``: a TypeAliasType at runtime
    proper = get_proper_type(annotation)
    items = proper.items if isinstance(proper, UnionType) else [proper]
    not_literal = Values(problem=f'its "type" is "{format_type_bare(proper, options)}"')
    values: list[str] = []
    for item in map(get_proper_type, items):
        if isinstance(item, PlaceholderType):
            return NOT_READY
        if isinstance(item, (AnyType, TypeVarLikeType, UnboundType)):
            return UNSURE  # not what the runtime sees
        if not isinstance(item, LiteralType):
            return not_literal
        fallback = item.fallback.type
        if fallback.fullname != "builtins.str":
            # A str enum's member is a string at runtime, and mypy knows only its name.
            return UNSURE if fallback.has_base("builtins.str") else not_literal
        if isinstance(item.value, str) and item.value not in values:
            values.append(item.value)
    return Values(tuple(values))


def _report_shared_values(
    ctx: ClassDefContext, found: list[tuple[TypeInfo, tuple[str, ...]]]
) -> None:
    """One error for each two models sharing values, naming both and the values."""
    owners: dict[str, TypeInfo] = {}
    shared: dict[tuple[TypeInfo, TypeInfo], list[str]] = {}
    for info, values in found:
        for value in values:
            other = owners.setdefault(value, info)
            if other is not info:
                shared.setdefault((other, info), []).append(value)
    for (first, second), common in shared.items():
        quoted = ", ".join(f'"{value}"' for value in common)
        noun = "type" if len(common) == 1 else "types"
        ctx.api.fail(
            f'Events "{first.name}" and "{second.name}" of "{ctx.cls.name}" share the '
            f"{noun} {quoted}: a client could not tell them apart",
            ctx.cls,
            code=errorcodes.DUPLICATE_EVENT_TYPE,
        )
