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
    readonly ctx?: {
        readonly [key: string]: unknown;
    };
}
/** The server answered a request with an error reply: `errors` says what was wrong. */
export declare class RequestError extends Error {
    /** The event of the request. */
    readonly event: string;
    /** The error reply's entries (at least one). */
    readonly errors: readonly ErrorEntry[];
    constructor(event: string, errors: readonly ErrorEntry[]);
}
/** A request got no answer within its timeout. */
export declare class TimeoutError extends Error {
    constructor(message: string);
}
/** A request can't be answered: the client is closed, its connection was lost, or too
 * many requests are pending. */
export declare class ConnectionError extends Error {
    constructor(message: string);
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
    readonly backoff?: {
        readonly initial?: number;
        readonly max?: number;
    };
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
/** A connection to one endpoint, typed by its protocol `P`. Make one with `connect`. */
export declare class Client<P extends ProtocolShape> {
    private readonly url;
    private readonly options;
    private socket;
    private current;
    private attempt;
    private openedAt;
    private lastId;
    private retryTimer;
    private readonly pending;
    private readonly sends;
    private readonly listeners;
    private readonly positions;
    constructor(url: string, options?: ClientOptions);
    /** The connection's state now; `onState` tells of each change. */
    get state(): ConnectionState;
    /** Send event `event` with its fields and resolve with the handler's reply.
     *
     * Rejects with `RequestError` when the server answers with errors, `TimeoutError`
     * when no answer comes in time, the signal's reason when it fires, and
     * `ConnectionError` when the client is closed or the connection is lost after the
     * request was sent. While the client reconnects, the request waits (within its
     * timeout) and goes out once the socket is open. */
    request<E extends keyof P["replies"] & string>(event: E, ...[fields, options]: Args<Fields<P, E>, RequestOptions>): Promise<P["replies"][E]>;
    /** Send event `event` with its fields, expecting no answer; say whether it went out
     * (false: the socket is not open, nothing was sent). An error reply to it reaches
     * the `onError` listeners with this event's name. */
    send<E extends keyof P["messages"] & string>(event: E, ...[fields]: Args<Fields<P, E>, never>): boolean;
    /** Call `listener` with each server event of type `type`; returns what stops it. */
    on<T extends keyof P["events"] & string>(type: T, listener: (event: P["events"][T]) => void): () => void;
    /** Call `listener` with each new state of the connection; returns what stops it.
     *
     * On `"open"` the listeners run before the requests that waited for the socket go
     * out: re-join what the connection had joined here, and the server sees it first. */
    onState(listener: (state: ConnectionState) => void): () => void;
    /** Call `listener` with each error reply no request is waiting for; returns what stops it. */
    onError(listener: (report: ErrorReport) => void): () => void;
    /** The last position of `group` this client has: from the `$position` of each message
     * broadcast to it (groups with a history), or given to `setPosition`. Pass it back
     * when re-joining (`since`) and the server replays what was missed. */
    position(group: string): StreamPosition | undefined;
    /** Record `position` for `group` (a join's reply says where the group stood), unless
     * a later one of the same epoch is known already. */
    setPosition(group: string, position: StreamPosition): void;
    /** Close the connection for good: no reconnect, pending requests reject. */
    close(): void;
    private listen;
    private emit;
    private become;
    private transmit;
    /** Settle request `id` with `error`, or with `reply` when `error` is undefined. */
    private settle;
    private fail;
    private open;
    private receive;
    private drop;
    private lost;
}
export {};
