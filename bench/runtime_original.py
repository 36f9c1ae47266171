# mypy: ignore-errors
# (written for socketsundso 0.0.5, which is not the socketsundso this repo type-checks against)
"""The echo endpoint written against the original socketsundso 0.0.5 (FastAPI 0.94, pydantic v1).

Imported only in the venv ``bench/runtime.py --original`` makes (``bench/.venvs/original``),
where ``socketsundso`` is the PyPI release 0.0.5: its decorator was ``event``, a handler
was a ``Handler`` object in the class body, and replies went through FastAPI's
``jsonable_encoder`` and ``json.dumps``.
"""

from __future__ import annotations

from typing import Any

from socketsundso import WebSocketHandlingEndpoint, event

__all__ = ["original_app"]


class Echo(WebSocketHandlingEndpoint):
    """socketsundso 0.0.5: the same handler, the old API."""

    @event
    async def echo(self, text: str, n: int, tags: list[str]) -> dict[str, Any]:
        """Answer with the fields received."""
        return {"text": text, "n": n, "tags": tags}


async def original_app(scope: Any, receive: Any, send: Any) -> None:
    """The endpoint as Starlette's ``WebSocketRoute`` runs it: instantiate, then await."""
    await Echo(scope, receive, send)
