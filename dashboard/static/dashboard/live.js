// Data: the full snapshot over HTTP, then live pushes over the websocket. Each push carries
// metric, seq and as_of; a gap in seq or a reconnect re-fetches the snapshot. The socket
// reconnects with the driver app's backoff and jitter (one module served to both apps).

import { reconnectDelay } from "../offline_sync/js/backoff.js";
import { config, state } from "./context.js";
import { pushAction } from "./format.js";
import { applyEntry, refreshAges, setBadge } from "./panels.js";

export function query(extra = {}) {
  const params = new URLSearchParams(extra);
  if (state.range) {
    params.set("start", state.range.start);
    params.set("end", state.range.end);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function fetchJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${response.status} ${url}`);
  return response.json();
}

let resyncing = null;
export function resync() {
  if (!resyncing) {
    resyncing = fetchJSON(config.snapshotUrl + query())
      .then((snapshot) => {
        state.snapshotCount += 1;
        for (const entry of Object.values(snapshot.metrics)) {
          state.seqs[entry.metric] = entry.seq;
          applyEntry(entry);
        }
      })
      .catch((error) => console.warn("dashboard snapshot failed", error))
      .finally(() => {
        resyncing = null;
      });
  }
  return resyncing;
}

async function refetchMetric(name) {
  const entry = await fetchJSON(config.metricUrl.replace("METRIC", name) + query());
  applyEntry(entry);
}

function onMessage(event) {
  state.lastContact = Date.now();
  const message = JSON.parse(event.data);
  if (message.type !== "metric") return;
  const action = pushAction(state.seqs[message.metric], message.seq);
  if (action === "skip") return; // already have it
  if (action === "resync") {
    resync(); // missed pushes
    return;
  }
  state.seqs[message.metric] = message.seq;
  if (state.range) refetchMetric(message.metric).catch(() => {});
  else applyEntry(message);
}

function scheduleReconnect(minimumMs = 0) {
  clearTimeout(state.reconnectTimer);
  const delay = Math.max(minimumMs, reconnectDelay(state.attempt));
  state.attempt += 1;
  state.reconnectTimer = setTimeout(connect, delay);
}

export function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${config.socketPath}`);
  state.socket = socket;
  socket.onopen = () => {
    state.connected = true;
    state.attempt = 0;
    state.lastContact = Date.now();
    setBadge("connected");
    resync(); // whatever was pushed while we were away
  };
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    state.connected = false;
    if (event.code === 4401) {
      location.reload(); // session expired: the page sends to login
      return;
    }
    if (event.code === 4403) {
      setBadge("denied");
      return;
    }
    setBadge("reconnecting");
    scheduleReconnect(socket.holdOffMs || 0);
  };
}

// A half-open socket (phone slept, proxy dropped it) is noticed by the missing pong.
export function keepAlive() {
  setInterval(() => {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - state.lastContact > 45000) {
      socket.close();
      return;
    }
    socket.send(JSON.stringify({ type: "ping" }));
  }, 20000);
  setInterval(refreshAges, 1000);
}

// For tests and operators: drop the socket as a network outage would, for at least `ms`.
export function dropSocket(ms = 0) {
  if (state.socket) {
    state.socket.holdOffMs = ms;
    state.socket.close();
  }
}
