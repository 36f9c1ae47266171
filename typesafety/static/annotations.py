"""A bare ``type[WebSocketHandlingEndpoint]`` takes every endpoint class, parameterized or not."""

from __future__ import annotations

from chat import Chat
from generic_base import Quiet, Talk
from starlette.routing import WebSocketRoute
from unparameterized import Plain

from socketsundso import WebSocketHandlingEndpoint


def route(path: str, endpoint: type[WebSocketHandlingEndpoint]) -> WebSocketRoute:
    """A route to any endpoint class."""
    return WebSocketRoute(path, endpoint)


routes = [route("/chat", Chat), route("/plain", Plain), route("/talk", Talk), route("/q", Quiet)]
endpoints: list[type[WebSocketHandlingEndpoint]] = [Chat, Plain, Talk, Quiet]
starlette_routes = [WebSocketRoute("/chat", Chat), WebSocketRoute("/talk", Talk)]


def connection(chat: Chat, talk: Talk) -> list[WebSocketHandlingEndpoint]:
    """Instances go where a bare ``WebSocketHandlingEndpoint`` is expected."""
    return [chat, talk]


def not_an_endpoint() -> None:
    route("/x", int)  # rejected: not an endpoint class
