// LuckyGas dashboard's entry point: the tabs, the period and export controls, then the snapshot
// and the live socket. Formatting lives in format.js, panels in panels.js, charts in charts.js,
// the snapshot and socket in live.js, the orders table in orders.js.

import { drawPanelCharts } from "./charts.js";
import { config, state } from "./context.js";
import { connect, dropSocket, keepAlive, query, resync } from "./live.js";
import { ordersPanelShown, ordersPeriodChanged, wireOrders } from "./orders.js";
import { setBadge } from "./panels.js";

function wireTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) {
        other.classList.toggle("active", other === tab);
        other.setAttribute("aria-selected", String(other === tab));
      }
      for (const panel of document.querySelectorAll(".panel")) {
        panel.hidden = panel.dataset.panel !== tab.dataset.panel;
        if (!panel.hidden) {
          drawPanelCharts(panel);
          ordersPanelShown(panel);
        }
      }
    });
  }
}

function wirePeriod() {
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
}

function wireExports() {
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => {
      const report = document.getElementById("export-report").value;
      location.href = config.exportUrl.replace("REPORT", report).replace("FORMAT", button.dataset.export) + query();
    });
  }
}

wireTabs();
wirePeriod();
wireExports();
wireOrders();
keepAlive();
window.luckygasDashboard = { state, dropSocket };
resync().then(connect);
