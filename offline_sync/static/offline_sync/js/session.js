// The driver's session: logging in and out, loading today's route, pulling the office's changes,
// and the GPS tracker that runs while a session is open.

import { deviceName } from "./device.js";
import { LocationTracker } from "./gps.js";
import { t } from "./i18n.js";
import { runSync, startLiveUpdates, stopLiveUpdates, subscribeWebPush } from "./live.js";
import { render } from "./screen.js";
import { DEFAULT_POLICY, state, today } from "./state.js";
import { refreshSummary } from "./status-bar.js";
import { taipeiDay } from "./storage.js";
import { dropRemovedStops, keepLocalStatus, nextPendingStop } from "./stops.js";
import { HttpError } from "./sync.js";

export async function login(username, password) {
  const deviceId = await state.store.deviceId();
  const answer = await state.api.login({ username, password, deviceId, name: deviceName(navigator.userAgent) });
  await state.store.saveSession({ deviceId: answer.device_id, token: answer.token, driver: answer.driver, username });
  await state.store.setNextSeqAtLeast(answer.next_seq);
  state.session = await state.store.loadSession();
  if (navigator.storage && navigator.storage.persist) {
    try {
      await navigator.storage.persist();
    } catch {
      // The browser decides; storage stays best-effort.
    }
  }
  await startSession();
}

export async function logout() {
  if (state.summary.waiting && !window.confirm(t("logoutConfirm", { count: state.summary.waiting }))) return;
  stopLiveUpdates();
  stopTracker();
  await state.store.purgeAll();
  state.session = null;
  state.route = null;
  state.view = "login";
  render();
}

// The server refused the device's token (the office revoked it): back to the login screen.
export function endRevokedSession() {
  state.notice = t("revoked");
  state.session = null;
  stopTracker();
  state.view = "login";
  render();
}

async function bootstrap() {
  const day = today();
  const answer = await state.api.route(day);
  state.policy = { ...DEFAULT_POLICY, ...answer.policy };
  await state.store.setMeta("policy", state.policy);
  await state.store.setNextSeqAtLeast(answer.next_seq);
  if ((await state.store.getMeta("cursor")) === null) await state.store.setMeta("cursor", answer.cursor);
  if (answer.route) {
    // Keep what the driver did until the server reports it.
    keepLocalStatus(answer.route, await state.store.loadRoute(day));
    await state.store.saveRoute(day, answer.route);
    state.route = answer.route;
    state.routeMissing = false;
  } else {
    state.route = null;
    state.routeMissing = true;
  }
  state.day = day;
}

export async function pullChanges() {
  let cursor = (await state.store.getMeta("cursor")) || 0;
  let changed = [];
  for (;;) {
    const answer = await state.api.changes(cursor);
    changed = changed.concat(answer.changes);
    cursor = answer.cursor;
    if (!answer.has_more) break;
  }
  if (!changed.length) return;
  const names = dropRemovedStops(state.route, changed);
  await bootstrap();
  await state.store.setMeta("cursor", cursor);
  if (names.length) state.notice = t("stopRemoved", { name: names.join("、") });
  if (state.view === "list") render();
}

export async function startSession() {
  state.view = "list";
  state.day = today();
  state.route = await state.store.loadRoute(state.day);
  await state.store.touch();
  await refreshSummary();
  render();
  if (navigator.onLine) {
    try {
      await runSync("start");
      await bootstrap();
      await refreshSummary();
      render();
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        endRevokedSession();
        return;
      }
      console.warn("bootstrap failed", error);
    }
    startLiveUpdates();
    subscribeWebPush();
  }
  startTracker();
}

// The stop a GPS point belongs to: the one whose screen is open, else the next one to do.
function currentStop() {
  if (state.view === "stop" && state.stopId) return state.stopId;
  const next = nextPendingStop(state.route, state.pending);
  return next ? next.id : null;
}

function startTracker() {
  if (state.tracker) return;
  state.tracker = new LocationTracker({
    store: state.store,
    dayOf: (at) => taipeiDay(at),
    currentStop,
    onlineIntervalSeconds: () => state.policy.gps_interval_online_seconds,
  });
  if (document.visibilityState === "visible") state.tracker.start();
}

export function stopTracker() {
  if (state.tracker) state.tracker.stop();
  state.tracker = null;
}
