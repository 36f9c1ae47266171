"""AsyncAPI 3.0 documents of socketsundso endpoints: generate, serve, print.

``asyncapi_document(Chat, path="/ws")`` (or ``asyncapi_document(app)``) returns the
document as a dict; ``mount_asyncapi(app)`` serves it as JSON and as an HTML page;
``python -m socketsundso asyncapi module:Chat --path /ws`` prints it, for CI to diff.
"""

from ._document import ASYNCAPI_VERSION, asyncapi_document
from ._serve import WEB_COMPONENT_VERSION, asyncapi_html, mount_asyncapi

__all__ = [
    "ASYNCAPI_VERSION",
    "WEB_COMPONENT_VERSION",
    "asyncapi_document",
    "asyncapi_html",
    "mount_asyncapi",
]
