// The dispatcher's planning page: choose a day and depot, plan it (a Celery task, polled), drag stops between
// routes (each move checked at once by the server), drag stops back to the unplanned orders and unplanned
// orders onto a route, lock stops, re-optimize the rest, publish.
// Leaflet is loaded as a classic script before this module (window.L).

const L = window.L;
const config = JSON.parse(document.getElementById("planning-config").textContent);
const t = JSON.parse(document.getElementById("planning-i18n").textContent);
const format = (text, ...values) => values.reduce((out, value) => out.replace("%s", value), text).replace("%%", "%");

const COLOURS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#17becf",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
];
const RUNNING = new Set(["queued", "running"]);

const state = {
  day: null,
  plan: null,
  planId: config.plan,
  pollTimer: null,
  busy: false,
  dragged: null,
  draggedIsPlanned: false,
  fitted: "",
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, text) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
};

// --- server ------------------------------------------------------------------------------------
async function api(url, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(t.networkError);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const fields = data.errors
      ? Object.entries(data.errors).map(([field, messages]) => `${field}: ${messages.join(" ")}`)
      : [];
    throw new Error(fields.length ? fields.join("; ") : data.detail || `HTTP ${response.status}`);
  }
  return data;
}
const planUrl = (id, action = "") => config.planUrl.replace("PLAN", String(id)) + (action ? `${action}/` : "");

function say(text, { ok = false } = {}) {
  const message = $("plan-message");
  message.textContent = text || "";
  message.classList.toggle("ok", ok);
}
const fail = (error) => say(format(t.error, error.message));

// --- map ---------------------------------------------------------------------------------------
const map = L.map("map", { zoomControl: true }).setView([25.0478, 121.517], 12);
L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
const layer = L.layerGroup().addTo(map);

function numberIcon(number, colour) {
  return L.divIcon({
    className: "",
    html: `<div class="marker-number" style="background:${colour};width:22px;height:22px">${number}</div>`,
    iconSize: [22, 22],
    iconAnchor: [11, 11],
  });
}

function drawMap() {
  layer.clearLayers();
  const depot = state.day?.depot;
  if (!depot) return;
  const home = [depot.latitude, depot.longitude];
  const bounds = [home];
  L.marker(home, {
    title: depot.name,
    icon: L.divIcon({
      className: "",
      html: '<div class="depot-marker">倉</div>',
      iconSize: [26, 26],
      iconAnchor: [13, 13],
    }),
  })
    .addTo(layer)
    .bindTooltip(depot.name);
  const routes = state.plan?.routes || [];
  routes.forEach((route, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const line = [home];
    route.stops.forEach((stop, position) => {
      if (stop.latitude == null) return;
      const point = [stop.latitude, stop.longitude];
      line.push(point);
      bounds.push(point);
      L.marker(point, { icon: numberIcon(position + 1, colour), title: stop.customer })
        .addTo(layer)
        .bindTooltip(`${route.shift.driver} #${position + 1} ${stop.customer} ${stop.arrival || ""}`);
    });
    if (line.length > 1) L.polyline([...line, home], { color: colour, weight: 3, opacity: 0.8 }).addTo(layer);
  });
  const unplanned = state.plan ? state.plan.unplanned : state.day?.orders || [];
  for (const order of unplanned) {
    if (order.latitude == null) continue;
    bounds.push([order.latitude, order.longitude]);
    L.circleMarker([order.latitude, order.longitude], { radius: 6, color: "#444", fillColor: "#fff", fillOpacity: 1 })
      .addTo(layer)
      .bindTooltip(`${order.customer}${order.reason_label ? ` · ${order.reason_label}` : ""}`);
  }
  // Fit the view once per day and plan shown, not on every poll or edit (the dispatcher may have zoomed in).
  const view = `${state.day.date}:${depot.id}:${state.planId}:${state.plan?.status}`;
  if (view === state.fitted) return;
  state.fitted = view;
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24] });
  else map.setView(home, 13);
}

// --- lists -------------------------------------------------------------------------------------
function orderLine(order) {
  const meta = [format(t.kg, order.kg ?? "–"), format(t.cylinders, order.cylinders ?? "–")];
  if (order.empties) meta.push(format(t.empties, order.empties));
  if (order.slot_label) meta.push(order.slot_label);
  return meta.join(" · ");
}

