// The driver app: login, today's stops, a stop screen, the status bar, and the triggers that
// keep the outbox flowing (Background Sync where the browser has it, and always app start,
// `online`, `visibilitychange` and a timer while visible, for iPhones).

import { sha256Hex } from "./crypto.js";
import { stopActions } from "./actions.js";
import { createApi } from "./api.js";
import { reconnectDelay } from "./backoff.js";
import { LocationTracker } from "./gps.js";
import { formatAge, language, setLanguage, t } from "./i18n.js";
import { SignaturePad, resizePhoto } from "./image.js";
import { MissingReasonError, SKIP_REASONS, skipReasonText } from "./skip.js";
import { queueStatus, scrollTopBelowBar } from "./status.js";
import { measureStorage, openStore, storageStatus, taipeiDay } from "./storage.js";
import { HttpError, SyncManager } from "./sync.js";

const SYNC_TAG = "luckygas-outbox";
const TIMER_MS = 30_000;
const DEFAULT_POLICY = {
  batch_size: 10,
  purge_after_days: 7,
  storage_budget_mb: 50,
  gps_interval_online_seconds: 30,
};
const OUTCOME_STATUS = { complete: "delivered", skip: "skipped", fail: "failed" };

const state = {
  store: null,
  api: null,
  sync: null,
  session: null,
  day: null,
  route: null,
  policy: DEFAULT_POLICY,
  view: "login",
  stopId: null,
  summary: { waiting: 0, oldestCreatedAt: null },
  summaryLoaded: false,
  pending: [],
  problems: [],
  storage: storageStatus(),
  syncing: false,
  notice: null,
  updateReady: false,
  socket: null,
  socketAttempt: 0,
  tracker: null,
  hadController: false,
};

// --- tiny DOM helper -------------------------------------------------------------------------
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Inline icons (no emoji: many Android phones and Debian's Chromium lack an emoji font).
const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  phone:
    "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z",
  camera:
    "M9 3 7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z",
};

function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

const money = (amount) => Number(amount || 0).toLocaleString("zh-TW");
const today = () => taipeiDay(Date.now());

// --- status bar ------------------------------------------------------------------------------
async function refreshSummary() {
  if (!state.store) return;
  state.summary = await state.store.outboxSummary();
  state.pending = await state.store.pendingActions();
  state.summaryLoaded = true;
  state.problems = await state.store.listProblems();
  state.storage = await measureStorage(state.store, state.day, { budgetMb: state.policy.storage_budget_mb || 50 });
  renderStatus();
}

function renderStatus() {
  const bar = document.getElementById("status");
  const online = navigator.onLine;
  const { waiting, oldestCreatedAt } = state.summary;
  const queue = queueStatus({ loaded: state.summaryLoaded, waiting, online });
  const parts = [
    h("span", { class: `badge ${online ? "online" : "offline"}`, id: "connection" }, online ? t("online") : t("offline")),
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
      h("button", { type: "button", class: "small", id: "language", onclick: toggleLanguage, lang: language() === "en" ? "zh-Hant" : "en" }, t("language")),
    ),
  );
}

async function toggleLanguage() {
  const next = language() === "en" ? "zh-Hant" : "en";
  setLanguage(next);
  if (state.store) await state.store.setMeta("language", next);
  render();
}

// --- views -----------------------------------------------------------------------------------
function render() {
  renderStatus();
  const view = document.getElementById("view");
  if (state.view === "login") {
    const notice = state.notice ? h("p", { class: "notice", role: "status" }, state.notice) : null;
    view.replaceChildren(...[notice, loginView()].filter(Boolean));
  }
  else if (state.view === "stop") view.replaceChildren(stopView());
  else view.replaceChildren(listView());
}

