"""Test clients for socketsundso endpoints that speak events and never hang.

``EventSession`` wraps a Starlette ``TestClient`` WebSocket session (sync tests);
``AsyncEventSession`` runs the ASGI app in the test's own event loop (async tests).
Both send events by name (``send_event("join", room="lobby")``), wait for replies
with a timeout (``receive_event()`` raises ``ReceiveTimeout`` instead of hanging),
and check error replies (``expect_error(type="missing", loc=["room"])``).

Both are generic in the endpoint class they talk to (``EventSession[Chat]``), so
with the socketsundso mypy plugin a ``send_event`` naming an event ``Chat`` doesn't
handle, or passing a field of the wrong type, is a type error.

Needs the ``testing`` extra (``pip install "socketsundso[testing]"``: Starlette's
``TestClient`` needs ``httpx2``).
"""

# A timeout per call is the point of these sessions; the async one mirrors the sync API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import collections
import contextlib
import math
import queue
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Generic, overload
from urllib.parse import urlsplit

import anyio
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json, to_json
from starlette import status
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

try:
    from starlette.testclient import TestClient, WebSocketTestSession
except (ImportError, RuntimeError) as exc:  # its TestClient needs httpx2, our extra
    raise ImportError(
        "socketsundso.testing needs Starlette's TestClient, which needs the httpx2 package: "
        'install socketsundso with its "testing" extra (pip install "socketsundso[testing]")'
    ) from exc
from starlette.types import ASGIApp, Message
from starlette.websockets import WebSocketDisconnect
from typing_extensions import TypeVar

from ._server_events import type_values
from .endpoints import WebSocketHandlingEndpoint
from .exceptions import ErrorEntry
from .models import RequestId

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncEventSession",
    "EndpointT",
    "EventSession",
    "ModelT",
    "ReceiveTimeout",
    "UnexpectedReply",
]

DEFAULT_TIMEOUT = 5.0
"""Seconds a ``receive_*``/``expect_*`` call waits for a message before it gives up."""

EndpointT = TypeVar("EndpointT", bound=WebSocketHandlingEndpoint, default=WebSocketHandlingEndpoint)
"""The endpoint class a session talks to; static checkers (and the mypy plugin) read it."""

ModelT = TypeVar("ModelT", bound=BaseModel)
"""The model ``receive_event(Model)`` parses the next event into."""

#: Close code reported when the app stopped without closing the connection (ASGI has none).
_ABNORMAL_CLOSURE = 1006


class ReceiveTimeout(TimeoutError):
    """Nothing arrived from the endpoint within the timeout of a ``receive_*``/``expect_*`` call.

    A ``TimeoutError``, so ``except TimeoutError`` catches it too; its message says how
    long the session waited.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(f"No message from the endpoint within {timeout:g} seconds")
        self.timeout = timeout


class UnexpectedReply(Exception):
    """The endpoint answered, but not what the test expected; the message shows the reply."""

    def __init__(self, expected: str, reply: object) -> None:
        super().__init__(f"Expected {expected}, got {reply!r}")
        self.reply = reply


# --- What both sessions share: encoding events, decoding frames, matching replies ---------


def _event_text(event: str, fields: Mapping[str, Any]) -> str:
    """The JSON text of event ``event`` with ``fields`` (``id`` is the request id)."""
    if "type" in fields:
        raise TypeError(
            "send_event() takes the event name as its first argument; 'type' can't be a field"
        )
    return to_json({"type": event, **fields}).decode()


def _decode(message: Message) -> Any:
    """The JSON a ``websocket.send`` message carries; ``WebSocketDisconnect`` for a close."""
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(
            code=message.get("code") or status.WS_1000_NORMAL_CLOSURE,
            reason=message.get("reason") or "",
        )
    data = message.get("text")
    return from_json(data if data is not None else message.get("bytes") or b"")


def _as_event(reply: Any) -> dict[str, Any]:
    """``reply`` if it is an event (an object with ``type``); ``UnexpectedReply`` if not."""
    if isinstance(reply, dict) and "errors" not in reply and "type" in reply:
        return reply
    raise UnexpectedReply("an event (a JSON object with 'type')", reply)


def _check_model(model: object) -> None:
    """Refuse a ``receive_event`` argument that isn't a model class, before waiting."""
    if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(
            f"receive_event() takes a pydantic model class (pass a timeout by keyword: "
            f"receive_event(timeout=...)), not {model!r}"
        )


