"""Keeps a plugin bug from crashing mypy: every hook runs inside ``guard``.

A failing callback reports a ``socketsundso-internal`` error on the code it was
looking at, and mypy goes on with the type it would have used without the plugin.
With ``SOCKETSUNDSO_MYPY_DEBUG=1`` in the environment the exception propagates
instead (the plugin's own tests run that way).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final, TypeVar

from mypy.nodes import Context
from mypy.plugin import (
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    MethodSigContext,
)
from mypy.types import FunctionLike, Type

from . import errorcodes

#: Environment variable that makes plugin exceptions propagate (for tests).
DEBUG_VARIABLE: Final = "SOCKETSUNDSO_MYPY_DEBUG"

_Ctx = TypeVar(
    "_Ctx", AttributeContext, ClassDefContext, FunctionContext, MethodContext, MethodSigContext
)
_Result = TypeVar("_Result", None, Type, FunctionLike)


def debug_enabled() -> bool:
    """Whether plugin exceptions should propagate instead of being reported."""
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def guard(
    callback: Callable[[_Ctx], _Result],
    fallback: Callable[[_Ctx], _Result],
    *,
    debug: bool,
) -> Callable[[_Ctx], _Result]:
    """``callback``, reporting its exceptions as errors and answering ``fallback(ctx)``."""

    def guarded(ctx: _Ctx) -> _Result:
        try:
            return callback(ctx)
        except Exception as exc:
            if debug:
                raise
            _report(ctx, exc)
            return fallback(ctx)

    return guarded


def _report(ctx: _Ctx, exc: Exception) -> None:
    message = (
        f"The socketsundso mypy plugin failed here ({type(exc).__name__}: {exc}); "
        "please report this"
    )
    where: Context = ctx.reason if isinstance(ctx, ClassDefContext) else ctx.context
    ctx.api.fail(message, where, code=errorcodes.INTERNAL)
