// One page, three transports over the same topic: ?transport=ws (default), poll or sse.
const transport = document.body.dataset.transport;
const list = document.getElementById("messages");
// The messages rendered with the page: a transport's history repeats them.
const seen = new Set([...list.children].map(item => item.id.slice(1)));
let cursor = list.lastElementChild ? list.lastElementChild.id.slice(1) : null;
function show(message) {
  if (seen.has(message.id)) return;
  seen.add(message.id);
  cursor = message.id;
  const item = document.createElement("li");
  item.id = "m" + message.id;
  item.textContent = message.body;
  list.appendChild(item);
}
function post(body) {
  return fetch("/chat/a/message/new", {method: "POST", body: new URLSearchParams({body})});
}
let send = post;
if (transport === "ws") {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/chat/socket");
  socket.onmessage = event => show(JSON.parse(event.data));
  socket.onopen = () => document.body.dataset.ready = "yes";
  send = body => socket.send(JSON.stringify({body}));
} else if (transport === "sse") {
  const events = new EventSource("/chat/events");
  events.onopen = () => document.body.dataset.ready = "yes";
  events.onmessage = event => show(JSON.parse(event.data));
} else {
  document.body.dataset.ready = "yes";
  (async function poll() {
    for (;;) {
      try {
        const answer = await fetch("/chat/a/message/updates",
          {method: "POST", body: new URLSearchParams(cursor ? {cursor} : {})});
        (await answer.json()).messages.forEach(show);
      } catch (error) {
        await new Promise(resolve => setTimeout(resolve, 1000));
      }
    }
  })();
}
document.getElementById("form").onsubmit = event => {
  event.preventDefault();
  const input = document.getElementById("body");
  if (input.value) send(input.value);
  input.value = "";
};