function loginView() {
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const form = h(
    "form",
    {
      class: "card login",
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        error.textContent = "";
        try {
          await login(String(data.get("username")), String(data.get("password")));
        } catch (failure) {
          error.textContent =
            failure instanceof HttpError
              ? t("loginFailed", { detail: (failure.body && failure.body.detail) || failure.status })
              : t("loginNeedsNetwork");
        }
      },
    },
    h("h1", {}, t("appName")),
    h("label", {}, t("username"), h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" })),
    h("label", {}, t("password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    error,
    h("button", { type: "submit", class: "primary" }, t("login")),
  );
  return form;
}

function effectiveStatus(stop) {
  const local = [...state.pending].reverse().find((action) => action.stop === stop.id && OUTCOME_STATUS[action.type]);
  return local ? OUTCOME_STATUS[local.type] : stop.local_status || stop.status;
}

function isUnsynced(stop) {
  return state.pending.some((action) => action.stop === stop.id);
}

function visibleStops() {
  if (!state.route || !state.route.stops) return [];
  return state.route.stops.filter((stop) => stop.status !== "cancelled").sort((a, b) => a.sequence - b.sequence);
}

function listView() {
  const children = [];
  if (state.notice) children.push(h("p", { class: "notice", role: "status" }, state.notice));
  if (state.updateReady) children.push(h("p", { class: "notice" }, t("updateReady")));
  if (state.problems.length) {
    children.push(
      h(
        "section",
        { class: "problems", "aria-label": t("problems") },
        h("h2", {}, t("problems")),
        ...state.problems.map((problem) => {
          const stop = state.route && state.route.stops.find((item) => item.id === problem.action.stop);
          const reason = problem.result.reason ? t(`reason_${problem.result.reason}`) : problem.result.message || "";
          const errors = problem.result.errors ? Object.entries(problem.result.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`).join("; ") : "";
          return h(
            "div",
            { class: "problem" },
            h("strong", {}, `${t(`problem_${problem.outcome}`)} · ${t(`actionType_${problem.action.type}`)}`),
            h("span", {}, stop ? stop.customer_name : `#${problem.action.stop}`),
            h("span", { class: "reason" }, [reason, errors].filter(Boolean).join(" — ")),
            h("button", { type: "button", class: "small", onclick: async () => { await state.store.dismissProblem(problem.id); await refreshSummary(); render(); } }, t("dismiss")),
          );
        }),
      ),
    );
  }
  const storage = state.storage;
  if (storage.warning) {
    children.push(h("p", { class: "notice storage-warning", role: "alert", id: "storage-warning" }, t(state.summary.waiting ? "storageWarning" : "storageWarningSynced", { percent: storage.percent })));
  }
  if (!state.route) {
    children.push(h("p", { class: "card" }, state.routeMissing ? t("noRoute") : t("routeNotLoaded")));
  } else {
    const stops = visibleStops();
    const done = stops.filter((stop) => effectiveStatus(stop) !== "pending").length;
    children.push(
      h(
        "div",
        { class: "route-head" },
        h("h1", {}, t("todayRoute", { date: state.day })),
        h("span", {}, t("stops", { done, total: stops.length })),
      ),
    );
    children.push(
      h(
        "ol",
        { class: "stops" },
        ...stops.map((stop) => {
          const status = effectiveStatus(stop);
          return h(
            "li",
            { class: `stop status-${status}`, "data-stop": stop.id },
            h(
              "button",
              { type: "button", class: "stop-open", onclick: () => openStop(stop.id) },
              h("span", { class: "sequence" }, stop.sequence),
              h(
                "span",
                { class: "stop-text" },
                // The status sits beside the name only, so the address keeps the full width at 360 px.
                h(
                  "span",
                  { class: "stop-head" },
                  h("span", { class: "name" }, stop.customer_name),
                  h("span", { class: `chip chip-${status}` }, t(`status_${status}`), isUnsynced(stop) ? h("small", {}, t("notSynced")) : null),
                ),
                h("span", { class: "address" }, stop.address),
                h("span", { class: "items" }, stop.items.map((item) => `${item.product} × ${item.quantity}`).join("、")),
                h("span", { class: "amount" }, stop.amount_to_collect ? t("amountToCollect", { amount: money(stop.amount_to_collect) }) : t("invoiced")),
              ),
            ),
            h("a", { class: "call", href: `tel:${String(stop.phone).replace(/[^0-9+]/g, "")}`, "aria-label": t("callCustomer", { name: stop.customer_name }) }, icon("phone")),
          );
        }),
      ),
    );
  }
  children.push(
    h(
      "p",
      { class: `storage ${storage.warning ? "warning" : ""}`, id: "storage" },
      t("storage", { used: (storage.usedBytes / 1024 / 1024).toFixed(1), budget: storage.budgetBytes / 1024 / 1024 }),
    ),
    h("button", { type: "button", class: "link", onclick: logout }, t("logout")),
  );
  return h("div", { class: "list" }, ...children);
}

function stopView() {
  const stop = state.route && state.route.stops.find((item) => item.id === state.stopId);
  if (!stop) {
    state.view = "list";
    return listView();
  }
  const status = effectiveStatus(stop);
  const isOpen = status === "pending" || status === "skipped";
  const error = h("p", { class: "error", role: "alert" });
  const photoInfo = h("span", { class: "photo-info" });
  const preview = h("img", { class: "preview", alt: "", hidden: true });
  const canvas = h("canvas", { width: 600, height: 240, class: "signature", "aria-label": t("signature") });
  const pad = new SignaturePad(canvas);
  let photo = null;
  const form = h(
    "form",
    { class: "stop-form", onsubmit: (event) => event.preventDefault() },
    h("label", {}, t("cashCollected"), h("input", { name: "cash", type: "number", inputmode: "numeric", min: 0, max: 1000000, step: 1, value: stop.amount_to_collect || 0 })),
    h("label", {}, t("emptiesCollected"), h("input", { name: "empties", type: "number", inputmode: "numeric", min: 0, max: 200, step: 1, value: 0 })),
    h("label", {}, t("note"), h("textarea", { name: "note", rows: 2, maxlength: 200, placeholder: t("notePlaceholder") })),
    h(
      "label",
      { class: "photo-button" },
      icon("camera"),
      ` ${t("photo")}`,
      h("input", {
        name: "photo",
        type: "file",
        accept: "image/*",
        capture: "environment",
        onchange: async (event) => {
          const file = event.target.files[0];
          if (!file) return;
          photo = await resizePhoto(file);
          photoInfo.textContent = t("photoTaken", { width: photo.width, height: photo.height });
          preview.src = URL.createObjectURL(photo.blob);
          preview.hidden = false;
        },
      }),
    ),
    photoInfo,
    preview,
    h("div", { class: "signature-head" }, h("span", {}, t("signature")), h("button", { type: "button", class: "small", onclick: () => pad.clear() }, t("clearSignature"))),
    canvas,
    isOpen
      ? h(
          "fieldset",
          { class: "skip-reasons" },
          h("legend", {}, t("skipReason")),
          ...SKIP_REASONS.map((reason) => h("label", {}, h("input", { type: "radio", name: "skip_reason", value: reason }), ` ${t(`skipReason_${reason}`)}`)),
        )
      : null,
    error,
    h(
      "div",
      { class: "outcomes" },
      ...["complete", "skip", "fail"].map((type) =>
        h(
          "button",
          {
            type: "button",
            class: `outcome ${type}`,
            disabled: !isOpen,
            onclick: async (event) => {
              event.currentTarget.disabled = true;
              try {
                await recordOutcome(stop, type, form, photo, pad);
              } catch (failure) {
                error.textContent = failure.message;
                event.currentTarget.disabled = false;
              }
            },
          },
          t(type),
        ),
      ),
    ),
  );
  return h(
    "div",
    { class: "stop-screen" },
    h("button", { type: "button", class: "back", onclick: () => showList({ scrollTo: stop.id }) }, `‹ ${t("back")}`),
    h(
      "section",
      { class: "card stop-card" },
      h("div", { class: "stop-title" }, h("span", { class: "sequence" }, stop.sequence), h("h1", {}, stop.customer_name), h("span", { class: `chip chip-${status}` }, t(`status_${status}`))),
      h("p", { class: "address" }, stop.address),
      h("a", { class: "call wide", href: `tel:${String(stop.phone).replace(/[^0-9+]/g, "")}` }, icon("phone"), ` ${t("call")} ${stop.phone}`),
      h("p", { class: "items" }, `${t("items")}：`, stop.items.map((item) => `${item.product} × ${item.quantity}`).join("、")),
      h("p", { class: "amount" }, stop.amount_to_collect ? t("amountToCollect", { amount: money(stop.amount_to_collect) }) : t("invoiced")),
      stop.driver_notes ? h("p", { class: "driver-notes" }, `${t("driverNotes")}：${stop.driver_notes}`) : null,
    ),
    form,
  );
}

function openStop(stopId) {
  state.stopId = stopId;
  state.view = "stop";
  state.notice = null;
  render();
  window.scrollTo(0, 0);
}

// Back on the list, the driver sees the stop they came from, or after recording an outcome the
// next one still to do, not the top of a list that starts with the stops already done.
function showList({ scrollTo = null } = {}) {
  if (state.updateReady) {
    window.location.reload();
    return;
  }
  state.view = "list";
  render();
  const target = scrollTo === "next" ? visibleStops().find((stop) => effectiveStatus(stop) === "pending") : null;
  const stopId = target ? target.id : scrollTo === "next" ? null : scrollTo;
  const item = stopId ? document.querySelector(`li.stop[data-stop="${stopId}"]`) : null;
  if (!item) return;
  // The status bar is sticky: the card must sit wholly below it, not half under it.
  const barHeight = document.getElementById("status").getBoundingClientRect().height;
  window.scrollTo({ top: scrollTopBelowBar({ itemTop: item.getBoundingClientRect().top, scrollY: window.scrollY, barHeight }), behavior: "instant" });
}

// --- recording what the driver did ----------------------------------------------------------
function wholeNumber(form, name, label, max) {
  const raw = String(new FormData(form).get(name) || "0").trim();
  const value = Number(raw || 0);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${label}: 0 – ${max}`);
  return value;
}

async function recordOutcome(stop, type, form, photo, pad) {
  const note = String(new FormData(form).get("note") || "").trim().slice(0, 200);
  const isComplete = type === "complete";
  let reason = note;
  if (type === "skip") {
    try {
      reason = skipReasonText(String(new FormData(form).get("skip_reason") || ""), note);
    } catch (failure) {
      if (failure instanceof MissingReasonError) throw new Error(t("skipReasonMissing"));
      throw failure;
    }
  }
  const actions = stopActions({
    stop,
    type,
    cash: isComplete ? wholeNumber(form, "cash", t("cashCollected"), 1000000) : 0,
    empties: isComplete ? wholeNumber(form, "empties", t("emptiesCollected"), 200) : 0,
    note,
    reason,
    occurredAt: new Date().toISOString(),
  });
  const day = state.day;
  const base = { stop: stop.id, base_version: stop.version, occurred_at: actions[0].occurred_at };
  const media = [];
  const captured = [];
  if (photo) captured.push({ kind: "photo", ...photo });
  if (!pad.isEmpty) captured.push({ kind: "signature", blob: await pad.toBlob(), width: pad.canvas.width, height: pad.canvas.height });
  for (const item of captured) {
    const mediaId = crypto.randomUUID();
    const actionId = crypto.randomUUID();
    const sha256 = await sha256Hex(await item.blob.arrayBuffer());
    // The server binds the bytes to this action, so a photo never lands on another stop.
    actions.push({ id: actionId, type: "attach_media", ...base, payload: { media_id: mediaId, kind: item.kind, sha256 } });
    media.push({ id: mediaId, stop: stop.id, actionId, kind: item.kind, blob: item.blob, sha256, width: item.width, height: item.height });
  }
  // One transaction: the stop's actions and its photos are queued together or not at all.
  await state.store.enqueueActions(day, actions, { media });
  stop.local_status = OUTCOME_STATUS[type];
  await state.store.saveRoute(day, state.route);
  state.notice = `${stop.customer_name}：${t(`status_${OUTCOME_STATUS[type]}`)}。${navigator.onLine ? "" : t("saved")}`;
  await refreshSummary();
  showList({ scrollTo: "next" });
  requestBackgroundSync();
  runSync("action");
}

// --- session --------------------------------------------------------------------------------
// What the dispatcher sees in admin › Driver devices: "Android · Chrome", not a user-agent string.
function deviceName(userAgent) {
  const platforms = [[/iPhone/, "iPhone"], [/iPad/, "iPad"], [/Android/, "Android"], [/Windows/, "Windows"], [/Mac OS X/, "Mac"], [/Linux/, "Linux"]];
  const browsers = [[/EdgA?\//, "Edge"], [/SamsungBrowser\//, "Samsung Internet"], [/CriOS|Chrome\//, "Chrome"], [/FxiOS|Firefox\//, "Firefox"], [/Safari\//, "Safari"]];
  const platform = (platforms.find(([pattern]) => pattern.test(userAgent)) || [null, ""])[1];
  const browser = (browsers.find(([pattern]) => pattern.test(userAgent)) || [null, ""])[1];
  return [platform, browser].filter(Boolean).join(" · ").slice(0, 80);
}

async function login(username, password) {
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

async function logout() {
  if (state.summary.waiting && !window.confirm(t("logoutConfirm", { count: state.summary.waiting }))) return;
  stopLiveUpdates();
  stopTracker();
  await state.store.purgeAll();
  state.session = null;
  state.route = null;
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
    const previous = await state.store.loadRoute(day);
    const localStatus = new Map((previous ? previous.stops : []).filter((stop) => stop.local_status).map((stop) => [stop.id, stop.local_status]));
    for (const stop of answer.route.stops) {
      // Keep what the driver did until the server reports it.
      if (localStatus.has(stop.id) && stop.status === "pending") stop.local_status = localStatus.get(stop.id);
    }
    await state.store.saveRoute(day, answer.route);
    state.route = answer.route;
    state.routeMissing = false;
  } else {
    state.route = null;
    state.routeMissing = true;
  }
  state.day = day;
}

async function pullChanges() {
  let cursor = (await state.store.getMeta("cursor")) || 0;
  let changed = [];
  for (;;) {
    const answer = await state.api.changes(cursor);
    changed = changed.concat(answer.changes);
    cursor = answer.cursor;
    if (!answer.has_more) break;
  }
  if (!changed.length) return;
  const names = [];
  if (state.route) {
    for (const change of changed) {
      if (change.kind === "stop_cancelled" || change.kind === "stop_removed") {
        const stop = state.route.stops.find((item) => item.id === change.stop);
        if (stop) names.push(stop.customer_name);
        state.route.stops = state.route.stops.filter((item) => item.id !== change.stop);
      }
    }
  }
  await bootstrap();
  await state.store.setMeta("cursor", cursor);
  if (names.length) state.notice = t("stopRemoved", { name: names.join("、") });
  if (state.view === "list") render();
}

// --- sync triggers --------------------------------------------------------------------------
async function runSync(reason) {
  if (!state.session || !navigator.onLine) return;
  state.syncing = true;
  renderStatus();
  try {
    const outcome = await state.sync.sync({ reason });
    if (outcome.status === "unauthorized") {
      state.notice = t("revoked");
      state.session = null;
      stopTracker();
      state.view = "login";
      render();
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

async function requestBackgroundSync() {
  if (!("serviceWorker" in navigator) || !("SyncManager" in window)) return;
  try {
    const registration = await navigator.serviceWorker.ready;
    await registration.sync.register(SYNC_TAG);
  } catch {
    // Background Sync refused (permissions): the other triggers still run.
  }
}

function startLiveUpdates() {
  if (state.socket || !navigator.onLine || !state.session) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/driver/`);
  state.socket = socket;
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: state.session.token })));
  socket.addEventListener("message", (event) => {
    let message = null;
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

function stopLiveUpdates() {
  if (state.socket) state.socket.close();
  state.socket = null;
}

async function subscribeWebPush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) return;
  try {
    const key = await state.api.webPushKey();
    if (!key.enabled || !key.public_key) return;
    if ((await Notification.requestPermission()) !== "granted") return;
    const registration = await navigator.serviceWorker.ready;
    const padded = key.public_key.replace(/-/g, "+").replace(/_/g, "/");
    const raw = Uint8Array.from(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const subscription =
      (await registration.pushManager.getSubscription()) ||
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw }));
    await state.api.pushSubscription(subscription.toJSON());
    // Pushes from now on are about changes after this point of the feed.
    if ((await state.store.getMeta("push_cursor")) === null) {
      await state.store.setMeta("push_cursor", await state.store.getMeta("cursor"));
    }
  } catch (error) {
    console.info("web push unavailable", error);
  }
}

async function startSession() {
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
        state.notice = t("revoked");
        state.session = null;
        stopTracker();
        state.view = "login";
        render();
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
  const next = visibleStops().find((stop) => effectiveStatus(stop) === "pending");
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

function stopTracker() {
  if (state.tracker) state.tracker.stop();
  state.tracker = null;
}

// --- service worker -------------------------------------------------------------------------
async function registerServiceWorker() {
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

// --- start ----------------------------------------------------------------------------------
async function main() {
  state.store = await openStore();
  setLanguage((await state.store.getMeta("language")) || "zh-Hant");
  state.policy = { ...DEFAULT_POLICY, ...((await state.store.getMeta("policy")) || {}) };
  const purge = await state.store.purgeExpired({ days: state.policy.purge_after_days || 7 });
  if (purge.purged.length || purge.sessionPurged) state.notice = t("purged", { days: state.policy.purge_after_days || 7 });
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
    state.view = "login";
    render();
  }
  document.body.dataset.ready = "true";
}

main();
