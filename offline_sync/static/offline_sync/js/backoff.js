// How long to wait before reconnecting a websocket: exponential (1 s, 2 s, 4 s … up to 30 s) with
// "equal jitter" (half fixed, half random), so a hundred phones coming back after a server
// restart do not all reconnect in the same second.
export function reconnectDelay(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
