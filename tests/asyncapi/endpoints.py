"""Endpoints the AsyncAPI tests document: nested models, enums, optional fields, odd names."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, IntEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

from examples.chat import Chat
from socketsundso import WebSocketHandlingEndpoint, on_event


class Size(str, Enum):
    """How big an item is."""

    SMALL = "small"
    LARGE = "large"


class Priority(IntEnum):
    """How soon an order ships."""

    LOW = 1
    HIGH = 2


class Address(BaseModel):
    """Where an order goes."""

    street: str
    city: str
    postcode: str | None = None


class Item(BaseModel):
    """One line of an order."""

    sku: str = Field(pattern=r"^[A-Z]{3}-\d{4}$", description="Stock keeping unit.")
    quantity: int = Field(default=1, ge=1, le=99)
    size: Size = Size.SMALL


class Catalog:
    """A namespace holding a second model called ``Item``: its schema needs another name."""

    class Item(BaseModel):
        """A catalogue entry (not an order line)."""

        title: str
        price_cents: int


class Category(BaseModel):
    """A category tree: a model that refers to itself."""

    name: str
    children: list[Category] = []


class Order(BaseModel):
    """An order as the shop keeps it."""

    number: int
    items: list[Item]
    ship_to: Address | None = None
    priority: Priority = Priority.LOW
    status: Literal["new", "shipped"] = "new"


class OrderPlaced(BaseModel):
    """The reply to ``place_order``: the order and what it costs."""

    order: Order
    total_cents: int
    eta: datetime | None = None


class Pong(BaseModel):
    """A reply that forbids any field it doesn't declare."""

    model_config = ConfigDict(extra="forbid")

    type: str = "ping"
    ok: bool = True


class Shop(WebSocketHandlingEndpoint):
    """An order desk over one WebSocket.

    Place orders, restock the catalogue, browse categories.
    """

    @on_event(response_model=OrderPlaced)
    async def on_place_order(
        self, items: list[Item], ship_to: Address | None = None, priority: Priority = Priority.LOW
    ) -> OrderPlaced:
        """Place an order.

        The order is checked and priced; the reply carries its total.
        """
        order = Order(number=1, items=items, ship_to=ship_to, priority=priority)
        return OrderPlaced(order=order, total_cents=100 * sum(i.quantity for i in items))

    @on_event(response_model=Pong)
    def on_ping(self) -> Pong:
        """Check the connection."""
        return Pong()

    @on_event
    async def on_forget(self, number: int) -> None:
        """Forget an order; nothing is sent back."""

    @on_event
    async def on_restock(self, item: Catalog.Item, categories: list[Category]) -> dict[str, int]:
        """Add a catalogue entry."""
        return {"count": len(categories)}

    @on_event("order status")
    async def status(self, number: int) -> dict[str, str]:
        # No docstring: the operation has no summary.
        return {"status": "new"}


@Shop.on_event("price")
def price(sku: str, size: Size = Size.SMALL) -> dict[str, int]:
    """What an item costs, in cents."""
    return {"price_cents": 250 if size is Size.LARGE else 100}


class Bare(WebSocketHandlingEndpoint):
    @on_event
    async def on_echo(self, text: str) -> dict[str, str]:
        return {"text": text}


class Odd(WebSocketHandlingEndpoint):
    """Event names that collide once made safe for the document's keys."""

    @on_event("error")
    async def first(self) -> None:
        """Named like the error reply."""

    @on_event("error ")
    async def second(self) -> None:
        """Named like the first, once the space goes."""

    @on_event("x y")
    async def third(self) -> dict[str, str]:
        """A space."""
        return {}

    @on_event("x_y")
    async def fourth(self) -> dict[str, str]:
        """An underscore."""
        return {}


class Said(BaseModel):
    """A line said in a room.

    Everyone in the room gets it, the speaker too.
    """

    type: Literal["said"] = "said"
    room: str
    text: str


class Moved(BaseModel):
    type: Literal["moved", "renamed"] = "moved"
    room: str
    to: str


class Shipped(BaseModel):
    """An order left the warehouse."""

    type: Literal["shipped"] = "shipped"
    order: Order
    carrier: Literal["post", "courier"] | None = None


class Room(WebSocketHandlingEndpoint[Said | Moved | Shipped]):
    """A room that pushes events: handlers named like them must not clash with them."""

    @on_event
    async def on_say(self, room: str, text: str) -> None:
        """Say a line; it comes back as a `said` event."""
        await self.emit(Said(room=room, text=text))

    @on_event
    async def on_said(self, room: str) -> dict[str, int]:
        """How many lines were said in a room."""
        await self.emit({"type": "renamed", "room": room, "to": room.upper()})
        return {"count": 0}

    @on_event
    async def on_ship(self, order: Order) -> None:
        """Ship an order; a `shipped` event follows."""
        await self.emit(Shipped(order=order, carrier="post"))


#: Two endpoint classes on three routes, one with a path parameter, one inside a mount.
app = Starlette(
    routes=[
        WebSocketRoute("/shops/{shop_id:int}", Shop),
        Mount("/v1", routes=[WebSocketRoute("/chat", Chat), WebSocketRoute("/shop", Shop)]),
    ]
)


def cli_sample() -> None:
    """Not an endpoint: what a wrong ``module:attribute`` reference may name."""
