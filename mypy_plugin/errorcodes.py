"""The plugin's error codes: one per kind of problem, all named ``socketsundso-*``.

Users silence one with ``# type: ignore[socketsundso-...]`` or turn it off with
``disable_error_code``.
"""

from typing import Final

from mypy.errorcodes import ErrorCode

_CATEGORY: Final = "socketsundso"

#: Two handlers for one event in one class body (the runtime raises ``TypeError``).
DUPLICATE_EVENT: Final = ErrorCode(
    "socketsundso-duplicate-event", "Two handlers for one event in one class", _CATEGORY
)
#: An event name that is empty: ``on_``, ``handle_`` or ``on_event("")``.
EMPTY_EVENT: Final = ErrorCode(
    "socketsundso-empty-event", "A handler's event name is empty", _CATEGORY
)
#: A handler parameter named ``type`` or ``id``: those fields are the message envelope's.
TYPE_PARAMETER: Final = ErrorCode(
    "socketsundso-type-parameter", "A handler has a parameter named 'type' or 'id'", _CATEGORY
)
#: ``*args`` or ``**kwargs`` on a handler: a message has named fields only.
VARIADIC_PARAMETER: Final = ErrorCode(
    "socketsundso-variadic-parameter", "A handler takes *args or **kwargs", _CATEGORY
)
#: A positional-only handler parameter (before ``/``): a message has named fields only.
POSITIONAL_ONLY_PARAMETER: Final = ErrorCode(
    "socketsundso-positional-only-parameter",
    "A handler takes a positional-only parameter",
    _CATEGORY,
)
#: ``@staticmethod`` or ``@classmethod`` on a handler in a class body (the runtime refuses it).
STATIC_HANDLER: Final = ErrorCode(
    "socketsundso-static-handler",
    "A handler in a class body is a staticmethod or classmethod",
    _CATEGORY,
)
#: A handler's declared return type is one its ``response_model`` can never accept.
RESPONSE_TYPE: Final = ErrorCode(
    "socketsundso-response-type",
    "A handler returns a type its response_model does not accept",
    _CATEGORY,
)
#: An event an endpoint declares (``WebSocketHandlingEndpoint[Said]``) without a
#: ``type: Literal[...]`` field of strings (the runtime raises ``TypeError``).
EVENT_TYPE: Final = ErrorCode(
    "socketsundso-event-type",
    "A declared event has no 'type' field annotated as a Literal of strings",
    _CATEGORY,
)
#: Two events an endpoint declares share a ``type`` value (the runtime raises ``TypeError``).
DUPLICATE_EVENT_TYPE: Final = ErrorCode(
    "socketsundso-duplicate-event-type",
    "Two declared events share a 'type' value",
    _CATEGORY,
)
#: A FastAPI parameter object (``Depends()``, ``Query()``...) as a handler's default
#: (the runtime raises ``TypeError``: a message fills a handler's parameters).
FASTAPI_PARAMETER: Final = ErrorCode(
    "socketsundso-fastapi-parameter",
    "A handler parameter defaults to a FastAPI parameter object",
    _CATEGORY,
)
#: The plugin itself failed on some code: a bug to report, never a crash of mypy.
INTERNAL: Final = ErrorCode(
    "socketsundso-internal", "The socketsundso plugin failed on this code", _CATEGORY
)
