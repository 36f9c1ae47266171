"""A typed asyncio client of a socketsundso endpoint, typed by the endpoint's own handlers.

::

    from socketsundso.client import RequestError, connect

    async with connect("ws://127.0.0.1:8000/ws", Chat) as client:
        joined = await client.request(Chat.on_join, room="lobby", name="ann")  # a Joined
        await client.send(Chat.on_say, text="hi")
        line = await client.receive_event(Line, timeout=5)

``request`` and ``send`` take the handler method itself: its parameters type the
fields (a ``ParamSpec``) and its return annotation the reply, so mypy and pyright
check calls without the plugin. Event names, wire names and models all come from the
class. Needs the ``client`` extra (``websockets``).
"""

from ..exceptions import ErrorEntry
from ._client import Client, ConnectionState, RequestError, connect
from ._protocol import UndeclaredEvent

__all__ = ["Client", "ConnectionState", "ErrorEntry", "RequestError", "UndeclaredEvent", "connect"]
