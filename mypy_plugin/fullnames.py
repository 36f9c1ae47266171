"""Every fully-qualified name of the runtime that the plugin knows.

The plugin claims hooks only for these names, so other plugins (``pydantic.mypy``)
keep answering for theirs: mypy asks plugins in order and takes the first answer.
"""

from typing import Final

#: The endpoint base class; every class with it in its MRO gets its event Literal.
ENDPOINT: Final = "socketsundso.endpoints.WebSocketHandlingEndpoint"
#: The endpoint's classmethod that attaches a module-level function as a handler
#: (``Chat.on_event``); mypy names its hook after the class it is called on.
ENDPOINT_DECORATOR: Final = "on_event"
#: The ``on_event`` decorator function.
ON_EVENT: Final = "socketsundso.handler.on_event"
#: ``EventDecorator.__call__``: the decorator ``on_event("name", ...)`` returns, applied.
EVENT_DECORATOR_CALL: Final = "socketsundso.handler.EventDecorator.__call__"
#: The type of an endpoint's ``handlers``: a ``dict[str, Handler]`` indexed by its events.
EVENT_HANDLERS: Final = "socketsundso._typing.EventHandlers"
#: The runtime's handler class: ``handlers`` takes any ``Mapping[str, Handler]``.
HANDLER: Final = "socketsundso.handler.Handler"
#: The endpoint attribute holding its handlers (read as ``EventHandlers[...]``).
HANDLERS_ATTRIBUTE: Final = "handlers"
#: Its ``__getitem__``: the plugin checks the index against the events.
EVENT_HANDLERS_INDEX: Final = f"{EVENT_HANDLERS}.__getitem__"
#: The generic message model: ``event_message_model`` becomes ``type[WebSocketEventMessage[...]]``.
EVENT_MESSAGE: Final = "socketsundso.models.WebSocketEventMessage"
#: pydantic's model base: a handler returning another model than its ``response_model`` fails.
BASE_MODEL: Final = "pydantic.main.BaseModel"
#: The typed test clients' ``send_event`` (socketsundso.testing).
SEND_EVENT: Final = (
    "socketsundso.testing.EventSession.send_event",
    "socketsundso.testing.AsyncEventSession.send_event",
)
#: Modules the plugin looks names up in: a module importing socketsundso depends on them.
LOOKED_UP_MODULES: Final = ("socketsundso._typing", "socketsundso.handler", "socketsundso.models")
#: The runtime package; ``get_additional_deps`` fires for modules importing from it.
PACKAGE: Final = "socketsundso"
#: Return types a given ``response_model`` refuses whatever the value (not models, not dicts).
NEVER_A_RESPONSE: Final = frozenset(
    f"builtins.{name}"
    for name in (
        "int",
        "float",
        "complex",
        "bool",
        "str",
        "bytes",
        "bytearray",
        "list",
        "tuple",
        "set",
        "frozenset",
    )
)
#: FastAPI's parameter functions: as a handler's default, the runtime raises ``TypeError``.
FASTAPI_PARAMETERS: Final = frozenset(
    {"Depends", "Security", "Query", "Header", "Cookie", "Path", "Body", "Form", "File"}
)
