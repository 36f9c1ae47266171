"""The pydantic models every message of a socketsundso endpoint is built on."""

from __future__ import annotations

from typing import Generic, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from typing_extensions import TypeVar

__all__ = ["EventT", "RequestId", "WebSocketEventMessage"]

RequestId: TypeAlias = StrictStr | StrictInt
"""A client's optional request id: a JSON string or integer, echoed in what the message causes."""

EventT = TypeVar("EventT", bound=str, default=str)
"""The type of a message's ``type`` field: ``str`` in general, the ``Literal`` of its
events for one endpoint's ``event_message_model`` and for each handler's ``model``.
"""


class WebSocketEventMessage(BaseModel, Generic[EventT]):
    """An incoming message: its ``type`` names the event, every other field is a parameter.

    The class is generic in the type of ``type`` so that an endpoint's
    ``event_message_model`` (``WebSocketEventMessage[Literal["join", "say"]]``) and each
    handler's ``model`` (``type: Literal["join"]`` plus the handler's parameters) say
    statically which events they accept. ``id`` is the optional request id that the
    reply and any error reply echo. This base allows any extra field; the models built
    for handlers forbid them.
    """

    model_config = ConfigDict(extra="allow")

    type: EventT
    id: RequestId | None = None


class HandlerMessage(WebSocketEventMessage[EventT]):
    """Base of every handler's input model: a message with exactly the handler's fields.

    Unknown fields are refused, and so are ``NaN`` and infinities in float and decimal
    fields (JSON has none of them; pydantic's parser accepts ``NaN``, ``Infinity`` and
    ``1e999``). A parameter that wants them says so:
    ``Annotated[float, Field(allow_inf_nan=True)]``.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DefaultResponse(BaseModel):
    """Base of the response model a handler gets when it declares none: any fields go.

    Any but ``id``: a reply's top-level ``id`` is the request id the endpoint echoes,
    so returned data that sets one is refused rather than silently overwritten.
    """

    model_config = ConfigDict(extra="allow")

    type: str
    id: None = Field(default=None, exclude=True)