def _as_model(reply: Any, model: type[ModelT]) -> ModelT:
    """``reply`` parsed into ``model``; ``UnexpectedReply`` if it is another event or invalid."""
    values = type_values(model)
    wanted = f"a {model.__qualname__} event" + (
        f" (type {' or '.join(map(repr, values))})" if values else ""
    )
    event = _as_event(reply)
    if values is not None and event["type"] not in values:
        raise UnexpectedReply(wanted, reply)
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        raise UnexpectedReply(f"{wanted} that validates ({exc})", reply) from exc


def _matching_errors(
    reply: Any,
    type: str | None,
    loc: Sequence[str | int] | None,
    request_id: RequestId | None,
) -> list[ErrorEntry]:
    """The entries of error reply ``reply`` if one matches ``type`` and ``loc``."""
    if not (isinstance(reply, dict) and isinstance(reply.get("errors"), list)):
        raise UnexpectedReply("an error reply {'errors': [...]}", reply)
    if request_id is not None and reply.get("id") != request_id:
        raise UnexpectedReply(f"an error reply with id {request_id!r}", reply)
    errors: list[ErrorEntry] = reply["errors"]
    wanted = None if loc is None else list(loc)
    for entry in errors:
        if (type is None or entry.get("type") == type) and (
            wanted is None or list(entry.get("loc", ())) == wanted
        ):
            return errors
    raise UnexpectedReply(f"an error with type={type!r} and loc={wanted!r}", reply)


def _close_code(message: Message, expected: int | None) -> int:
    """The close code of ``message``; ``UnexpectedReply`` if it isn't the close expected."""
    if message["type"] != "websocket.close":
        raise UnexpectedReply("the connection to close", _decode(message))
    code = int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)
    if expected is not None and code != expected:
        raise UnexpectedReply(f"close code {expected}", code)
    return code


def _mount(endpoint: type[WebSocketHandlingEndpoint], path: str) -> Starlette:
    """A throwaway app serving only ``endpoint`` at ``path``."""
    return Starlette(routes=[WebSocketRoute(urlsplit(path).path, endpoint)])


def _ended_message() -> Message:
    """The close a session reports once the app has stopped without closing."""
    return {
        "type": "websocket.close",
        "code": _ABNORMAL_CLOSURE,
        "reason": "the application stopped without closing the connection",
    }


# --- Sync: a Starlette TestClient session -------------------------------------------------


