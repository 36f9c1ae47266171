"""``module:attribute`` references, as the command line takes apps and endpoints."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["BadReference", "resolve_reference"]


class BadReference(ValueError):
    """A ``module:attribute`` reference that names nothing importable."""


def resolve_reference(reference: str) -> object:
    """The object ``"package.module:Name"`` (or ``"module:obj.attr"``) names.

    Raises ``BadReference`` saying what is wrong when the reference is malformed,
    its module doesn't exist or the module has no such attribute. Errors raised while
    the module itself runs propagate, traceback and all.
    """
    module_name, colon, attribute = reference.partition(":")
    if not colon or not module_name or not attribute:
        raise BadReference(f"{reference!r} is not a reference of the form module:Endpoint")
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not f"{module_name}.".startswith(f"{exc.name}."):
            raise
        raise BadReference(f"cannot import {module_name!r}: no module named {exc.name!r}") from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise BadReference(
                f"{module_name!r} has no attribute {attribute!r} (missing: {part!r})"
            ) from None
    return target