function stopItem(stop, position) {
  const editable = state.plan?.status === "draft" && !state.busy;
  const item = el("li", {
    class: `stop${stop.is_locked ? " is-locked" : ""}`,
    "data-order": stop.id,
    "data-testid": `stop-${stop.id}`,
    draggable: String(editable && !stop.is_locked),
  });
  item.append(el("span", { class: "number" }, String(position + 1)));
  const who = el("span", { class: "who" });
  if (stop.is_urgent) who.append(el("span", { class: "urgent" }, t.urgent));
  who.append(`${stop.customer ?? stop.id} · ${stop.address ?? ""}`);
  item.append(who);
  const lock = el(
    "button",
    {
      type: "button",
      class: "lock",
      "aria-pressed": String(Boolean(stop.is_locked)),
      "data-testid": `lock-${stop.id}`,
    },
    stop.is_locked ? t.unlock : t.lock,
  );
  lock.disabled = !editable;
  lock.addEventListener("click", () => toggleLock(stop));
  item.append(lock);
  const meta = [orderLine(stop)];
  if (stop.arrival) meta.push(format(t.arrival, stop.arrival), format(t.window, stop.window_start, stop.window_end));
  if (stop.is_locked) meta.push(t.locked);
  item.append(el("span", { class: "meta" }, meta.join(" · ")));
  for (const violation of stop.violations || []) {
    item.append(el("span", { class: "violation", "data-code": violation.code }, `⚠ ${violation.message}`));
  }
  wireDrag(item, stop.id, { isPlanned: true });
  return item;
}

function routeCard(route, index) {
  const colour = COLOURS[index % COLOURS.length];
  const card = el("article", {
    class: "route",
    "data-shift": route.shift.id,
    "data-testid": `route-${route.shift.id}`,
  });
  card.style.setProperty("--route-colour", colour);
  card.append(
    el("h3", {}, `${route.shift.driver} · ${route.shift.vehicle} (${route.shift.starts_at}–${route.shift.ends_at})`),
  );
  const totals = el("div", { class: "totals", "data-testid": `totals-${route.shift.id}` });
  const sum = route.totals;
  totals.append(
    el("span", {}, format(t.stops, sum.stops)),
    el("span", {}, `${format(t.kg, sum.kg)} / ${route.shift.capacity_kg}`),
    el("span", {}, `${format(t.cylinders, sum.cylinders)} / ${route.shift.capacity_slots}`),
    el("span", {}, format(t.empties, sum.empties)),
    el("span", {}, format(t.km, sum.distance_km)),
    el("span", {}, sum.start ? `${sum.start}–${sum.end}` : "–"),
    el("span", { class: sum.late_stops ? "bad" : "" }, format(t.late, sum.late_stops)),
  );
  card.append(totals);
  for (const violation of route.violations) {
    card.append(el("div", { class: "route-violations", "data-code": violation.code }, `⚠ ${violation.message}`));
  }
  const list = el("ol", { class: "stops", "data-shift": route.shift.id });
  route.stops.forEach((stop, position) => list.append(stopItem(stop, position)));
  if (!route.stops.length) list.append(el("li", { class: "empty" }, t.dropHere));
  wireDrop(list, route.shift.id);
  card.append(list);
  return card;
}

