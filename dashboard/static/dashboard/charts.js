// Charts: Chart.js is loaded on first need, and each chart drawn when its panel is shown.

import { chartScript, el, state } from "./context.js";

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

export function drawChart(name, build) {
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

export function drawPanelCharts(panel) {
  for (const canvas of panel.querySelectorAll("canvas[data-chart]")) {
    const name = canvas.dataset.chart;
    if (pendingCharts[name]) drawChart(name, pendingCharts[name]);
  }
}
