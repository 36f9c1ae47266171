"""The public names, at the seed's module paths."""

from __future__ import annotations

from importlib import resources

import pytest
from pydantic import ValidationError

import socketsundso
from socketsundso import endpoints, handler, models

SEED_NAMES = {
    "WebSocketHandlingEndpoint": endpoints,
    "HandlingEndpointMeta": endpoints,
    "Handler": handler,
    "on_event": handler,
    "WebSocketEventMessage": models,
}


@pytest.mark.parametrize("name", sorted(SEED_NAMES))
def test_the_seeds_names_live_at_the_seeds_paths(name: str) -> None:
    assert getattr(SEED_NAMES[name], name) is getattr(socketsundso, name)


def test_the_package_re_exports_the_runtime_with_all() -> None:
    exported = set(socketsundso.__all__)
    assert {"WebSocketHandlingEndpoint", "on_event", "Handler", "WebSocketEventMessage"} <= exported
    for name in exported:
        assert hasattr(socketsundso, name), name


def test_the_package_is_typed() -> None:
    assert resources.files("socketsundso").joinpath("py.typed").is_file()


def test_the_endpoints_metaclass_is_handling_endpoint_meta() -> None:
    assert type(socketsundso.WebSocketHandlingEndpoint) is endpoints.HandlingEndpointMeta


def test_web_socket_event_message_needs_a_type_and_keeps_other_fields() -> None:
    message = socketsundso.WebSocketEventMessage.model_validate({"type": "join", "room": "a"})
    assert message.type == "join"
    assert message.model_dump(exclude_none=True) == {"type": "join", "room": "a"}
    with pytest.raises(ValidationError):
        socketsundso.WebSocketEventMessage.model_validate({"room": "a"})
