// The sticky status bar: online or not, what waits in the outbox, "sync now" and the language.

import { h } from "./dom.js";
import { formatAge, language, setLanguage, t } from "./i18n.js";
import { runSync } from "./live.js";
import { render } from "./screen.js";
import { state } from "./state.js";
import { queueStatus } from "./status.js";
import { measureStorage } from "./storage.js";

export async function refreshSummary() {
  if (!state.store) return;
  state.summary = await state.store.outboxSummary();
  state.pending = await state.store.pendingActions();
  state.summaryLoaded = true;
  // "Saved; it syncs when online" stops being true once everything is sent.
  if (!state.summary.waiting && state.savedNotice) {
    if (state.notice === state.savedNotice.text) state.notice = state.savedNotice.synced;
    state.savedNotice = null;
  }
  state.problems = await state.store.listProblems();
  state.storage = await measureStorage(state.store, state.day, { budgetMb: state.policy.storage_budget_mb || 50 });
  renderStatus();
}

export function renderStatus() {
  const bar = document.getElementById("status");
  const online = navigator.onLine;
  const { waiting, oldestCreatedAt } = state.summary;
  const queue = queueStatus({ loaded: state.summaryLoaded, waiting, online });
  const parts = [
    h(
      "span",
      { class: `badge ${online ? "online" : "offline"}`, id: "connection" },
      online ? t("online") : t("offline"),
    ),
    h(
      "span",
      { id: "queue", class: queue.className },
      t(queue.key, queue.values),
      waiting && oldestCreatedAt ? ` · ${t("oldest", { age: formatAge(Date.now() - oldestCreatedAt) })}` : "",
    ),
  ];
  bar.replaceChildren(
    h("div", { class: "status-line" }, ...parts),
    h(
      "div",
      { class: "status-actions" },
      state.session && online
        ? h(
            "button",
            { type: "button", class: "small", onclick: () => runSync("manual"), disabled: state.syncing },
            state.syncing ? t("syncing") : t("syncNow"),
          )
        : null,
      h(
        "button",
        {
          type: "button",
          class: "small",
          id: "language",
          onclick: toggleLanguage,
          lang: language() === "en" ? "zh-Hant" : "en",
        },
        t("language"),
      ),
    ),
  );
}

async function toggleLanguage() {
  const next = language() === "en" ? "zh-Hant" : "en";
  setLanguage(next);
  if (state.store) await state.store.setMeta("language", next);
  render();
}
