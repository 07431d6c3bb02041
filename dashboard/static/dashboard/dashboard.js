// LuckyGas dashboard: full snapshot over HTTP, then live pushes over /ws/dashboard/.
// Each push carries metric, seq and as_of; a gap in seq or a reconnect re-fetches the snapshot.
(() => {
  "use strict";
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const t = JSON.parse(document.getElementById("dashboard-i18n").textContent);
  const chartScript = document.currentScript.dataset.chartjs;
  const locale = "zh-TW";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: "TWD", maximumFractionDigits: 0, minimumFractionDigits: 0 });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const timeOnly = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Taipei", hour: "2-digit", minute: "2-digit", hour12: false });

  const state = {
    seqs: {},          // metric -> last applied seq
    entries: {},       // metric -> last snapshot entry
    range: null,       // {start, end} when the user picked a period; null = live defaults
    socket: null,
    attempt: 0,
    connected: false,
    lastContact: Date.now(),
    reconnectTimer: null,
    snapshotCount: 0,
    charts: {},
    chartLib: null,
  };

  // --- formatting -------------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");
  function formatDate(iso) {
    if (!iso) return "";
    const [y, m, d] = iso.slice(0, 10).split("-");
    return `${y}/${m}/${d}`;
  }
  function formatDateTime(iso) {
    if (!iso) return t.never;
    const date = new Date(iso);
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Taipei", year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
    return `${parts.replaceAll("-", "/")} ${timeOnly.format(date)}`;
  }
  function format(value, kind) {
    if (value === null || value === undefined) return "–";
    if (kind === "money") return money.format(value);
    if (kind === "date") return formatDate(value);
    if (typeof value === "number") return number.format(value);
    return String(value);
  }
  function pick(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
  }
  function ago(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    const amount = seconds < 120 ? t.seconds.replace("%s", seconds) : t.minutes.replace("%s", Math.round(seconds / 60));
    return t.updatedAgo.replace("%s", amount);
  }
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  function fillRows(tbody, rows) {
    const fragment = document.createDocumentFragment();
    for (const cells of rows) {
      const tr = el("tr");
      for (const cell of cells) {
        const td = el("td", cell.num ? { class: "num" } : {});
        if (cell.node) td.append(cell.node); else td.textContent = cell.text;
        tr.append(td);
      }
      fragment.append(tr);
    }
    tbody.replaceChildren(fragment);
  }

  // --- rendering --------------------------------------------------------------------------------
  const renderers = {
    pipeline(data) {
      const body = document.querySelector('[data-table="pipeline"]');
      if (body) fillRows(body, data.statuses.map((s) => [{ text: s.label }, { text: format(s.count), num: true }, { text: format(s.amount, "money"), num: true }]));
      drawChart("pipeline", () => ({
        type: "bar",
        data: { labels: data.statuses.map((s) => s.label), datasets: [{ label: t.orders, data: data.statuses.map((s) => s.count), backgroundColor: ["#9fb8d6", "#6b9bd1", "#3f7cc4", "#f0a830", "#2e9e6a", "#d9534f", "#adb5bd"] }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, maintainAspectRatio: false, scales: { x: { ticks: { precision: 0 } } } },
      }));
    },
    drivers(data) {
      const fill = document.querySelector('[data-progress="drivers"]');
      if (fill) fill.style.width = data.stops_total ? `${Math.round((100 * data.stops_done) / data.stops_total)}%` : "0";
      const body = document.querySelector('[data-table="drivers"]');
      if (body) {
        fillRows(body, data.drivers.map((d) => {
          const bar = el("div", { class: "mini-bar", title: `${d.stops_done} / ${d.stops_total}` });
          const inner = el("div", { class: "mini-fill" });
          inner.style.width = d.stops_total ? `${Math.round((100 * d.stops_done) / d.stops_total)}%` : "0";
          bar.append(inner, el("span", {}, `${d.stops_done} / ${d.stops_total}`));
          const position = d.position ? `${Number(d.position.latitude).toFixed(4)}, ${Number(d.position.longitude).toFixed(4)}` : "–";
          return [{ text: d.driver }, { text: d.vehicle }, { node: bar }, { text: format(d.stops_late), num: true }, { text: format(d.cash_collected, "money"), num: true }, { text: position }, { text: d.last_sync_at ? formatDateTime(d.last_sync_at) : "–" }];
        }));
      }
      drawChart("drivers", () => ({
        type: "bar",
        data: {
          labels: data.drivers.map((d) => d.driver),
          datasets: [
            { label: t.stopsDone, data: data.drivers.map((d) => d.stops_done), backgroundColor: "#2e9e6a" },
            { label: t.stopsLeft, data: data.drivers.map((d) => d.stops_total - d.stops_done), backgroundColor: "#d6dde6" },
          ],
        },
        options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } },
      }));
    },
    customers(data) {
      const body = document.querySelector('[data-table="top_customers"]');
      if (body) fillRows(body, data.top_customers.map((c) => [{ text: c.code }, { text: c.name }, { text: format(c.orders), num: true }, { text: format(c.amount, "money"), num: true }]));
      const heat = document.querySelector('[data-heatmap="customers"]');
      if (heat) {
        const max = Math.max(1, ...data.orders_by_weekday_hour.flat());
        const fragment = document.createDocumentFragment();
        fragment.append(el("div", { class: "heat-label" }, ""));
        for (let hour = 0; hour < 24; hour += 1) fragment.append(el("div", { class: "heat-hour" }, hour % 3 === 0 ? pad(hour) : ""));
        data.orders_by_weekday_hour.forEach((hours, weekday) => {
          fragment.append(el("div", { class: "heat-label" }, t.weekdays[weekday]));
          hours.forEach((count, hour) => {
            const cell = el("div", { class: "heat-cell", title: `${t.weekdays[weekday]} ${pad(hour)}:00 · ${number.format(count)}` });
            cell.style.setProperty("--level", (count / max).toFixed(3));
            fragment.append(cell);
          });
        });
        heat.replaceChildren(fragment);
      }
    },
    finance(data) {
      drawChart("finance", () => ({
        type: "bar",
        data: { labels: data.revenue_by_day.map((r) => formatDate(r.day).slice(5)), datasets: [{ label: t.revenue, data: data.revenue_by_day.map((r) => r.revenue), backgroundColor: "#3f7cc4" }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => money.format(item.raw) } } }, scales: { y: { ticks: { callback: (value) => money.format(value) } } } },
      }));
    },
    system(data) {
      const queues = document.querySelector('[data-table="queues"]');
      if (queues) fillRows(queues, Object.entries(data.queues).map(([name, depth]) => [{ text: name }, { text: format(depth), num: true }]));
      const providers = document.querySelector('[data-table="sms_providers"]');
      if (providers && data.sms.configured) {
        fillRows(providers, data.sms.providers.map((p) => [{ text: p.name }, { node: el("span", { class: `pill ${p.circuit_state}` }, t.circuit[p.circuit_state] || p.circuit_state) }, { text: p.delivered_rate == null ? "–" : `${Math.round(p.delivered_rate * 100)}%`, num: true }, { text: p.balance == null ? "–" : format(p.balance), num: true }]));
      }
      const banks = document.querySelector('[data-table="banks"]');
      if (banks && data.banks.configured) {
        fillRows(banks, data.banks.banks.map((b) => [{ text: b.name }, { text: formatDateTime(b.last_upload_at) }, { text: b.last_upload_status || "–" }, { node: el("span", { class: `pill ${b.circuit_state}` }, t.circuit[b.circuit_state] || b.circuit_state) }]));
      }
    },
  };

  function applyEntry(entry) {
    state.entries[entry.metric] = entry;
    const data = entry.data;
    for (const node of document.querySelectorAll(`[data-metric="${entry.metric}"] [data-field]`)) {
      const value = pick(data, node.dataset.field);
      node.textContent = value === undefined ? "" : format(value, node.dataset.format);
    }
    for (const node of document.querySelectorAll(`[data-metric="${entry.metric}"] [data-compare]`)) {
      const [now, before] = node.dataset.compare.split(":").map((path) => pick(data, path));
      const span = node.querySelector("span");
      const delta = now - before;
      const percent = before ? Math.round((100 * delta) / before) : null;
      span.textContent = `${delta >= 0 ? "▲" : "▼"} ${percent === null ? number.format(Math.abs(delta)) : `${Math.abs(percent)}%`}`;
      const good = node.classList.contains("inverse") ? delta <= 0 : delta >= 0;
      span.className = good ? "up" : "down";
    }
    for (const node of document.querySelectorAll(`[data-not-configured^="${entry.metric}"]`)) {
      const [, section] = node.dataset.notConfigured.split(":");
      const part = section ? data[section] : data;
      node.hidden = !(part && part.configured === false);
    }
    for (const node of document.querySelectorAll(`[data-flag^="${entry.metric}:"]`)) {
      node.hidden = Boolean(data[node.dataset.flag.split(":")[1]]);
    }
    for (const node of document.querySelectorAll(`[data-asof="${entry.metric}"]`)) node.dataset.time = entry.as_of;
    if (renderers[entry.metric]) renderers[entry.metric](data);
    refreshAges();
  }

  function refreshAges() {
    for (const node of document.querySelectorAll("[data-asof]")) {
      if (node.dataset.time) node.textContent = ago(node.dataset.time);
    }
    if (!state.connected && Date.now() - state.lastContact > 30000) setBadge("stale");
  }

  // --- charts: Chart.js is loaded on first need, each chart when its panel is shown -------------
  const pendingCharts = {};
  function loadChartLib() {
    if (!state.chartLib) {
      state.chartLib = new Promise((resolve, reject) => {
        const script = el("script", { src: chartScript });
        script.onload = () => resolve(window.Chart);
        script.onerror = reject;
        document.head.append(script);
      });
    }
    return state.chartLib;
  }
  function drawChart(name, build) {
    const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
    if (!canvas) return;
    pendingCharts[name] = build;
    if (canvas.closest(".panel").hidden) return; // drawn when its panel is opened
    loadChartLib().then((Chart) => {
      const spec = pendingCharts[name]();
      Chart.defaults.font.family = '"Noto Sans CJK TC", "Noto Sans TC", system-ui, sans-serif';
      if (state.charts[name]) {
        state.charts[name].data = spec.data;
        state.charts[name].update("none");
      } else {
        state.charts[name] = new Chart(canvas, spec);
      }
    });
  }
  function drawPanelCharts(panel) {
    for (const canvas of panel.querySelectorAll("canvas[data-chart]")) {
      const name = canvas.dataset.chart;
      if (pendingCharts[name]) drawChart(name, pendingCharts[name]);
    }
  }

  // --- data: snapshot over HTTP -----------------------------------------------------------------
  function query(extra = {}) {
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
  function resync() {
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
        .finally(() => { resyncing = null; });
    }
    return resyncing;
  }
  async function refetchMetric(name) {
    const entry = await fetchJSON(config.metricUrl.replace("METRIC", name) + query());
    applyEntry(entry);
  }

  // --- live: websocket with backoff and jitter --------------------------------------------------
  function setBadge(name) {
    const badge = document.getElementById("connection-badge");
    const shown = name === "connected" && state.range ? "paused" : name;
    badge.dataset.state = name;
    badge.className = `badge badge-${shown === "paused" ? "stale" : shown}`;
    badge.textContent = t[shown];
  }
  function onMessage(event) {
    state.lastContact = Date.now();
    const message = JSON.parse(event.data);
    if (message.type !== "metric") return;
    const last = state.seqs[message.metric];
    if (last !== undefined && message.seq <= last) return; // already have it
    if (last !== undefined && message.seq > last + 1) { resync(); return; } // missed pushes
    state.seqs[message.metric] = message.seq;
    if (state.range) refetchMetric(message.metric).catch(() => {});
    else applyEntry(message);
  }
  function scheduleReconnect(minimumMs = 0) {
    clearTimeout(state.reconnectTimer);
    const base = Math.min(30000, 1000 * 2 ** state.attempt);
    const delay = Math.max(minimumMs, base / 2 + Math.random() * (base / 2)); // jitter: spread reconnects
    state.attempt += 1;
    state.reconnectTimer = setTimeout(connect, delay);
  }
  function connect() {
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
      if (event.code === 4401) { location.reload(); return; } // session expired: the page sends to login
      if (event.code === 4403) { setBadge("denied"); return; }
      setBadge("reconnecting");
      scheduleReconnect(socket.holdOffMs || 0);
    };
  }
  // A half-open socket (phone slept, proxy dropped it) is noticed by the missing pong.
  setInterval(() => {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - state.lastContact > 45000) { socket.close(); return; }
    socket.send(JSON.stringify({ type: "ping" }));
  }, 20000);
  setInterval(refreshAges, 1000);

  // --- controls ---------------------------------------------------------------------------------
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) {
        other.classList.toggle("active", other === tab);
        other.setAttribute("aria-selected", String(other === tab));
      }
      for (const panel of document.querySelectorAll(".panel")) {
        panel.hidden = panel.dataset.panel !== tab.dataset.panel;
        if (!panel.hidden) { drawPanelCharts(panel); ordersPanelShown(panel); }
      }
    });
  }
  const startInput = document.getElementById("range-start");
  const endInput = document.getElementById("range-end");
  endInput.value = config.today;
  startInput.value = config.metrics.customers ? config.metrics.customers.start : config.today;
  document.getElementById("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!startInput.value || !endInput.value || startInput.value > endInput.value) {
      startInput.setCustomValidity(startInput.value > endInput.value ? "start > end" : "");
      startInput.reportValidity();
      return;
    }
    startInput.setCustomValidity("");
    state.range = { start: startInput.value, end: endInput.value };
    setBadge(state.connected ? "connected" : "reconnecting");
    resync();
    ordersPeriodChanged();
  });
  document.getElementById("range-reset").addEventListener("click", () => {
    state.range = null;
    endInput.value = config.today;
    setBadge(state.connected ? "connected" : "reconnecting");
    resync();
    ordersPeriodChanged();
  });
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => {
      const report = document.getElementById("export-report").value;
      location.href = config.exportUrl.replace("REPORT", report).replace("FORMAT", button.dataset.export) + query();
    });
  }

  // --- orders table: thousands of rows, paged, searched and sorted by the server -------------------
  const ORDERS_PAGE_SIZE = 50;
  const orders = {
    card: document.querySelector("[data-orders-table]"),
    page: 1,
    pages: 1,
    sort: "-number",
    search: "",
    loaded: false,
    request: 0, // only the answer to the latest request is shown
  };
  function ordersPeriod() {
    return state.range || { start: config.today, end: config.today };
  }
  async function loadOrders() {
    if (!orders.card) return;
    orders.loaded = true;
    const request = ++orders.request;
    const period = ordersPeriod();
    const params = new URLSearchParams({ page: orders.page, page_size: ORDERS_PAGE_SIZE, sort: orders.sort, start: period.start, end: period.end });
    if (orders.search) params.set("q", orders.search);
    const body = orders.card.querySelector('[data-table="orders"]');
    orders.card.setAttribute("aria-busy", "true");
    let answer;
    try {
      const response = await fetch(`${config.ordersUrl}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      answer = await response.json();
      if (request !== orders.request) return;
      if (!response.ok) {
        fillRows(body, [[{ text: Object.values(answer).flat().join(" ") }]]);
        return;
      }
    } catch (error) {
      console.warn("dashboard orders failed", error);
      return;
    } finally {
      if (request === orders.request) orders.card.removeAttribute("aria-busy");
    }
    orders.pages = Math.max(1, Math.ceil(answer.count / ORDERS_PAGE_SIZE));
    fillRows(body, answer.results.length
      ? answer.results.map((o) => [
        { text: String(o.number) }, { text: formatDate(o.delivery_date) }, { text: formatDateTime(o.created_at) },
        { text: o.customer_code }, { text: o.customer_name }, { text: o.status_label }, { text: o.payment_method_label },
        { text: format(o.amount, "money"), num: true },
      ])
      : [[{ text: t.noOrders }]]);
    orders.card.querySelector("[data-orders-count]").textContent = t.ordersCount.replace("%s", number.format(answer.count));
    orders.card.querySelector("[data-orders-page]").textContent = t.pageOf.replace("%(page)s", orders.page).replace("%(pages)s", orders.pages);
    orders.card.querySelector("[data-orders-period]").textContent =
      period.start === period.end ? formatDate(period.start) : `${formatDate(period.start)} – ${formatDate(period.end)}`;
    orders.card.querySelector('[data-page="previous"]').disabled = orders.page <= 1;
    orders.card.querySelector('[data-page="next"]').disabled = orders.page >= orders.pages;
    for (const button of orders.card.querySelectorAll("[data-sort]")) {
      const key = button.dataset.sort;
      const sort = orders.sort === key ? "ascending" : orders.sort === `-${key}` ? "descending" : null;
      if (sort) button.setAttribute("aria-sort", sort); else button.removeAttribute("aria-sort");
    }
  }
  if (orders.card) {
    let typing = null;
    const input = orders.card.querySelector('input[name="q"]');
    const search = () => {
      clearTimeout(typing);
      if (input.value.trim() === orders.search) return;
      orders.search = input.value.trim();
      orders.page = 1;
      loadOrders();
    };
    input.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(search, 300); });
    orders.card.querySelector("[data-orders-search]").addEventListener("submit", (event) => { event.preventDefault(); search(); });
    for (const button of orders.card.querySelectorAll("[data-sort]")) {
      button.addEventListener("click", () => {
        const key = button.dataset.sort;
        orders.sort = orders.sort === `-${key}` ? key : `-${key}`;
        orders.page = 1;
        loadOrders();
      });
    }
    orders.card.querySelector('[data-page="previous"]').addEventListener("click", () => { if (orders.page > 1) { orders.page -= 1; loadOrders(); } });
    orders.card.querySelector('[data-page="next"]').addEventListener("click", () => { if (orders.page < orders.pages) { orders.page += 1; loadOrders(); } });
  }
  // The table loads when its panel is first opened, and follows the chosen period.
  function ordersPanelShown(panel) {
    if (orders.card && panel.contains(orders.card) && !orders.loaded) loadOrders();
  }
  function ordersPeriodChanged() {
    if (!orders.loaded) return;
    orders.page = 1;
    loadOrders();
  }

  // For tests and operators: drop the socket as a network outage would, for at least `ms`.
  window.luckygasDashboard = {
    state,
    dropSocket(ms = 0) {
      if (state.socket) { state.socket.holdOffMs = ms; state.socket.close(); }
    },
  };

  resync().then(connect);
})();
