// The chat page: one WebSocket to /ws, JSON messages as described in examples/chat.py.
"use strict";

const $ = (id) => document.getElementById(id);
const socket = new WebSocket(`ws://${location.host}/ws`);

function send(message) {
  $("errors").replaceChildren();
  socket.send(JSON.stringify(message));
}

function append(list, text, className) {
  const item = document.createElement("li");
  item.textContent = text;
  if (className) item.className = className;
  list.append(item);
}

function showRoom(joined) {
  $("chat").hidden = !joined;
  $("join-form").hidden = Boolean(joined);
  if (!joined) return;
  $("room-name").textContent = joined.room;
  $("me").textContent = joined.name;
  $("members").textContent = joined.members.join(", ");
}

function updateMembers(presence) {
  const members = $("members").textContent.split(", ").filter(Boolean);
  const others = members.filter((name) => name !== presence.name);
  $("members").textContent = (presence.type === "joined" ? [...others, presence.name] : others).join(", ");
}

const handlers = {
  join: showRoom,
  leave: () => showRoom(null),
  // A room's lines come to everyone in it, their sender too; a whisper's sender gets
  // it as the reply.
  message: (line) => {
    const to = line.to === null ? "" : ` → ${line.to}`;
    append($("messages"), `${line.sender}${to}: ${line.text}`, line.to === null ? "" : "whisper");
  },
  joined: (presence) => {
    updateMembers(presence);
    append($("messages"), `${presence.name} joined`, "presence");
  },
  left: (presence) => {
    updateMembers(presence);
    append($("messages"), `${presence.name} left`, "presence");
  },
};

socket.addEventListener("open", () => {
  $("status").textContent = "connected";
  $("join").disabled = false;
});
socket.addEventListener("close", (event) => {
  $("status").textContent = `disconnected (${event.code})`;
  for (const button of document.querySelectorAll("button")) button.disabled = true;
});
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.errors) {
    for (const error of message.errors) {
      const where = error.loc.length ? `${error.loc.join(".")}: ` : "";
      append($("errors"), `${where}${error.msg} (${error.type})`);
    }
    return;
  }
  const handler = handlers[message.type];
  if (handler) handler(message);
});

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  // Cleared now, not on the reply: a line of the room may come before it (the reply
  // waits until the server subscribed to the room; the room's lines don't).
  $("messages").replaceChildren();
  send({ type: "join", name: $("name").value, room: $("room").value });
});
$("say-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send({ type: "say", text: $("text").value });
  $("text").value = "";
});
$("whisper-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send({ type: "whisper", to: $("whisper-to").value, text: $("whisper-text").value });
  $("whisper-text").value = "";
});
$("leave").addEventListener("click", () => send({ type: "leave" }));
