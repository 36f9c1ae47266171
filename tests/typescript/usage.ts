// Compiled by tests/typescript/test_types.py with tsc --strict --noUncheckedIndexedAccess
// --exactOptionalPropertyTypes against the client generated from tests.typescript.endpoints:Desk.
// Every `@ts-expect-error` must be used: each marks a mistake the types must refuse.
import { ConnectionError, RequestError, TimeoutError, connect } from "./desk_client";
import type { ConnectionState, ErrorEntry, Posted, Ticket } from "./desk_client";

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function exactly<A, B>(_proof: Equal<A, B>): void {}

export async function typical(signal: AbortSignal): Promise<void> {
  const client = connect("ws://127.0.0.1:1/desk", { timeout: 1000, backoff: { max: 5000 } });
  // The browser's WebSocket class fits the option, as Node's and the ws package's do.
  connect("ws://127.0.0.1:1/desk", { WebSocket, protocols: ["desk"] }).close();

  // Fields by their wire names, JSON types, optional fields optional.
  const ticket = await client.request(
    "file",
    { roomName: "lobby", items: [{ name: "pen" }], due: "2026-12-06T12:00:00Z" },
    { timeout: 5000, signal },
  );
  exactly<typeof ticket, Ticket>(true);
  exactly<typeof ticket.ticketId, number>(true);
  exactly<typeof ticket.due, string | null>(true);
  exactly<typeof ticket.priority, "low" | "high">(true);
  exactly<typeof ticket.position, [number, string]>(true);
  exactly<(typeof ticket.items)[number]["quantity"], number>(true);
  const echoed = await client.request("echo", { n: 1 });
  exactly<typeof echoed.type, string>(true);

  // Events without a reply go with send; so may any other.
  const sent: boolean = client.send("enter", { room: "lobby" });
  client.send("echo", { n: 2 });

  const off = client.on("posted", (event) => {
    exactly<typeof event, Posted>(true);
    exactly<typeof event.at, string>(true);
  });
  client.on("moved", (event) => exactly<typeof event.type, "moved">(true));
  client.onState((state) => exactly<typeof state, ConnectionState>(true));
  client.onError((report) => {
    exactly<typeof report.event, string | undefined>(true);
    exactly<typeof report.errors, readonly ErrorEntry[]>(true);
  });
  off();

  try {
    await client.request("refuse", { why: "because" });
  } catch (error) {
    if (error instanceof RequestError) {
      exactly<typeof error.errors, readonly ErrorEntry[]>(true);
      const first = error.errors[0];
      exactly<typeof first, ErrorEntry | undefined>(true);
    } else if (error instanceof TimeoutError || error instanceof ConnectionError) {
      exactly<typeof error.message, string>(true);
    }
  }

  // @ts-expect-error an unknown event
  client.send("sing", { n: 1 });
  // @ts-expect-error a wrong field type
  await client.request("echo", { n: "1" });
  // @ts-expect-error a missing field
  await client.request("file", { roomName: "lobby" });
  // @ts-expect-error an unknown reply field
  void ticket.ticket_number;
  // @ts-expect-error a request of an event without a reply
  await client.request("enter", { room: "lobby" });
  // @ts-expect-error an undeclared server event
  client.on("said", () => {});
  // @ts-expect-error a field given by its Python name when its alias differs
  await client.request("file", { room_name: "lobby", items: [] });
  // @ts-expect-error a reply field by its Python name when its alias differs
  void ticket.ticket_id;
  // @ts-expect-error an unknown key in a message
  client.send("enter", { room: "lobby", floor: 2 });
  // @ts-expect-error an unknown key in a nested model
  client.send("file", { roomName: "lobby", items: [{ name: "pen", colour: "red" }] });
  // @ts-expect-error a value outside an enum
  client.send("file", { roomName: "lobby", items: [], priority: "urgent" });
  // @ts-expect-error a value outside a Literal
  client.send("file", { roomName: "lobby", items: [], kind: "idea" });
  // @ts-expect-error a datetime travels as a string, not a Date
  client.send("file", { roomName: "lobby", items: [], due: new Date() });
  // @ts-expect-error a model's field of the wrong type
  client.send("file", { roomName: "lobby", items: [{ name: 1 }] });
  // @ts-expect-error a server event's listener reads a field it doesn't have
  client.on("posted", (event) => event.sender);
  // @ts-expect-error fields of an event that takes none... are still checked
  client.send("echo");
  // @ts-expect-error an unknown request option
  await client.request("echo", { n: 1 }, { retries: 3 });

  void sent;
  client.close();
}
