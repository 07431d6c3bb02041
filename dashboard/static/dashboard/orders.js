// The orders table: thousands of rows, paged, searched and sorted by the server. It loads when
// its panel is first opened, and follows the chosen period.

import { config, fillRows, state, t } from "./context.js";
import { format, formatDate, formatDateTime, number } from "./format.js";

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

const orderRow = (o) => [
  { text: String(o.number) },
  { text: formatDate(o.delivery_date) },
  { text: formatDateTime(o.created_at, t.never) },
  { text: o.customer_code },
  { text: o.customer_name },
  { text: o.status_label },
  { text: o.payment_method_label },
  { text: format(o.amount, "money"), num: true },
];

function showPage(answer, period) {
  const card = orders.card;
  orders.pages = Math.max(1, Math.ceil(answer.count / ORDERS_PAGE_SIZE));
  const rows = answer.results.length ? answer.results.map(orderRow) : [[{ text: t.noOrders }]];
  fillRows(card.querySelector('[data-table="orders"]'), rows);
  card.querySelector("[data-orders-count]").textContent = t.ordersCount.replace("%s", number.format(answer.count));
  card.querySelector("[data-orders-page]").textContent = t.pageOf
    .replace("%(page)s", orders.page)
    .replace("%(pages)s", orders.pages);
  card.querySelector("[data-orders-period]").textContent =
    period.start === period.end ? formatDate(period.start) : `${formatDate(period.start)} – ${formatDate(period.end)}`;
  card.querySelector('[data-page="previous"]').disabled = orders.page <= 1;
  card.querySelector('[data-page="next"]').disabled = orders.page >= orders.pages;
  for (const button of card.querySelectorAll("[data-sort]")) {
    const key = button.dataset.sort;
    const sort = orders.sort === key ? "ascending" : orders.sort === `-${key}` ? "descending" : null;
    if (sort) button.setAttribute("aria-sort", sort);
    else button.removeAttribute("aria-sort");
  }
}

async function loadOrders() {
  if (!orders.card) return;
  orders.loaded = true;
  const request = ++orders.request;
  const period = ordersPeriod();
  const params = new URLSearchParams({
    page: orders.page,
    page_size: ORDERS_PAGE_SIZE,
    sort: orders.sort,
    start: period.start,
    end: period.end,
  });
  if (orders.search) params.set("q", orders.search);
  orders.card.setAttribute("aria-busy", "true");
  let answer;
  try {
    const response = await fetch(`${config.ordersUrl}?${params}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    answer = await response.json();
    if (request !== orders.request) return;
    if (!response.ok) {
      fillRows(orders.card.querySelector('[data-table="orders"]'), [
        [{ text: Object.values(answer).flat().join(" ") }],
      ]);
      return;
    }
  } catch (error) {
    console.warn("dashboard orders failed", error);
    return;
  } finally {
    if (request === orders.request) orders.card.removeAttribute("aria-busy");
  }
  showPage(answer, period);
}

export function wireOrders() {
  if (!orders.card) return;
  let typing = null;
  const input = orders.card.querySelector('input[name="q"]');
  const search = () => {
    clearTimeout(typing);
    if (input.value.trim() === orders.search) return;
    orders.search = input.value.trim();
    orders.page = 1;
    loadOrders();
  };
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(search, 300);
  });
  orders.card.querySelector("[data-orders-search]").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  for (const button of orders.card.querySelectorAll("[data-sort]")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      orders.sort = orders.sort === `-${key}` ? key : `-${key}`;
      orders.page = 1;
      loadOrders();
    });
  }
  orders.card.querySelector('[data-page="previous"]').addEventListener("click", () => {
    if (orders.page > 1) {
      orders.page -= 1;
      loadOrders();
    }
  });
  orders.card.querySelector('[data-page="next"]').addEventListener("click", () => {
    if (orders.page < orders.pages) {
      orders.page += 1;
      loadOrders();
    }
  });
}

export function ordersPanelShown(panel) {
  if (orders.card && panel.contains(orders.card) && !orders.loaded) loadOrders();
}

export function ordersPeriodChanged() {
  if (!orders.loaded) return;
  orders.page = 1;
  loadOrders();
}
