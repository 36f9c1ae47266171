// The runtime of every client `python -m socketsundso typescript` generates: the same
// code for every endpoint, typed by the `Protocol` the generated part declares.
//
// One WebSocket at a time. A request is a message with a fresh `id`; the server's
// answer (a reply or an error reply) carries that id back and settles it. Every
// request has a deadline, so the table of pending requests holds at most `maxPending`
// entries, each for at most its timeout. A request made while the socket is not open
// waits for it (within its timeout); one sent on a socket that is then lost rejects,
// since nobody knows whether the server handled it. Server events (messages without
// an id) go to the listeners of their `type`. The socket is replaced after it closes,
// after a full-jitter exponential backoff; a socket that doesn't open within
// `connectTimeout` is given up. `close()` stops all of it.

/** The state of a client's connection to its server. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** One error of an error reply, in pydantic's error shape. */
export interface ErrorEntry {
  /** What went wrong, e.g. `missing` or `union_tag_invalid`. */
  readonly type: string;
  /** Where in the message: field names (wire names) and list indexes. */
  readonly loc: readonly (string | number)[];
  /** A human-readable explanation. */
  readonly msg: string;
  /** Values the message was made from, when the error has any. */
  readonly ctx?: { readonly [key: string]: unknown };
}

/** The server answered a request with an error reply: `errors` says what was wrong. */
export class RequestError extends Error {
  /** The event of the request. */
  readonly event: string;
  /** The error reply's entries (at least one). */
  readonly errors: readonly ErrorEntry[];
  constructor(event: string, errors: readonly ErrorEntry[]) {
    super(`${event}: ${errors.map((e) => e.msg).join("; ")}`);
    this.name = "RequestError";
    this.event = event;
    this.errors = errors;
  }
}

/** A request got no answer within its timeout. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** A request can't be answered: the client is closed, its connection was lost, or too
 * many requests are pending. */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionError";
  }
}

/** What the client needs of a WebSocket: the browser's, Node 22's, or the `ws` package's.
 * (The handlers take `never`, so that each WebSocket's own event types fit.) */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class, as `new WebSocket(url, protocols)` calls it. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What `AbortController().signal` is, as far as a request uses it. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Options of `connect`; every one has a default. */
export interface ClientOptions {
  /** Milliseconds a request waits for its answer (default 10000). */
  readonly timeout?: number;
  /** Milliseconds a socket may take to open before it is given up (default 10000). */
  readonly connectTimeout?: number;
  /** Whether a lost connection is replaced (default true). */
  readonly reconnect?: boolean;
  /** Backoff before a reconnect: a random delay up to `min(max, initial * 2 ** attempt)`
   * milliseconds (defaults 500 and 20000). The attempts count from 0 again once a
   * connection stayed open for `max` milliseconds. */
  readonly backoff?: { readonly initial?: number; readonly max?: number };
  /** Most requests pending at once; one more is refused with `ConnectionError` (default 1000). */
  readonly maxPending?: number;
  /** The WebSocket class (default: the global `WebSocket`). */
  readonly WebSocket?: WebSocketConstructor;
  /** Subprotocols to ask the server for. */
  readonly protocols?: string | string[];
}

/** Options of one request. */
export interface RequestOptions {
  /** Milliseconds to wait for the answer (default: the client's `timeout`). */
  readonly timeout?: number;
  /** Gives the request up when it fires: it rejects with the signal's reason. */
  readonly signal?: AbortSignalLike;
}

/** An error reply to a message sent with `send` (`event` set), or to none the client
 * can tell (`event` undefined: e.g. a message the server could not parse). */
export interface ErrorReport {
  readonly event: string | undefined;
  readonly errors: readonly ErrorEntry[];
}

/** Where a group's stream of broadcasts stood: the last message a client has of it.
 * Only groups whose hub keeps a history number their messages (`$position`). */
export interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** The `$position` a broadcast to a group with history carries. */
export interface PositionMark extends StreamPosition {
  readonly group: string;
}

/** What a generated module declares about its endpoint, as types. */
export interface ProtocolShape {
  /** The fields of each event's message, by event name. */
  readonly messages: object;
  /** The reply of each event whose handler replies, by event name. */
  readonly replies: object;
  /** Each server event, by its `type`. */
  readonly events: object;
}

type Fields<P extends ProtocolShape, E> = E extends keyof P["messages"] ? P["messages"][E] : never;
/** The arguments after an event's name: its fields, optional when it has none required. */
type Args<F, O> = {} extends F ? [fields?: F, options?: O] : [fields: F, options?: O];

interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const timers = globalThis as unknown as Timers & { WebSocket?: WebSocketConstructor };

interface Pending {
  readonly event: string;
  readonly text: string;
  readonly resolve: (reply: never) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: unknown;
  readonly cancel: () => void;
  sent: boolean;
}

type Listener = (value: never) => void;

const OPEN = 1;
/** How many messages sent with `send` are remembered, to name the event of an error reply. */
const REMEMBERED_SENDS = 64;

/** A connection to one endpoint, typed by its protocol `P`. Make one with `connect`. */
export class Client<P extends ProtocolShape> {
  private socket: WebSocketLike | null = null;
  private current: ConnectionState = "connecting";
  private attempt = 0;
  private openedAt = 0;
  private lastId = 0;
  private retryTimer: unknown = null;
  private readonly pending = new Map<number, Pending>();
  private readonly sends = new Map<number, string>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly positions = new Map<string, StreamPosition>();

  constructor(
    private readonly url: string,
    private readonly options: ClientOptions = {},
  ) {
    this.open();
  }

  /** The connection's state now; `onState` tells of each change. */
  get state(): ConnectionState {
    return this.current;
  }

  /** Send event `event` with its fields and resolve with the handler's reply.
   *
   * Rejects with `RequestError` when the server answers with errors, `TimeoutError`
   * when no answer comes in time, the signal's reason when it fires, and
   * `ConnectionError` when the client is closed or the connection is lost after the
   * request was sent. While the client reconnects, the request waits (within its
   * timeout) and goes out once the socket is open. */
  request<E extends keyof P["replies"] & string>(
    event: E,
    ...[fields, options = {}]: Args<Fields<P, E>, RequestOptions>
  ): Promise<P["replies"][E]> {
    return new Promise<P["replies"][E]>((resolve, reject) => {
      const { signal } = options;
      if (this.current === "closed") return reject(new ConnectionError("the client is closed"));
      if (signal?.aborted) return reject(signal.reason);
      if (this.pending.size >= (this.options.maxPending ?? 1000)) {
        return reject(new ConnectionError(`${this.pending.size} requests are pending already`));
      }
      const id = ++this.lastId;
      const timeout = options.timeout ?? this.options.timeout ?? 10000;
      const abort = (): void => this.settle(id, signal?.reason);
      signal?.addEventListener("abort", abort);
      const entry: Pending = {
        event,
        text: JSON.stringify({ type: event, id, ...fields }),
        resolve: resolve as (reply: never) => void,
        reject,
        timer: timers.setTimeout(
          () => this.settle(id, new TimeoutError(`${event}: no answer within ${timeout} ms`)),
          timeout,
        ),
        cancel: () => signal?.removeEventListener("abort", abort),
        sent: false,
      };
      this.pending.set(id, entry);
      this.transmit(entry);
    });
  }

  /** Send event `event` with its fields, expecting no answer; say whether it went out
   * (false: the socket is not open, nothing was sent). An error reply to it reaches
   * the `onError` listeners with this event's name. */
  send<E extends keyof P["messages"] & string>(
    event: E,
    ...[fields]: Args<Fields<P, E>, never>
  ): boolean {
    if (this.current !== "open" || this.socket === null) return false;
    const id = ++this.lastId;
    this.sends.set(id, event);
    if (this.sends.size > REMEMBERED_SENDS) this.sends.delete(this.sends.keys().next().value!);
    this.socket.send(JSON.stringify({ type: event, id, ...fields }));
    return true;
  }

  /** Call `listener` with each server event of type `type`; returns what stops it. */
  on<T extends keyof P["events"] & string>(
    type: T,
    listener: (event: P["events"][T]) => void,
  ): () => void {
    return this.listen(type, listener);
  }

  /** Call `listener` with each new state of the connection; returns what stops it.
   *
   * On `"open"` the listeners run before the requests that waited for the socket go
   * out: re-join what the connection had joined here, and the server sees it first. */
  onState(listener: (state: ConnectionState) => void): () => void {
    return this.listen(" state", listener);
  }

  /** Call `listener` with each error reply no request is waiting for; returns what stops it. */
  onError(listener: (report: ErrorReport) => void): () => void {
    return this.listen(" error", listener);
  }

  /** The last position of `group` this client has: from the `$position` of each message
   * broadcast to it (groups with a history), or given to `setPosition`. Pass it back
   * when re-joining (`since`) and the server replays what was missed. */
  position(group: string): StreamPosition | undefined {
    return this.positions.get(group);
  }