class EventSession(Generic[EndpointT]):
    """A Starlette ``TestClient`` WebSocket session that speaks ``EndpointT``'s events.

    Make one with ``EventSession.connect(Chat)`` (a throwaway app serving ``Chat``) or
    ``EventSession.connect(Chat, app=app, path="/ws")`` (your app, lifespan included),
    both used as ``with ... as chat:``; or wrap a session you opened yourself:
    ``with client.websocket_connect("/ws") as ws: chat = EventSession(ws, Chat)``.

    Starlette's ``receive`` waits forever; this session reads the connection on a
    background thread into a queue instead, so every ``receive_*``/``expect_*`` call
    waits at most ``timeout`` seconds and then raises ``ReceiveTimeout``. Once wrapped,
    read the Starlette session through this object only.
    """

    def __init__(
        self,
        session: WebSocketTestSession,
        endpoint: type[EndpointT],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.session = session
        """The Starlette session this one reads and writes."""
        self.endpoint = endpoint
        """The endpoint class this session talks to."""
        self.timeout = timeout
        """Default timeout, in seconds, of ``receive_*``/``expect_*`` calls."""
        self._inbox: queue.Queue[Message] = queue.Queue()
        self._close: Message | None = None
        self._reader = threading.Thread(
            target=self._read, name=f"EventSession[{endpoint.__name__}]", daemon=True
        )
        self._reader.start()

    @classmethod
    @contextlib.contextmanager
    def connect(
        cls,
        endpoint: type[EndpointT],
        *,
        app: ASGIApp | None = None,
        path: str = "/ws",
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Iterator[EventSession[EndpointT]]:
        """Connect to ``endpoint``: on ``app`` at ``path``, or on a throwaway app serving it.

        Use it as ``with EventSession.connect(Chat) as chat:``; the connection (and the
        app's lifespan) ends with the block. ``headers`` (e.g. ``{"origin": ...}``) and
        ``subprotocols`` go to the handshake; a refused handshake raises Starlette's
        ``WebSocketDisconnect`` here.
        """
        client = TestClient(app if app is not None else _mount(endpoint, path))
        with (
            client,
            client.websocket_connect(
                path, subprotocols=subprotocols or None, headers=dict(headers or {})
            ) as session,
        ):
            yield cls(session, endpoint, timeout=timeout)

    def __enter__(self) -> EventSession[EndpointT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read(self) -> None:
        """Move every message of the connection into the inbox, until it closes."""
        while True:
            try:
                message = self.session.receive()
            except Exception:  # the session's task or portal is gone: the app stopped
                message = _ended_message()
            self._inbox.put(message)
            if message["type"] == "websocket.close":
                return

    def send_event(self, event: str, /, **fields: Any) -> None:
        """Send event ``event`` with ``fields`` as one JSON text frame.

        ``id=...`` sets the message's request id (a handler parameter can't be named
        ``id``, so it never clashes with a field). Values go through pydantic's JSON
        serializer: models, datetimes, enums and UUIDs are fine.
        """
        self.session.send_text(_event_text(event, fields))

    def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON, exactly as given (to test invalid messages, say)."""
        self.session.send_text(to_json(data).decode())

    def send_text(self, text: str) -> None:
        """Send ``text`` as a text frame as it is, JSON or not."""
        self.session.send_text(text)

    def receive_message(self, timeout: float | None = None) -> Message:
        """The next raw ASGI message from the app (``websocket.send`` or ``websocket.close``).

        Waits at most ``timeout`` seconds (the session's default if ``None``), then
        raises ``ReceiveTimeout``. After the app closed, returns its close again.
        """
        if self._close is not None:
            return self._close
        seconds = self.timeout if timeout is None else timeout
        try:
            message = self._inbox.get(timeout=seconds)
        except queue.Empty:
            raise ReceiveTimeout(seconds) from None
        if message["type"] == "websocket.close":
            self._close = message
        return message

    def receive_json(self, timeout: float | None = None) -> Any:
        """The next frame's JSON, whatever it is; ``WebSocketDisconnect`` if the app closed."""
        return _decode(self.receive_message(timeout))

    @overload
    def receive_event(
        self, model: None = None, /, timeout: float | None = None
    ) -> dict[str, Any]: ...
    @overload
    def receive_event(self, model: type[ModelT], /, timeout: float | None = None) -> ModelT: ...
    def receive_event(
        self, model: type[ModelT] | None = None, /, timeout: float | None = None
    ) -> dict[str, Any] | ModelT:
        """The next event the endpoint sends (a reply, an ``emit``, a broadcast).

        As a dict; or, given a model (``receive_event(Said)``), parsed into it: then
        ``UnexpectedReply`` if the next event is another one (its ``type`` isn't one of
        the model's ``type`` values) or doesn't validate. Raises ``ReceiveTimeout`` if
        none comes within ``timeout`` seconds (the session's default if ``None``),
        ``UnexpectedReply`` for an error reply (use ``expect_error`` for those), and
        ``WebSocketDisconnect`` if the app closed the connection.
        """
        _check_model(model)
        reply = self.receive_json(timeout)
        return _as_event(reply) if model is None else _as_model(reply, model)

    def expect_error(
        self,
        type: str | None = None,
        loc: Sequence[str | int] | None = None,
        *,
        id: RequestId | None = None,
        timeout: float | None = None,
    ) -> list[ErrorEntry]:
        """Receive an error reply and return its entries.

        With ``type`` and/or ``loc``, one entry must have them (``loc`` compared as a
        list); with ``id``, the reply must carry that request id. Otherwise raises
        ``UnexpectedReply`` showing what came instead.
        """
        return _matching_errors(self.receive_json(timeout), type, loc, id)

    def expect_close(self, code: int | None = None, *, timeout: float | None = None) -> int:
        """Wait for the app to close the connection (with ``code``, if given); return the code."""
        return _close_code(self.receive_message(timeout), code)

    def close(self, code: int = status.WS_1000_NORMAL_CLOSURE) -> None:
        """Close the connection from the client's side, unless the app closed it already."""
        if self._close is None:
            self._close = {"type": "websocket.close", "code": code}
            self.session.close(code)


# --- Async: the app in the test's own event loop ------------------------------------------


class AsyncEventSession(Generic[EndpointT]):
    """An in-process WebSocket connection to ``EndpointT`` for async (anyio/asyncio) tests.

    Made by ``async with AsyncEventSession.connect(Chat) as chat:``. The ASGI app runs
    as a task of the test's own event loop, with no thread and no socket: what the test
    sends is the app's ``receive``, what the app sends lands in this session's inbox.
    So it works in any anyio test on asyncio (the endpoint's outgoing path needs
    asyncio), shares the loop with whatever else the test runs, and a timeout can't
    lose a message: a ``receive_*`` call that gives up leaves the inbox as it was.

    Same methods as ``EventSession``, as coroutines.
    """

    def __init__(self, endpoint: type[EndpointT], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.endpoint = endpoint
        """The endpoint class this session talks to."""
        self.timeout = timeout
        """Default timeout, in seconds, of ``receive_*``/``expect_*`` calls."""
        self._to_app, self._app_inbox = anyio.create_memory_object_stream[Message](math.inf)
        self._inbox: collections.deque[Message] = collections.deque()
        self._arrived = anyio.Event()
        self._close: Message | None = None
        self._app_closed = False
        self._app_done = anyio.Event()
        self._app_error: Exception | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        endpoint: type[EndpointT],
        *,
        app: ASGIApp | None = None,
        path: str = "/ws",
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> AsyncIterator[AsyncEventSession[EndpointT]]:
        """Connect to ``endpoint``: on ``app`` at ``path``, or on a throwaway app serving it.

        The handshake waits at most ``timeout`` seconds; a refused one raises
        ``WebSocketDisconnect``. Leaving the block closes the connection, waits (up to
        ``timeout``) for the app to finish, and re-raises an exception the app raised.
        The app's lifespan is not run: start what it sets up in the test.
        """
        session = cls(endpoint, timeout=timeout)
        scope = _websocket_scope(path, headers or {}, subprotocols or ())
        asgi_app = app if app is not None else _mount(endpoint, path)
        error: Exception | None = None
        with session._to_app, session._app_inbox:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(session._run, asgi_app, scope)
                try:
                    await session._handshake()
                    yield session
                    await session.close()
                    with anyio.move_on_after(timeout):
                        await session._app_done.wait()
                except Exception as exc:
                    # Raised outside the task group, or anyio would wrap it in a group.
                    error = exc
                finally:
                    tasks.cancel_scope.cancel()
        if error is None:
            error = session._app_error
        if error is not None:
            raise error

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        """Run the app; an exception it raises is kept for ``connect`` to re-raise."""
        try:
            await app(scope, self._app_inbox.receive, self._from_app)
        except Exception as exc:
            self._app_error = exc
        finally:
            if not self._app_closed:
                await self._from_app(_ended_message())
            self._app_done.set()

    async def _from_app(self, message: Message) -> None:
        """The app's ``send``: put ``message`` in the inbox and wake a waiting receiver."""
        if self._app_closed:
            return  # after a close, the app has nothing more to say
        self._app_closed = message["type"] == "websocket.close"
        self._inbox.append(message)
        self._arrived.set()

    async def _handshake(self) -> None:
        """Send ``websocket.connect``; return once accepted, raise if refused."""
        self._to_app.send_nowait({"type": "websocket.connect"})
        message = await self.receive_message()
        if message["type"] != "websocket.accept":
            _decode(message)  # raises WebSocketDisconnect for a close
            raise UnexpectedReply("the app to accept the connection", message)

    async def send_event(self, event: str, /, **fields: Any) -> None:
        """Send event ``event`` with ``fields`` as one JSON text frame.

        ``id=...`` sets the message's request id (a handler parameter can't be named
        ``id``, so it never clashes with a field). Values go through pydantic's JSON
        serializer: models, datetimes, enums and UUIDs are fine.
        """
        await self.send_text(_event_text(event, fields))

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON, exactly as given (to test invalid messages, say)."""
        await self.send_text(to_json(data).decode())

    async def send_text(self, text: str) -> None:
        """Send ``text`` as a text frame as it is, JSON or not."""
        await self._to_app.send({"type": "websocket.receive", "text": text})

    async def receive_message(self, timeout: float | None = None) -> Message:
        """The next raw ASGI message from the app (``websocket.send`` or ``websocket.close``).

        Waits at most ``timeout`` seconds (the session's default if ``None``), then
        raises ``ReceiveTimeout``. After the app closed, returns its close again.
        """
        if self._close is not None:
            return self._close
        seconds = self.timeout if timeout is None else timeout
        with anyio.move_on_after(seconds):
            while not self._inbox:
                self._arrived = anyio.Event()
                await self._arrived.wait()
        if not self._inbox:
            raise ReceiveTimeout(seconds)
        message = self._inbox.popleft()
        if message["type"] == "websocket.close":
            self._close = message
        return message

    async def receive_json(self, timeout: float | None = None) -> Any:
        """The next frame's JSON, whatever it is; ``WebSocketDisconnect`` if the app closed."""
        return _decode(await self.receive_message(timeout))

    @overload
    async def receive_event(
        self, model: None = None, /, timeout: float | None = None
    ) -> dict[str, Any]: ...
    @overload
    async def receive_event(
        self, model: type[ModelT], /, timeout: float | None = None
    ) -> ModelT: ...
    async def receive_event(
        self, model: type[ModelT] | None = None, /, timeout: float | None = None
    ) -> dict[str, Any] | ModelT:
        """The next event the endpoint sends; see ``EventSession.receive_event``."""
        _check_model(model)
        reply = await self.receive_json(timeout)
        return _as_event(reply) if model is None else _as_model(reply, model)

    async def expect_error(
        self,
        type: str | None = None,
        loc: Sequence[str | int] | None = None,
        *,
        id: RequestId | None = None,
        timeout: float | None = None,
    ) -> list[ErrorEntry]:
        """Receive an error reply and return its entries; see ``EventSession.expect_error``."""
        return _matching_errors(await self.receive_json(timeout), type, loc, id)

    async def expect_close(self, code: int | None = None, *, timeout: float | None = None) -> int:
        """Wait for the app to close the connection (with ``code``, if given); return the code."""
        return _close_code(await self.receive_message(timeout), code)

    async def close(self, code: int = status.WS_1000_NORMAL_CLOSURE) -> None:
        """Close the connection from the client's side, unless the app closed it already."""
        if self._close is None:
            self._close = {"type": "websocket.close", "code": code}
            await self._to_app.send({"type": "websocket.disconnect", "code": code})


def _websocket_scope(
    path: str, headers: Mapping[str, str], subprotocols: Sequence[str]
) -> dict[str, Any]:
    """The ASGI scope of a WebSocket handshake for ``path`` (which may carry a query)."""
    url = urlsplit(path)
    raw_headers = [(b"host", b"testserver")]
    raw_headers += [(key.lower().encode(), value.encode()) for key, value in headers.items()]
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "root_path": "",
        "path": url.path,
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": raw_headers,
        "subprotocols": list(subprotocols),
        "state": {},
        "extensions": {},
    }