function drawLists() {
  const routes = $("routes");
  routes.replaceChildren();
  const unplannedList = $("unplanned-list");
  unplannedList.replaceChildren();
  if (!state.day) return;
  if (!state.day.shifts.length) routes.append(el("p", { class: "empty" }, t.noShifts));
  if (state.plan && (state.plan.status === "draft" || state.plan.status === "published")) {
    state.plan.routes.forEach((route, index) => routes.append(routeCard(route, index)));
  }
  const hasResult = state.plan && (state.plan.status === "draft" || state.plan.status === "published");
  const unplanned = hasResult ? state.plan.unplanned : state.day.orders;
  $("unplanned-count").textContent = `(${unplanned.length})`;
  if (!unplanned.length) unplannedList.append(el("li", { class: "empty" }, t.noUnplanned));
  for (const order of unplanned) {
    const item = el("li", {
      class: "stop",
      "data-order": order.id,
      "data-testid": `unplanned-${order.id}`,
      draggable: String(state.plan?.status === "draft" && !state.busy),
    });
    item.append(el("span", { class: "number" }, "·"));
    const who = el("span", { class: "who" });
    if (order.is_urgent) who.append(el("span", { class: "urgent" }, t.urgent));
    who.append(`${order.customer ?? order.id} · ${order.address ?? ""}`);
    item.append(who, el("span", {}, ""));
    item.append(el("span", { class: "meta" }, orderLine(order)));
    if (order.reason_label)
      item.append(el("span", { class: "violation reason", "data-reason": order.reason }, order.reason_label));
    wireDrag(item, order.id, { isPlanned: false });
    unplannedList.append(item);
  }
}

// --- drag and drop -----------------------------------------------------------------------------
function wireDrag(item, orderId, { isPlanned }) {
  item.addEventListener("dragstart", (event) => {
    if (item.getAttribute("draggable") !== "true") return event.preventDefault();
    state.dragged = orderId;
    state.draggedIsPlanned = isPlanned;
    event.dataTransfer.setData("text/plain", String(orderId));
    event.dataTransfer.effectAllowed = "move";
    item.classList.add("dragging");
  });
  item.addEventListener("dragend", () => {
    item.classList.remove("dragging");
    for (const marked of document.querySelectorAll(".drop-before, .drop-target"))
      marked.classList.remove("drop-before", "drop-target");
  });
}

function dropPosition(list, event, orderId) {
  const items = [...list.querySelectorAll(":scope > li.stop")].filter((item) => Number(item.dataset.order) !== orderId);
  let position = 0;
  for (const item of items) {
    const box = item.getBoundingClientRect();
    if (event.clientY > box.top + box.height / 2) position += 1;
    else break;
  }
  return { position, before: items[position] };
}

function wireDrop(list, shiftId) {
  list.addEventListener("dragover", (event) => {
    if (state.dragged == null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const marked of document.querySelectorAll(".drop-before")) marked.classList.remove("drop-before");
    list.classList.add("drop-target");
    const { before } = dropPosition(list, event, state.dragged);
    before?.classList.add("drop-before");
  });
  list.addEventListener("dragleave", () => list.classList.remove("drop-target"));
  list.addEventListener("drop", (event) => {
    event.preventDefault();
    const orderId = Number(event.dataTransfer.getData("text/plain") || state.dragged);
    const { position } = dropPosition(list, event, orderId);
    state.dragged = null;
    moveStop(orderId, shiftId, position);
  });
}

// The unplanned list takes back a stop dragged off a route (an unplanned order dropped there stays as it is).
function wireUnplanDrop(list) {
  list.addEventListener("dragover", (event) => {
    if (state.dragged == null || !state.draggedIsPlanned) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    list.classList.add("drop-target");
  });
  list.addEventListener("dragleave", () => list.classList.remove("drop-target"));
  list.addEventListener("drop", (event) => {
    event.preventDefault();
    list.classList.remove("drop-target");
    const orderId = Number(event.dataTransfer.getData("text/plain") || state.dragged);
    const isPlanned = state.draggedIsPlanned;
    state.dragged = null;
    if (isPlanned) unplanStop(orderId);
  });
}

// --- actions -----------------------------------------------------------------------------------
function setBusy(busy) {
  state.busy = busy;
  const status = state.plan?.status;
  const running = RUNNING.has(status);
  $("plan-button").disabled = busy || running || !state.day;
  $("reoptimize-button").disabled = busy || status !== "draft";
  $("publish-button").disabled = busy || status !== "draft";
  $("time-limit").disabled = busy || running;
}