  /** Record `position` for `group` (a join's reply says where the group stood), unless
   * a later one of the same epoch is known already. */
  setPosition(group: string, position: StreamPosition): void {
    const known = this.positions.get(group);
    if (known?.epoch !== position.epoch || known.offset < position.offset) {
      this.positions.set(group, { epoch: position.epoch, offset: position.offset });
    }
  }

  /** Close the connection for good: no reconnect, pending requests reject. */
  close(): void {
    if (this.current === "closed") return;
    timers.clearTimeout(this.retryTimer);
    this.drop(this.socket, 1000);
    this.fail(() => true, "the client is closed");
    this.become("closed");
  }

  private listen(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (set === undefined) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  private emit(key: string, value: unknown): void {
    for (const listener of [...(this.listeners.get(key) ?? [])]) {
      try {
        listener(value as never);
      } catch (error) {
        // A failing listener neither stops the others nor the client: report it apart.
        timers.setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }

  private become(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit(" state", state);
  }

  private transmit(entry: Pending): void {
    if (this.current === "open" && this.socket !== null && !entry.sent) {
      entry.sent = true;
      this.socket.send(entry.text);
    }
  }

  /** Settle request `id` with `error`, or with `reply` when `error` is undefined. */
  private settle(id: number, error: unknown, reply?: unknown): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    timers.clearTimeout(entry.timer);
    entry.cancel();
    if (error === undefined) entry.resolve(reply as never);
    else entry.reject(error);
  }

  private fail(which: (entry: Pending) => boolean, message: string): void {
    for (const [id, entry] of [...this.pending]) {
      if (which(entry)) this.settle(id, new ConnectionError(`${entry.event}: ${message}`));
    }
  }

  private open(): void {
    const Socket = this.options.WebSocket ?? timers.WebSocket;
    if (Socket === undefined) {
      throw new ConnectionError("no WebSocket class: pass one as the WebSocket option");
    }
    let socket: WebSocketLike;
    try {
      socket = new Socket(this.url, this.options.protocols);
    } catch (error) {
      this.close();
      throw error;
    }
    this.socket = socket;
    const connectTimer = timers.setTimeout(
      () => this.lost(socket),
      this.options.connectTimeout ?? 10000,
    );
    socket.onopen = () => {
      timers.clearTimeout(connectTimer);
      this.openedAt = Date.now();
      this.become("open");
      for (const entry of [...this.pending.values()]) this.transmit(entry);
    };
    socket.onmessage = (event: { readonly data: unknown }) => {
      if (typeof event.data === "string") this.receive(event.data);
    };
    const down = (): void => {
      timers.clearTimeout(connectTimer);
      this.lost(socket);
    };
    socket.onclose = down;
    // An open socket's error is followed by its close; one that never opened may not be.
    socket.onerror = () => {
      if (socket.readyState !== OPEN) down();
    };
  }

  private receive(text: string): void {
    let message: { [key: string]: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null) return;
    const { id, errors, type } = message;
    if (typeof id === "number" && this.pending.has(id)) {
      const event = this.pending.get(id)!.event;
      if (Array.isArray(errors)) return this.settle(id, new RequestError(event, errors));
      delete message["id"];
      return this.settle(id, undefined, message);
    }
    if (Array.isArray(errors)) {
      const event = typeof id === "number" ? this.sends.get(id) : undefined;
      return this.emit(" error", { event, errors });
    }
    // An answer with an id is a late reply, or one to `send`: nobody waits for it.
    if (id === undefined && typeof type === "string") {
      const mark = message["$position"] as { [key: string]: unknown } | undefined;
      const { group, epoch, offset } = mark ?? {};
      if (typeof group === "string" && typeof epoch === "string" && typeof offset === "number") {
        this.setPosition(group, { epoch, offset });
      }
      this.emit(type, message);
    }
  }

  private drop(socket: WebSocketLike | null, code?: number): void {
    if (socket === null) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(code);
    } catch {
      // Closing a socket that never opened may throw: it is gone all the same.
    }
    if (socket === this.socket) this.socket = null;
  }

  private lost(socket: WebSocketLike): void {
    if (socket !== this.socket || this.current === "closed") return;
    this.drop(socket);
    this.fail((entry) => entry.sent, "the connection was lost");
    if (this.options.reconnect === false) return this.close();
    const { initial = 500, max = 20000 } = this.options.backoff ?? {};
    if (this.openedAt && Date.now() - this.openedAt >= max) this.attempt = 0;
    this.openedAt = 0;
    const delay = Math.random() * Math.min(max, initial * 2 ** this.attempt++);
    this.become("reconnecting");
    this.retryTimer = timers.setTimeout(() => this.open(), delay);
  }
}
