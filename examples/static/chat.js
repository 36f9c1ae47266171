// @ts-check
// The chat page, on the client generated from examples.chat:Chat (chat_client.js; its
// types in chat_client.d.ts check this file: tsc --checkJs). The client reconnects by
// itself; on every "open" this page re-joins the room it was in.
import { connect, RequestError } from "./chat_client.js";

/** @typedef {import("./chat_client.js").ErrorEntry} ErrorEntry */
/** @typedef {import("./chat_client.js").Joined} Joined */
/** @typedef {import("./chat_client.js").Line} Line */
/** @typedef {import("./chat_client.js").Presence} Presence */

/** @type {(id: string) => HTMLElement} */
const $ = (id) => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element;
};
/** @type {(id: string) => HTMLInputElement} */
const input = (id) => /** @type {HTMLInputElement} */ ($(id));

const STATES = {
  connecting: "connecting…",
  open: "connected",
  reconnecting: "reconnecting…",
  closed: "disconnected",
};

const client = connect(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);

/** The room this page is in (and re-joins after a reconnect), or null. */
let membership = /** @type {{ room: string, name: string } | null} */ (null);

/** @param {string} state */
function showState(state) {
  const status = $("status");
  status.dataset.state = state;
  status.textContent = STATES[/** @type {keyof typeof STATES} */ (state)];
  for (const button of document.querySelectorAll("button")) button.disabled = state !== "open";
}

/** @param {HTMLFormElement} form */
function clearErrors(form) {
  for (const slot of form.querySelectorAll(".error")) slot.textContent = "";
  for (const field of form.querySelectorAll("input")) field.removeAttribute("aria-invalid");
}

/**
 * Show each error next to the field it is about (its wire name), the rest under the form.
 * @param {HTMLFormElement} form
 * @param {readonly ErrorEntry[]} errors
 */
function showErrors(form, errors) {
  for (const error of errors) {
    const field = error.loc.length === 1 ? String(error.loc[0]) : "";
    const slot =
      form.querySelector(`.error[data-for="${CSS.escape(field)}"]`) ??
      form.querySelector('.error[data-for=""]');
    if (slot === null) continue;
    slot.textContent = [slot.textContent, error.msg].filter(Boolean).join("; ");
    const id = slot.id.replace(/-error$/, "");
    if (field && id) document.getElementById(id)?.setAttribute("aria-invalid", "true");
  }
}

/**
 * What a failed request says, next to the form that sent it.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 */
function showFailure(form, error) {
  if (error instanceof RequestError) return showErrors(form, error.errors);
  const message = error instanceof Error ? error.message : String(error);
  showErrors(form, [{ type: "client", loc: [], msg: message }]);
}

/**
 * @param {string} text
 * @param {string} className
 * @param {string} [at] when it happened (ISO 8601), else now
 */
function append(text, className, at) {
  const item = document.createElement("li");
  const time = document.createElement("time");
  const when = at === undefined ? new Date() : new Date(at);
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  item.append(time, text);
  if (className) item.className = className;
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

/** @param {readonly string[]} names */
function showMembers(names) {
  $("members").replaceChildren(
    ...names.map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }),
  );
}

function memberNames() {
  return [...$("members").children].map((item) => item.textContent ?? "");
}

/** @param {Joined | null} joined */
function showRoom(joined) {
  $("chat").hidden = joined === null;
  $("join-form").hidden = joined !== null;
  if (joined === null) return;
  $("room-name").textContent = joined.room;
  $("me").textContent = joined.name;
  showMembers(joined.members);
  input("text").focus();
}

/** The room's group, once joined: the client keeps its last position (`$position`). */
let group = /** @type {string | null} */ (null);

/**
 * Join a room; after a reconnect, from the last position this page has of it, so that
 * the server sends what was said meanwhile first.
 * @param {{ room: string, name: string }} wanted
 * @param {boolean} [again] a re-join after a reconnect
 */
async function join(wanted, again = false) {
  const form = /** @type {HTMLFormElement} */ ($("join-form"));
  clearErrors(form);
  const since = again && group !== null ? (client.position(group) ?? null) : null;
  try {
    const joined = await client.request("join", { ...wanted, since });
    membership = { room: joined.room, name: joined.name };
    group = joined.group;
    if (joined.position !== null) client.setPosition(joined.group, joined.position);
    showRoom(joined);
    if (again) {
      const missed = joined.recovered ? "" : ` (anything said meanwhile is missing: ${joined.reason ?? "no history"})`;
      append(`reconnected${missed}`, "presence");
    }
  } catch (error) {
    membership = group = null;
    showRoom(null);
    showFailure(form, error);
  }
}

client.onState((state) => {
  showState(state);
  if (state === "open" && membership !== null) void join(membership, true);
});
showState(client.state);

client.on("message", (line) => {
  const to = line.to === null ? "" : ` → ${line.to}`;
  append(`${line.sender}${to}: ${line.text}`, line.to === null ? "" : "whisper", line.at);
});
/** @param {Presence} presence */
function presence(presence) {
  // A re-join replays the room's notices, this member's own (an earlier connection's) too.
  if (presence.name === membership?.name) return;
  const others = memberNames().filter((name) => name !== presence.name);
  showMembers(presence.type === "joined" ? [...others, presence.name] : others);
  append(`${presence.name} ${presence.type}`, "presence");
}
client.on("joined", presence);
client.on("left", presence);
// Error replies to `send` (say) come here, named by the event that caused them.
client.onError((report) => {
  const form = report.event === "say" ? $("say-form") : null;
  if (form instanceof HTMLFormElement) return showErrors(form, report.errors);
  for (const error of report.errors) {
    const item = document.createElement("li");
    item.textContent = `${error.msg} (${error.type})`;
    $("errors").append(item);
  }
});

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  // Cleared now, not on the reply: a line of the room may come before it.
  $("messages").replaceChildren();
  void join({ name: input("name").value, room: input("room").value });
});

$("say-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  clearErrors(form);
  // No reply: the line comes back as the room's broadcast, an error via onError.
  if (client.send("say", { text: input("text").value })) input("text").value = "";
  else showFailure(form, new Error("not connected: try again once connected"));
});

$("whisper-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  clearErrors(form);
  try {
    const line = await client.request("whisper", {
      to: input("whisper-to").value,
      text: input("whisper-text").value,
    });
    append(`${line.sender} → ${line.to}: ${line.text}`, "whisper", line.at);
    input("whisper-text").value = "";
  } catch (error) {
    showFailure(form, error);
  }
});

$("leave").addEventListener("click", async () => {
  try {
    await client.request("leave");
  } finally {
    membership = group = null;
    showRoom(null);
  }
});
