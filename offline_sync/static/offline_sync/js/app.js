// The driver app's entry point: open the phone's store, restore the session, and wire the
// triggers that keep the outbox flowing (Background Sync where the browser has it, and always app
// start, `online`, `visibilitychange` and a timer while visible, for iPhones).
// The screens live in screen.js, list-view.js and stop-view.js; recording an outcome in
// outcome.js; the session in session.js; syncing and live updates in live.js.

import { createApi } from "./api.js";
import { language, setLanguage, t } from "./i18n.js";
import { registerServiceWorker, runSync, startLiveUpdates, stopLiveUpdates } from "./live.js";
import { render } from "./screen.js";
import { pullChanges, startSession } from "./session.js";
import { DEFAULT_POLICY, state } from "./state.js";
import { refreshSummary, renderStatus } from "./status-bar.js";
import { openStore } from "./storage.js";
import { SyncManager } from "./sync.js";

const TIMER_MS = 30_000;

async function main() {
  state.store = await openStore();
  setLanguage((await state.store.getMeta("language")) || "zh-Hant");
  state.policy = { ...DEFAULT_POLICY, ...((await state.store.getMeta("policy")) || {}) };
  const purge = await state.store.purgeExpired({ days: state.policy.purge_after_days || 7 });
  if (purge.purged.length || purge.sessionPurged) {
    state.notice = t("purged", { days: state.policy.purge_after_days || 7 });
  }
  state.api = createApi({ getToken: async () => state.session && state.session.token, getLanguage: language });
  state.sync = new SyncManager({ store: state.store, api: state.api, onChanges: () => pullChanges() });
  state.session = await state.store.loadSession();
  registerServiceWorker();
  window.addEventListener("online", () => {
    render();
    runSync("online");
    startLiveUpdates();
  });
  window.addEventListener("offline", () => {
    stopLiveUpdates();
    renderStatus();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      runSync("visible");
      state.tracker && state.tracker.start();
    } else if (state.tracker) {
      state.tracker.stop();
    }
  });
  setInterval(() => {
    if (document.visibilityState === "visible") runSync("timer");
    renderStatus();
  }, TIMER_MS);
  if (state.session) await startSession();
  else {
    // Read the queue before the login screen shows, or its status bar says "讀取中…" forever.
    await refreshSummary();
    state.view = "login";
    render();
  }
  document.body.dataset.ready = "true";
}

main();
