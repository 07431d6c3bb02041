// Pure formatting and rules for the dashboard: Taiwan dates and money, "updated … ago", the
// change arrows on KPI cards, and what to do with a live push given the last seq applied.

const locale = "zh-TW";
export const money = new Intl.NumberFormat(locale, {
  style: "currency",
  currency: "TWD",
  maximumFractionDigits: 0,
  minimumFractionDigits: 0,
});
export const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const timeOnly = new Intl.DateTimeFormat(locale, {
  timeZone: "Asia/Taipei",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23", // not `hour12: false`: with it, zh-TW writes midnight as "24:05"
});
const dayOnly = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Taipei",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

export const pad = (n) => String(n).padStart(2, "0");

export function formatDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return `${y}/${m}/${d}`;
}

// A moment in Taipei time, "2026/12/04 09:05"; `never` when there is none.
export function formatDateTime(iso, never = "") {
  if (!iso) return never;
  const date = new Date(iso);
  return `${dayOnly.format(date).replaceAll("-", "/")} ${timeOnly.format(date)}`;
}

export function format(value, kind) {
  if (value === null || value === undefined) return "–";
  if (kind === "money") return money.format(value);
  if (kind === "date") return formatDate(value);
  if (typeof value === "number") return number.format(value);
  return String(value);
}

// A value at a dotted path ("offline_sync.max_lag_seconds"); undefined when any step is missing.
export function pick(data, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
}

export function ago(iso, t, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  const amount = seconds < 120 ? t.seconds.replace("%s", seconds) : t.minutes.replace("%s", Math.round(seconds / 60));
  return t.updatedAgo.replace("%s", amount);
}

// A KPI against its earlier value: "▲ 12%" (or the plain difference when the earlier value is 0),
// and whether the change is good (for an inverse KPI, such as late stops, down is good).
export function comparison(now, before, { inverse = false } = {}) {
  const delta = now - before;
  const percent = before ? Math.round((100 * delta) / before) : null;
  const text = `${delta >= 0 ? "▲" : "▼"} ${percent === null ? number.format(Math.abs(delta)) : `${Math.abs(percent)}%`}`;
  return { text, good: inverse ? delta <= 0 : delta >= 0 };
}

// A push for a metric: "skip" one already applied, "resync" after a gap (pushes were missed),
// else "apply".
export function pushAction(lastSeq, seq) {
  if (lastSeq !== undefined && seq <= lastSeq) return "skip";
  if (lastSeq !== undefined && seq > lastSeq + 1) return "resync";
  return "apply";
}

export function percentWidth(done, total) {
  return total ? `${Math.round((100 * done) / total)}%` : "0";
}