function showStatus() {
  const plan = state.plan;
  const bar = $("plan-progress");
  const status = $("plan-status");
  status.dataset.status = plan ? plan.status : "none";
  bar.hidden = !plan || !RUNNING.has(plan.status);
  if (!plan) {
    status.textContent = t.noPlan;
  } else if (plan.status === "queued") {
    bar.value = plan.progress;
    status.textContent = t.queued;
  } else if (plan.status === "running") {
    bar.value = plan.progress;
    status.textContent = format(t.planning, plan.progress);
  } else if (plan.status === "failed") {
    status.textContent = format(t.failed, plan.error);
  } else if (plan.status === "published") {
    status.textContent = format(t.published, new Date(plan.published_at).toLocaleString());
  } else {
    const count = plan.violations.length;
    status.textContent = `${t.draft} ${format(t.km, plan.distance_km)} · ${count ? format(t.violationCount, count) : t.noViolations}`;
  }
}

function render() {
  showStatus();
  setBusy(state.busy);
  drawLists();
  drawMap();
}

async function loadPlan() {
  if (!state.planId) {
    state.plan = null;
    return;
  }
  state.plan = await api(planUrl(state.planId));
  clearTimeout(state.pollTimer);
  if (RUNNING.has(state.plan.status)) {
    state.pollTimer = setTimeout(() => loadPlan().then(render).catch(fail), config.pollMilliseconds);
  }
}

async function loadDay({ keepPlan = false } = {}) {
  const date = $("plan-date").value;
  const depot = $("plan-depot").value;
  if (!date || !depot) return;
  const query = new URLSearchParams({ date, depot });
  state.day = await api(`${config.dayUrl}?${query}`);
  if (!keepPlan) state.planId = state.day.plan ? state.day.plan.id : null;
  await loadPlan();
  const url = new URL(window.location.href);
  if (state.planId) url.searchParams.set("plan", state.planId);
  else url.searchParams.delete("plan");
  window.history.replaceState(null, "", url);
}

async function withBusy(action) {
  setBusy(true);
  try {
    await action();
  } catch (error) {
    fail(error);
  } finally {
    state.busy = false;
    render();
  }
}

function timeLimit() {
  const input = $("time-limit");
  if (!input.reportValidity()) throw new Error(input.validationMessage);
  return Number(input.value);
}

const startPlan = () =>
  withBusy(async () => {
    say("");
    const created = await api(config.createUrl, {
      method: "POST",
      body: { date: $("plan-date").value, depot: Number($("plan-depot").value), time_limit_seconds: timeLimit() },
    });
    state.planId = created.id;
    await loadDay({ keepPlan: true });
  });

const reoptimize = () =>
  withBusy(async () => {
    say("");
    await api(planUrl(state.planId, "reoptimize"), { method: "POST", body: { time_limit_seconds: timeLimit() } });
    await loadPlan();
  });

const moveStop = (orderId, shiftId, position) =>
  withBusy(async () => {
    const result = await api(planUrl(state.planId, "move"), {
      method: "POST",
      body: { order: orderId, shift: shiftId, position },
    });
    state.plan = result.plan;
    const count = result.violations.length;
    say(format(t.moved, count ? format(t.violationCount, count) : t.noViolations), { ok: !count });
  });

const unplanStop = (orderId) =>
  withBusy(async () => {
    const result = await api(planUrl(state.planId, "unplan"), { method: "POST", body: { order: orderId } });
    state.plan = result.plan;
    const count = result.violations.length;
    say(format(t.unplannedResult, count ? format(t.violationCount, count) : t.noViolations), { ok: !count });
  });

const toggleLock = (stop) =>
  withBusy(async () => {
    await api(planUrl(state.planId, "lock"), { method: "POST", body: { order: stop.id, is_locked: !stop.is_locked } });
    await loadPlan();
  });

const publish = () => {
  if (!window.confirm(t.confirmPublish)) return;
  withBusy(async () => {
    const result = await api(planUrl(state.planId, "publish"), { method: "POST", body: {} });
    const stops = result.routes.reduce((total, route) => total + route.stops, 0);
    say(format(t.publishedResult, result.routes.length, stops), { ok: true });
    await loadPlan();
  });
};

$("day-form").addEventListener("submit", (event) => {
  event.preventDefault();
  say("");
  withBusy(() => loadDay());
});
$("plan-button").addEventListener("click", startPlan);
wireUnplanDrop($("unplanned-list"));
$("reoptimize-button").addEventListener("click", reoptimize);
$("publish-button").addEventListener("click", publish);

withBusy(() => loadDay({ keepPlan: Boolean(state.planId) }));
