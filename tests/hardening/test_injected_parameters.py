"""FastAPI's injected parameters in a handler: refused when the class is made.

Nothing injects ``Depends(get_db)`` or ``Header()`` into a WebSocket handler: such a
parameter would be a message field any client sets (``{"db": "attacker-chosen"}``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi import (
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Security,
    WebSocket,
)

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.ecosystem.test_docs_code import python_blocks


def get_db() -> str:
    """A FastAPI dependency: what a route would get injected."""
    return "the server's session"


def endpoint_with(handler: Callable[..., Any]) -> type[WebSocketHandlingEndpoint]:
    """A new endpoint class whose only handler is ``handler``."""
    return type("Api", (WebSocketHandlingEndpoint,), {"on_save": on_event(handler)})


async def with_depends(self: Any, text: str, db: str = Depends(get_db)) -> None: ...
async def with_security(self: Any, text: str, db: str = Security(get_db)) -> None: ...
async def with_query(self: Any, text: str, db: str = Query("x")) -> None: ...
async def with_header(self: Any, text: str, db: str = Header("x")) -> None: ...
async def with_cookie(self: Any, text: str, db: str = Cookie("x")) -> None: ...
async def with_path(self: Any, text: str, db: str = Path()) -> None: ...
async def with_body(self: Any, text: str, db: str = Body("x")) -> None: ...
async def with_form(self: Any, text: str, db: str = Form("x")) -> None: ...
async def with_file(self: Any, text: str, db: bytes = File(b"")) -> None: ...
async def with_annotated_depends(self: Any, db: Annotated[str, Depends(get_db)]) -> None: ...
async def with_annotated_header(self: Any, db: Annotated[str, Header()] = "x") -> None: ...


@pytest.mark.parametrize(
    "handler",
    [
        with_depends,
        with_security,
        with_query,
        with_header,
        with_cookie,
        with_path,
        with_body,
        with_form,
        with_file,
        with_annotated_depends,
        with_annotated_header,
    ],
)
def test_a_fastapi_parameter_object_is_refused_naming_the_parameter(
    handler: Callable[..., Any],
) -> None:
    with pytest.raises(TypeError, match=r"with_\w+\(\) has parameter 'db' with FastAPI's \w+"):
        endpoint_with(handler)


async def with_request(self: Any, request: Request) -> None: ...
async def with_websocket(self: Any, websocket: WebSocket) -> None: ...
async def with_tasks(self: Any, tasks: BackgroundTasks) -> None: ...


@pytest.mark.parametrize("handler", [with_request, with_websocket, with_tasks])
def test_a_starlette_object_fastapi_would_inject_is_refused_naming_the_parameter(
    handler: Callable[..., Any],
) -> None:
    with pytest.raises(TypeError, match=r"has parameter '\w+' of type \w+, which nothing injects"):
        endpoint_with(handler)


def test_a_function_attached_with_on_event_is_checked_too() -> None:
    class Api(WebSocketHandlingEndpoint):
        pass

    def save(text: str, db: str = Depends(get_db)) -> None: ...

    with pytest.raises(TypeError, match=r"'db'.*on_connect"):
        Api.on_event(save)


def test_the_check_never_imports_fastapi() -> None:
    code = (
        "import sys\n"
        "from socketsundso import WebSocketHandlingEndpoint, on_event\n"
        "class Api(WebSocketHandlingEndpoint):\n"
        "    @on_event\n"
        "    async def on_save(self, text: str, n: int = 3) -> None: ...\n"
        "assert 'fastapi' not in sys.modules, 'fastapi imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_documented_way_to_per_connection_dependencies_runs() -> None:
    [block] = [b for b in python_blocks("reliability.md") if "class OrdersEndpoint" in b]
    namespace: dict[str, Any] = {"__name__": "docs_reliability_dependencies"}
    exec(compile(block, "docs/reliability.md", "exec", dont_inherit=True), namespace)
    namespace["test_each_connection_gets_its_session_and_user_from_on_connect"]()
