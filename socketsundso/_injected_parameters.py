"""Refuse FastAPI's and Starlette's injected parameters in a handler's signature.

A handler's parameters are the fields of a client's message. FastAPI users write
``db: Session = Depends(get_db)`` or ``token: str = Header()`` out of habit; nothing
injects those here, so each would silently become a field any client can set
(``{"db": "attacker-chosen"}``). ``check_not_injected`` makes that a ``TypeError``
when the class is made. FastAPI is never imported for it: if ``fastapi.params`` is not
loaded, no object can be one of its parameters.
"""

from __future__ import annotations

import sys
import typing
from typing import Any

from starlette.background import BackgroundTasks
from starlette.requests import HTTPConnection

__all__ = ["check_not_injected"]

#: Where a handler gets what FastAPI would inject.
_HINT = (
    "a handler's parameters are fields of the client's message, so any client could set "
    "it. Get per-connection things (a database session, the authenticated user) in "
    "on_connect and keep them on self or self.websocket.state; the connection's "
    "headers, cookies and query are on self.websocket"
)

#: The classes of Starlette whose instances FastAPI injects by annotation.
_INJECTED_CLASSES = (HTTPConnection, BackgroundTasks)


def check_not_injected(handler: str, parameter: str, annotation: Any, default: Any) -> None:
    """Raise ``TypeError`` if ``parameter`` of ``handler`` expects FastAPI to inject it.

    That is a FastAPI parameter object (``Depends``, ``Security``, ``Query``, ``Header``,
    ``Cookie``, ``Path``, ``Body``, ``Form``, ``File``) as its default or in its
    ``Annotated`` metadata, or a Starlette ``Request``, ``WebSocket`` or
    ``BackgroundTasks`` as its annotation.
    """
    metadata = typing.get_args(annotation)[1:] if _is_annotated(annotation) else ()
    for value in (default, *metadata):
        kind = _fastapi_parameter_kind(value)
        if kind is not None:
            raise TypeError(
                f"Handler {handler}() has parameter {parameter!r} with FastAPI's {kind}(...), "
                f"which nothing injects in a WebSocket handler: {_HINT}"
            )
    base = typing.get_args(annotation)[0] if metadata else annotation
    if isinstance(base, type) and issubclass(base, _INJECTED_CLASSES):
        raise TypeError(
            f"Handler {handler}() has parameter {parameter!r} of type {base.__name__}, which "
            f"nothing injects in a WebSocket handler: {_HINT}"
        )


def _is_annotated(annotation: Any) -> bool:
    return typing.get_origin(annotation) is typing.Annotated


def _fastapi_parameter_kind(value: object) -> str | None:
    """The name of ``value``'s FastAPI parameter class, if it is one (else ``None``)."""
    params = sys.modules.get("fastapi.params")
    if params is None:  # FastAPI never imported: nothing can be one of its parameters
        return None
    classes = tuple(
        cls
        for name in ("Depends", "Param", "Body")
        if isinstance(cls := getattr(params, name, None), type)
    )
    if classes and isinstance(value, classes):
        return type(value).__name__
    return None
