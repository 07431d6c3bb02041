// What keeps the outbox flowing and the route fresh: running a sync, Background Sync, the
// live-updates websocket (reconnecting with backoff and jitter), Web Push and the service worker.

import { reconnectDelay } from "./backoff.js";
import { base64UrlBytes } from "./device.js";
import { render } from "./screen.js";
import { endRevokedSession, pullChanges } from "./session.js";
import { state } from "./state.js";
import { refreshSummary, renderStatus } from "./status-bar.js";

const SYNC_TAG = "luckygas-outbox";

export async function runSync(reason) {
  if (!state.session || !navigator.onLine) return;
  state.syncing = true;
  renderStatus();
  try {
    const outcome = await state.sync.sync({ reason });
    if (outcome.status === "unauthorized") {
      endRevokedSession();
      return;
    }
  } catch (error) {
    console.warn("sync failed", error);
  } finally {
    state.syncing = false;
    await refreshSummary();
    if (state.view === "list") render();
  }
}

export async function requestBackgroundSync() {
  if (!("serviceWorker" in navigator) || !("SyncManager" in window)) return;
  try {
    const registration = await navigator.serviceWorker.ready;
    await registration.sync.register(SYNC_TAG);
  } catch {
    // Background Sync refused (permissions): the other triggers still run.
  }
}

export function startLiveUpdates() {
  if (state.socket || !navigator.onLine || !state.session) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/driver/`);
  state.socket = socket;
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: state.session.token })));
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message && message.type === "ready") {
      document.body.dataset.live = "true";
      state.socketAttempt = 0;
    }
    if (message && message.type === "changes") pullChanges().catch((error) => console.warn("changes failed", error));
  });
  socket.addEventListener("close", (event) => {
    document.body.dataset.live = "false";
    if (state.socket === socket) state.socket = null;
    if (event.code === 4401) return;
    const delay = reconnectDelay(state.socketAttempt);
    state.socketAttempt += 1;
    setTimeout(() => document.visibilityState === "visible" && startLiveUpdates(), delay);
  });
}

export function stopLiveUpdates() {
  if (state.socket) state.socket.close();
  state.socket = null;
}

export async function subscribeWebPush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) return;
  try {
    const key = await state.api.webPushKey();
    if (!key.enabled || !key.public_key) return;
    if ((await Notification.requestPermission()) !== "granted") return;
    const registration = await navigator.serviceWorker.ready;
    const subscription =
      (await registration.pushManager.getSubscription()) ||
      (await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlBytes(key.public_key),
      }));
    await state.api.pushSubscription(subscription.toJSON());
    // Pushes from now on are about changes after this point of the feed.
    if ((await state.store.getMeta("push_cursor")) === null) {
      await state.store.setMeta("push_cursor", await state.store.getMeta("cursor"));
    }
  } catch (error) {
    console.info("web push unavailable", error);
  }
}

export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  state.hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!state.hadController) {
      state.hadController = true;
      return;
    }
    // A new version took over. Everything is in IndexedDB, so reloading loses nothing; only
    // wait until the driver is not in the middle of a stop form.
    if (state.view === "stop") {
      state.updateReady = true;
    } else {
      window.location.reload();
    }
  });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "synced") refreshSummary().then(() => state.view === "list" && render());
    if (event.data && event.data.type === "changes" && state.session && navigator.onLine) {
      pullChanges().catch((error) => console.warn("changes failed", error));
    }
  });
  try {
    const registration = await navigator.serviceWorker.register(document.body.dataset.serviceWorker, {
      scope: document.body.dataset.scope,
      type: "module",
      updateViaCache: "none",
    });
    setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
  } catch (error) {
    console.warn("service worker registration failed", error);
  }
}
