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
/** The server answered a request with an error reply: `errors` says what was wrong. */
export class RequestError extends Error {
    constructor(event, errors) {
        super(`${event}: ${errors.map((e) => e.msg).join("; ")}`);
        this.name = "RequestError";
        this.event = event;
        this.errors = errors;
    }
}
/** A request got no answer within its timeout. */
export class TimeoutError extends Error {
    constructor(message) {
        super(message);
        this.name = "TimeoutError";
    }
}
/** A request can't be answered: the client is closed, its connection was lost, or too
 * many requests are pending. */
export class ConnectionError extends Error {
    constructor(message) {
        super(message);
        this.name = "ConnectionError";
    }
}
const timers = globalThis;
const OPEN = 1;
/** How many messages sent with `send` are remembered, to name the event of an error reply. */
const REMEMBERED_SENDS = 64;
/** A connection to one endpoint, typed by its protocol `P`. Make one with `connect`. */
export class Client {
    constructor(url, options = {}) {
        this.url = url;
        this.options = options;
        this.socket = null;
        this.current = "connecting";
        this.attempt = 0;
        this.openedAt = 0;
        this.lastId = 0;
        this.retryTimer = null;
        this.pending = new Map();
        this.sends = new Map();
        this.listeners = new Map();
        this.positions = new Map();
        this.open();
    }
    /** The connection's state now; `onState` tells of each change. */
    get state() {
        return this.current;
    }
    /** Send event `event` with its fields and resolve with the handler's reply.
     *
     * Rejects with `RequestError` when the server answers with errors, `TimeoutError`
     * when no answer comes in time, the signal's reason when it fires, and
     * `ConnectionError` when the client is closed or the connection is lost after the
     * request was sent. While the client reconnects, the request waits (within its
     * timeout) and goes out once the socket is open. */
    request(event, ...[fields, options = {}]) {
        return new Promise((resolve, reject) => {
            const { signal } = options;
            if (this.current === "closed")
                return reject(new ConnectionError("the client is closed"));
            if (signal?.aborted)
                return reject(signal.reason);
            if (this.pending.size >= (this.options.maxPending ?? 1000)) {
                return reject(new ConnectionError(`${this.pending.size} requests are pending already`));
            }
            const id = ++this.lastId;
            const timeout = options.timeout ?? this.options.timeout ?? 10000;
            const abort = () => this.settle(id, signal?.reason);
            signal?.addEventListener("abort", abort);
            const entry = {
                event,
                text: JSON.stringify({ type: event, id, ...fields }),
                resolve: resolve,
                reject,
                timer: timers.setTimeout(() => this.settle(id, new TimeoutError(`${event}: no answer within ${timeout} ms`)), timeout),
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
    send(event, ...[fields]) {
        if (this.current !== "open" || this.socket === null)
            return false;
        const id = ++this.lastId;
        this.sends.set(id, event);
        if (this.sends.size > REMEMBERED_SENDS)
            this.sends.delete(this.sends.keys().next().value);
        this.socket.send(JSON.stringify({ type: event, id, ...fields }));
        return true;
    }
    /** Call `listener` with each server event of type `type`; returns what stops it. */
    on(type, listener) {
        return this.listen(type, listener);
    }
    /** Call `listener` with each new state of the connection; returns what stops it.
     *
     * On `"open"` the listeners run before the requests that waited for the socket go
     * out: re-join what the connection had joined here, and the server sees it first. */
    onState(listener) {
        return this.listen(" state", listener);
    }
    /** Call `listener` with each error reply no request is waiting for; returns what stops it. */
    onError(listener) {
        return this.listen(" error", listener);
    }
    /** The last position of `group` this client has: from the `$position` of each message
     * broadcast to it (groups with a history), or given to `setPosition`. Pass it back
     * when re-joining (`since`) and the server replays what was missed. */
    position(group) {
        return this.positions.get(group);
    }
    /** Record `position` for `group` (a join's reply says where the group stood), unless
     * a later one of the same epoch is known already. */
    setPosition(group, position) {
        const known = this.positions.get(group);
        if (known?.epoch !== position.epoch || known.offset < position.offset) {
            this.positions.set(group, { epoch: position.epoch, offset: position.offset });
        }
    }
    /** Close the connection for good: no reconnect, pending requests reject. */
    close() {
        if (this.current === "closed")
            return;
        timers.clearTimeout(this.retryTimer);
        this.drop(this.socket, 1000);
        this.fail(() => true, "the client is closed");
        this.become("closed");
    }
    listen(key, listener) {
        let set = this.listeners.get(key);
        if (set === undefined)
            this.listeners.set(key, (set = new Set()));
        set.add(listener);
        return () => void set.delete(listener);
    }
    emit(key, value) {
        for (const listener of [...(this.listeners.get(key) ?? [])]) {
            try {
                listener(value);
            }
            catch (error) {
                // A failing listener neither stops the others nor the client: report it apart.
                timers.setTimeout(() => {
                    throw error;
                }, 0);
            }
        }
    }
    become(state) {
        if (state === this.current)
            return;
        this.current = state;
        this.emit(" state", state);
    }
    transmit(entry) {
        if (this.current === "open" && this.socket !== null && !entry.sent) {
            entry.sent = true;
            this.socket.send(entry.text);
        }
    }
    /** Settle request `id` with `error`, or with `reply` when `error` is undefined. */
    settle(id, error, reply) {
        const entry = this.pending.get(id);
        if (entry === undefined)
            return;
        this.pending.delete(id);
        timers.clearTimeout(entry.timer);
        entry.cancel();
        if (error === undefined)
            entry.resolve(reply);
        else
            entry.reject(error);
    }
    fail(which, message) {
        for (const [id, entry] of [...this.pending]) {
            if (which(entry))
                this.settle(id, new ConnectionError(`${entry.event}: ${message}`));
        }
    }
    open() {
        const Socket = this.options.WebSocket ?? timers.WebSocket;
        if (Socket === undefined) {
            throw new ConnectionError("no WebSocket class: pass one as the WebSocket option");
        }
        let socket;
        try {
            socket = new Socket(this.url, this.options.protocols);
        }
        catch (error) {
            this.close();
            throw error;
        }
        this.socket = socket;
        const connectTimer = timers.setTimeout(() => this.lost(socket), this.options.connectTimeout ?? 10000);
        socket.onopen = () => {
            timers.clearTimeout(connectTimer);
            this.openedAt = Date.now();
            this.become("open");
            for (const entry of [...this.pending.values()])
                this.transmit(entry);
        };
        socket.onmessage = (event) => {
            if (typeof event.data === "string")
                this.receive(event.data);
        };
        const down = () => {
            timers.clearTimeout(connectTimer);
            this.lost(socket);
        };
        socket.onclose = down;
        // An open socket's error is followed by its close; one that never opened may not be.
        socket.onerror = () => {
            if (socket.readyState !== OPEN)
                down();
        };
    }
    receive(text) {
        let message;
        try {
            message = JSON.parse(text);
        }
        catch {
            return;
        }
        if (typeof message !== "object" || message === null)
            return;
        const { id, errors, type } = message;
        if (typeof id === "number" && this.pending.has(id)) {
            const event = this.pending.get(id).event;
            if (Array.isArray(errors))
                return this.settle(id, new RequestError(event, errors));
            delete message["id"];
            return this.settle(id, undefined, message);
        }
        if (Array.isArray(errors)) {
            const event = typeof id === "number" ? this.sends.get(id) : undefined;
            return this.emit(" error", { event, errors });
        }
        // An answer with an id is a late reply, or one to `send`: nobody waits for it.
        if (id === undefined && typeof type === "string") {
            const mark = message["$position"];
            const { group, epoch, offset } = mark ?? {};
            if (typeof group === "string" && typeof epoch === "string" && typeof offset === "number") {
                this.setPosition(group, { epoch, offset });
            }
            this.emit(type, message);
        }
    }
    drop(socket, code) {
        if (socket === null)
            return;
        socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
        try {
            socket.close(code);
        }
        catch {
            // Closing a socket that never opened may throw: it is gone all the same.
        }
        if (socket === this.socket)
            this.socket = null;
    }
    lost(socket) {
        if (socket !== this.socket || this.current === "closed")
            return;
        this.drop(socket);
        this.fail((entry) => entry.sent, "the connection was lost");
        if (this.options.reconnect === false)
            return this.close();
        const { initial = 500, max = 20000 } = this.options.backoff ?? {};
        if (this.openedAt && Date.now() - this.openedAt >= max)
            this.attempt = 0;
        this.openedAt = 0;
        const delay = Math.random() * Math.min(max, initial * 2 ** this.attempt++);
        this.become("reconnecting");
        this.retryTimer = timers.setTimeout(() => this.open(), delay);
    }
}
