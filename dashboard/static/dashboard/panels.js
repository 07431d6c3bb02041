// Drawing each metric's entry into its panel: the KPI fields, the change arrows, the
// "not configured" notes, the tables, the heatmap and the charts; and the connection badge.

import { drawChart } from "./charts.js";
import { el, fillRows, state, t } from "./context.js";
import {
  ago,
  comparison,
  format,
  formatDate,
  formatDateTime,
  money,
  number,
  pad,
  percentWidth,
  pick,
} from "./format.js";

const PIPELINE_COLOURS = ["#9fb8d6", "#6b9bd1", "#3f7cc4", "#f0a830", "#2e9e6a", "#d9534f", "#adb5bd"];

function driverRow(d) {
  const bar = el("div", { class: "mini-bar", title: `${d.stops_done} / ${d.stops_total}` });
  const inner = el("div", { class: "mini-fill" });
  inner.style.width = percentWidth(d.stops_done, d.stops_total);
  bar.append(inner, el("span", {}, `${d.stops_done} / ${d.stops_total}`));
  const position = d.position
    ? `${Number(d.position.latitude).toFixed(4)}, ${Number(d.position.longitude).toFixed(4)}`
    : "–";
  return [
    { text: d.driver },
    { text: d.vehicle },
    { node: bar },
    { text: format(d.stops_late), num: true },
    { text: format(d.cash_collected, "money"), num: true },
    { text: position },
    { text: d.last_sync_at ? formatDateTime(d.last_sync_at, t.never) : "–" },
  ];
}

function heatmap(node, byWeekdayHour) {
  const max = Math.max(1, ...byWeekdayHour.flat());
  const fragment = document.createDocumentFragment();
  fragment.append(el("div", { class: "heat-label" }, ""));
  for (let hour = 0; hour < 24; hour += 1) {
    fragment.append(el("div", { class: "heat-hour" }, hour % 3 === 0 ? pad(hour) : ""));
  }
  byWeekdayHour.forEach((hours, weekday) => {
    fragment.append(el("div", { class: "heat-label" }, t.weekdays[weekday]));
    hours.forEach((count, hour) => {
      const title = `${t.weekdays[weekday]} ${pad(hour)}:00 · ${number.format(count)}`;
      const cell = el("div", { class: "heat-cell", title });
      cell.style.setProperty("--level", (count / max).toFixed(3));
      fragment.append(cell);
    });
  });
  node.replaceChildren(fragment);
}

const circuitPill = (circuit) => el("span", { class: `pill ${circuit}` }, t.circuit[circuit] || circuit);

const renderers = {
  pipeline(data) {
    const body = document.querySelector('[data-table="pipeline"]');
    if (body) {
      fillRows(
        body,
        data.statuses.map((s) => [
          { text: s.label },
          { text: format(s.count), num: true },
          { text: format(s.amount, "money"), num: true },
        ]),
      );
    }
    drawChart("pipeline", () => ({
      type: "bar",
      data: {
        labels: data.statuses.map((s) => s.label),
        datasets: [{ label: t.orders, data: data.statuses.map((s) => s.count), backgroundColor: PIPELINE_COLOURS }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        maintainAspectRatio: false,
        scales: { x: { ticks: { precision: 0 } } },
      },
    }));
  },
  drivers(data) {
    const fill = document.querySelector('[data-progress="drivers"]');
    if (fill) fill.style.width = percentWidth(data.stops_done, data.stops_total);
    const body = document.querySelector('[data-table="drivers"]');
    if (body) fillRows(body, data.drivers.map(driverRow));
    drawChart("drivers", () => ({
      type: "bar",
      data: {
        labels: data.drivers.map((d) => d.driver),
        datasets: [
          { label: t.stopsDone, data: data.drivers.map((d) => d.stops_done), backgroundColor: "#2e9e6a" },
          {
            label: t.stopsLeft,
            data: data.drivers.map((d) => d.stops_total - d.stops_done),
            backgroundColor: "#d6dde6",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } },
      },
    }));
  },
  customers(data) {
    const body = document.querySelector('[data-table="top_customers"]');
    if (body) {
      fillRows(
        body,
        data.top_customers.map((c) => [
          { text: c.code },
          { text: c.name },
          { text: format(c.orders), num: true },
          { text: format(c.amount, "money"), num: true },
        ]),
      );
    }
    const heat = document.querySelector('[data-heatmap="customers"]');
    if (heat) heatmap(heat, data.orders_by_weekday_hour);
  },
  finance(data) {
    drawChart("finance", () => ({
      type: "bar",
      data: {
        labels: data.revenue_by_day.map((r) => formatDate(r.day).slice(5)),
        datasets: [{ label: t.revenue, data: data.revenue_by_day.map((r) => r.revenue), backgroundColor: "#3f7cc4" }],
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => money.format(item.raw) } } },
        scales: { y: { ticks: { callback: (value) => money.format(value) } } },
      },
    }));
  },
  system(data) {
    const queues = document.querySelector('[data-table="queues"]');
    if (queues) {
      fillRows(
        queues,
        Object.entries(data.queues).map(([name, depth]) => [{ text: name }, { text: format(depth), num: true }]),
      );
    }
    const providers = document.querySelector('[data-table="sms_providers"]');
    if (providers && data.sms.configured) {
      fillRows(
        providers,
        data.sms.providers.map((p) => [
          { text: p.name },
          { node: circuitPill(p.circuit_state) },
          { text: p.delivered_rate == null ? "–" : `${Math.round(p.delivered_rate * 100)}%`, num: true },
          { text: p.balance == null ? "–" : format(p.balance), num: true },
        ]),
      );
    }
    const banks = document.querySelector('[data-table="banks"]');
    if (banks && data.banks.configured) {
      fillRows(
        banks,
        data.banks.banks.map((b) => [
          { text: b.name },
          { text: formatDateTime(b.last_upload_at, t.never) },
          { text: b.last_upload_status || "–" },
          { node: circuitPill(b.circuit_state) },
        ]),
      );
    }
  },
};

export function applyEntry(entry) {
  state.entries[entry.metric] = entry;
  const data = entry.data;
  const scope = `[data-metric="${entry.metric}"]`;
  for (const node of document.querySelectorAll(`${scope} [data-field]`)) {
    const value = pick(data, node.dataset.field);
    node.textContent = value === undefined ? "" : format(value, node.dataset.format);
  }
  for (const node of document.querySelectorAll(`${scope} [data-compare]`)) {
    const [now, before] = node.dataset.compare.split(":").map((path) => pick(data, path));
    const span = node.querySelector("span");
    const change = comparison(now, before, { inverse: node.classList.contains("inverse") });
    span.textContent = change.text;
    span.className = change.good ? "up" : "down";
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

export function refreshAges() {
  for (const node of document.querySelectorAll("[data-asof]")) {
    if (node.dataset.time) node.textContent = ago(node.dataset.time, t);
  }
  if (!state.connected && Date.now() - state.lastContact > 30000) setBadge("stale");
}

export function setBadge(name) {
  const badge = document.getElementById("connection-badge");
  const shown = name === "connected" && state.range ? "paused" : name;
  badge.dataset.state = name;
  badge.className = `badge badge-${shown === "paused" ? "stale" : shown}`;
  badge.textContent = t[shown];
}
