// What every dashboard module shares: the page's configuration and translations (rendered by
// the template as JSON), and the live state.

export const config = JSON.parse(document.getElementById("dashboard-config").textContent);
export const t = JSON.parse(document.getElementById("dashboard-i18n").textContent);
export const chartScript = document.querySelector("script[data-chartjs]").dataset.chartjs;

export const state = {
  seqs: {}, // metric -> last applied seq
  entries: {}, // metric -> last snapshot entry
  range: null, // {start, end} when the user picked a period; null = live defaults
  socket: null,
  attempt: 0,
  connected: false,
  lastContact: Date.now(),
  reconnectTimer: null,
  snapshotCount: 0,
  charts: {},
  chartLib: null,
};

export const el = (tag, attrs = {}, text) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
};

export function fillRows(tbody, rows) {
  const fragment = document.createDocumentFragment();
  for (const cells of rows) {
    const tr = el("tr");
    for (const cell of cells) {
      const td = el("td", cell.num ? { class: "num" } : {});
      if (cell.node) td.append(cell.node);
      else td.textContent = cell.text;
      tr.append(td);
    }
    fragment.append(tr);
  }
  tbody.replaceChildren(fragment);
}
