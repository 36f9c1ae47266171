// The generated JavaScript client in Node, against tests.typescript.endpoints:Desk served
// by uvicorn on 127.0.0.1 (tests/typescript/test_node.py starts it).
//
//   node --experimental-websocket scenarios.mjs CLIENT_MODULE URL SCENARIO
//
// Prints a line per step; exits 0 when every check held, 1 (with the reason) otherwise.
// The `restart` scenario prints "connected", then waits for the test to stop the server
// ("lost"), to start it again on the same port ("back"), and checks the client recovers.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const [modulePath, url, scenario] = process.argv.slice(2);
const { connect, RequestError, TimeoutError, ConnectionError } = await import(
  pathToFileURL(modulePath).href
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const step = (text) => console.log(text);

/** Resolve once `client` is in `state` (or at once if it is), failing after `ms`. */
function reach(client, state, ms = 10000) {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ${state} within ${ms} ms`)), ms);
    const off = client.onState((now) => {
      if (now !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** How long `promise` takes to settle, and how: [ms, value or error, settled by rejection]. */
async function timed(promise) {
  const start = performance.now();
  try {
    return [performance.now() - start, await promise, false];
  } catch (error) {
    return [performance.now() - start, error, true];
  }
}

const scenarios = {
  async requests() {
    // Passed explicitly, as on Node versions without a global WebSocket.
    const client = connect(url, { WebSocket: globalThis.WebSocket });
    assert.equal(client.state, "connecting");
    // Made before the socket opened: it waits for it.
    const ticket = await client.request("file", {
      roomName: "lobby",
      items: [{ name: "pen" }],
      due: "2026-12-06T12:00:00Z",
      labels: { urgent: 1 },
    });
    assert.deepEqual(ticket, {
      type: "file",
      ticketId: 5,
      items: [{ name: "pen", quantity: 1 }],
      priority: "low",
      due: "2026-12-06T12:00:00Z",
      position: [1, "question"],
      labels: { urgent: 1 },
    });
    step("request and reply");
    assert.deepEqual(await client.request("echo", { n: 7 }), { type: "echo", n: 7 });

    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        client.request("slow", { seconds: Math.random() / 50, n }),
      ),
    );
    assert.deepEqual(
      replies.map((reply) => reply.n),
      Array.from({ length: 200 }, (_, n) => n),
    );
    assert.equal(client.pending.size, 0);
    step("200 concurrent requests, each with its own reply");

    const refused = await timed(client.request("refuse", { why: "because" }));
    assert.ok(refused[1] instanceof RequestError, String(refused[1]));
    assert.equal(refused[1].event, "refuse");
    assert.deepEqual(refused[1].errors, [{ type: "refused", loc: ["why"], msg: "refused: because" }]);
    const invalid = await timed(client.request("echo", { n: "seven" }));
    assert.ok(invalid[1] instanceof RequestError);
    assert.equal(invalid[1].errors[0].type, "int_parsing");
    assert.deepEqual(invalid[1].errors[0].loc, ["n"]);
    step("error replies reject with RequestError and their entries");

    // An error reply to a message sent without waiting names its event.
    const reports = [];
    client.onError((report) => reports.push(report));
    assert.equal(client.send("enter", { room: 5 }), true);
    await client.request("echo", { n: 1 });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].event, "enter");
    assert.equal(reports[0].errors[0].type, "string_type");
    step("an error reply to send reaches onError with its event");
    client.close();
    assert.equal(client.state, "closed");
  },

  async timeouts() {
    const client = connect(url, { timeout: 300 });
    await reach(client, "open");
    const [ms, error, rejected] = await timed(client.request("slow", { seconds: 1.5, n: 1 }));
    assert.ok(rejected && error instanceof TimeoutError, String(error));
    assert.ok(ms >= 290 && ms < 1450, `timed out after ${ms} ms`);
    assert.equal(client.pending.size, 0);
    step("a request past its timeout rejects with TimeoutError");
    // The late reply comes while another request waits: it must not settle that one.
    const next = await client.request("slow", { seconds: 1.5, n: 2 }, { timeout: 5000 });
    assert.equal(next.n, 2);
    step("a late reply is dropped");

    const controller = new AbortController();
    const pending = timed(client.request("slow", { seconds: 2 }, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("changed my mind")), 100);
    const [abortMs, reason, aborted] = await pending;
    assert.ok(aborted && reason.message === "changed my mind", String(reason));
    assert.ok(abortMs < 1000, `aborted after ${abortMs} ms`);
    const already = await timed(
      client.request("echo", { n: 1 }, { signal: AbortSignal.abort(new Error("before")) }),
    );
    assert.ok(already[2] && already[1].message === "before");
    assert.equal(client.pending.size, 0);
    step("an aborted request rejects with the signal's reason");

    const limited = connect(url, { maxPending: 2 });
    const first = limited.request("slow", { seconds: 0.2 });
    const second = limited.request("slow", { seconds: 0.2 });
    const third = await timed(limited.request("echo", { n: 3 }));
    assert.ok(third[2] && third[1] instanceof ConnectionError, String(third[1]));
    await Promise.all([first, second]);
    step("requests past maxPending are refused at once");
    limited.close();
    client.close();
  },

  async events() {
    const ann = connect(url);
    const bob = connect(url);
    const heard = [];
    const moves = [];
    const off = bob.on("posted", (event) => heard.push(event));
    bob.on("moved", (event) => moves.push(event.type));
    await Promise.all([reach(ann, "open"), reach(bob, "open")]);
    assert.equal(bob.send("enter", { room: "lobby" }), true);
    assert.equal(ann.send("enter", { room: "lobby" }), true);
    await Promise.all([ann.request("echo", { n: 0 }), bob.request("echo", { n: 0 })]);
    ann.send("post", { room: "lobby", text: "hello" });
    ann.send("move", { room: "lobby" });
    for (let i = 0; i < 100 && moves.length === 0; i++) await sleep(20);
    assert.deepEqual(heard, [
      { type: "posted", room: "lobby", text: "hello", at: "2026-12-06T12:00:00" },
    ]);
    assert.deepEqual(moves, ["moved"]);
    step("a server event reaches another member");
    off();
    ann.send("post", { room: "lobby", text: "again" });
    await ann.request("echo", { n: 0 });
    await bob.request("echo", { n: 0 });
    assert.equal(heard.length, 1);
    step("a listener stops when its off() is called");
    ann.close();
    bob.close();
  },

  async down() {
    // Nothing listens at url: the client keeps trying, and requests never hang.
    const client = connect(url, { timeout: 400, backoff: { initial: 50, max: 200 } });
    const states = [];
    client.onState((state) => states.push(state));
    const [ms, error, rejected] = await timed(client.request("echo", { n: 1 }));
    assert.ok(rejected && error instanceof TimeoutError, String(error));
    assert.ok(ms < 1500, `rejected after ${ms} ms`);
    assert.ok(states.includes("reconnecting"), states.join());
    step("a request while the server is down rejects within its timeout");
    const waiting = timed(client.request("echo", { n: 2 }, { timeout: 60000 }));
    client.close();
    const [closeMs, closed] = await waiting;
    // At once: far from the request's 60 s timeout, whatever the machine's load.
    assert.ok(closed instanceof ConnectionError && closeMs < 1000, String(closed));
    const after = await timed(client.request("echo", { n: 3 }));
    assert.ok(after[2] && after[1] instanceof ConnectionError && after[0] < 1000);
    assert.equal(client.send("echo", { n: 4 }), false);
    step("close() rejects what waits, and what comes after, at once");

    const once = connect(url, { reconnect: false, connectTimeout: 2000 });
    await reach(once, "closed");
    const never = await timed(once.request("echo", { n: 1 }));
    assert.ok(never[2] && never[1] instanceof ConnectionError && never[0] < 1000);
    step("without reconnect, a lost connection closes the client");
  },

  async resume() {
    // HistoryDesk: a client that comes back re-joins from the last position it has.
    const ann = connect(url, { backoff: { initial: 300, max: 500 } });
    const bob = connect(url);
    const replies = [];
    ann.onState((state) => {
      if (state !== "open") return;
      const since = ann.position("room:lobby") ?? null;
      ann.request("resume", { room: "lobby", since }).then((reply) => {
        if (reply.position !== null) ann.setPosition(reply.group, reply.position);
        replies.push(reply);
      });
    });
    const texts = [];
    ann.on("posted", (event) => texts.push(event.text));
    const until = async (check) => {
      for (let i = 0; i < 500 && !check(); i++) await sleep(10);
      assert.ok(check(), `not within 5 s: ${JSON.stringify({ texts, replies })}`);
    };
    await until(() => replies.length === 1);
    assert.equal(replies[0].recovered, false);
    await bob.request("echo", { n: 0 }); // bob is open: send doesn't wait for the socket
    assert.equal(bob.send("post", { room: "lobby", text: "1" }), true);
    await until(() => texts.length === 1);
    const start = replies[0].position.offset;
    assert.equal(ann.position("room:lobby").offset, start + 1);
    step("positions are kept per group");
    ann.socket.close(); // the network drops ann's connection
    await bob.request("echo", { n: 0 });
    for (const text of ["2", "3", "4"]) bob.send("post", { room: "lobby", text });
    await until(() => replies.length === 2 && texts.length === 4);
    assert.deepEqual(texts, ["1", "2", "3", "4"]);
    assert.equal(replies[1].recovered, true);
    assert.equal(ann.position("room:lobby").offset, start + 4);
    step("a re-join with the last position gets what was missed, once, in order");
    ann.close();
    bob.close();
  },

  async restart() {
    const client = connect(url, { backoff: { initial: 100, max: 500 } });
    const states = [];
    client.onState((state) => states.push(state));
    // Re-enter the room on every open, as an application re-joins its groups.
    let entered = 0;
    client.onState((state) => {
      if (state === "open") entered += client.send("enter", { room: "lobby" }) ? 1 : 0;
    });
    await reach(client, "open");
    assert.equal((await client.request("echo", { n: 1 })).n, 1);
    const inFlight = timed(client.request("slow", { seconds: 5 }, { timeout: 60000 }));
    step("connected");
    await reach(client, "reconnecting", 20000);
    const [, lost] = await inFlight;
    assert.ok(lost instanceof ConnectionError, String(lost));
    step("lost");
    const [ms, error] = await timed(client.request("echo", { n: 2 }, { timeout: 300 }));
    assert.ok(error instanceof TimeoutError && ms < 1500, String(error));
    // Made while down, with time to spare: it goes out once the server is back.
    const later = client.request("echo", { n: 3 }, { timeout: 20000 });
    step("waiting");
    await reach(client, "open", 20000);
    assert.equal((await later).n, 3);
    assert.equal(entered, 2);
    const watcher = connect(url);
    await watcher.request("echo", { n: 0 });
    const heard = new Promise((resolve) => client.on("posted", resolve));
    watcher.send("post", { room: "lobby", text: "welcome back" });
    assert.equal((await heard).text, "welcome back");
    assert.deepEqual(states, ["open", "reconnecting", "open"]);
    step("back");
    watcher.close();
    client.close();
  },
};

const run = scenarios[scenario];
if (run === undefined) {
  console.error(`no scenario ${scenario}`);
  process.exit(2);
}
try {
  await run();
  step("done");
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
