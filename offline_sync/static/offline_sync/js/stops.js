// Pure rules about today's stops as the driver sees them: what status a stop shows (the driver's
// own unsynced outcome wins over the server's), which stops are listed and in what order, how a
// fresh route keeps what the driver did, and how a stop is described on the list.

export const OUTCOME_STATUS = { complete: "delivered", skip: "skipped", fail: "failed" };

export const money = (amount) => Number(amount || 0).toLocaleString("zh-TW");

export function effectiveStatus(stop, pending) {
  const local = [...pending].reverse().find((action) => action.stop === stop.id && OUTCOME_STATUS[action.type]);
  return local ? OUTCOME_STATUS[local.type] : stop.local_status || stop.status;
}

export function isUnsynced(stop, pending) {
  return pending.some((action) => action.stop === stop.id);
}

export function visibleStops(route) {
  if (!route || !route.stops) return [];
  return route.stops.filter((stop) => stop.status !== "cancelled").sort((a, b) => a.sequence - b.sequence);
}

export function nextPendingStop(route, pending) {
  return visibleStops(route).find((stop) => effectiveStatus(stop, pending) === "pending") || null;
}

export function itemsText(items) {
  return items.map((item) => `${item.product} × ${item.quantity}`).join("、");
}

export function telHref(phone) {
  return `tel:${String(phone).replace(/[^0-9+]/g, "")}`;
}

// The phone's maps app at the customer's coordinates: a `geo:` URI (RFC 5870, with the Android
// `?q=lat,lng(label)` pin) and an https Google Maps link for phones that do not handle `geo:`.
// Null when the stop has no coordinates.
export function navLinks(stop) {
  const { latitude, longitude } = stop;
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  const point = `${latitude},${longitude}`;
  const label = encodeURIComponent(
    String(stop.customer_name || "")
      .replace(/[()]/g, " ")
      .trim(),
  );
  return {
    geo: `geo:${point}?q=${point}${label ? `(${label})` : ""}`,
    web: `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(point)}`,
  };
}

// The planned arrival window ("HH:MM", Asia/Taipei) the customer was told, as "08:30–09:30";
// one end alone is shown as it is; null when the stop was not planned.
export function arrivalWindow(stop) {
  const valid = (value) => typeof value === "string" && /^\d{2}:\d{2}$/.test(value);
  const start = valid(stop.planned_arrival_start) ? stop.planned_arrival_start : null;
  const end = valid(stop.planned_arrival_end) ? stop.planned_arrival_end : null;
  if (start && end) return `${start}–${end}`;
  return start || end;
}

// A route fresh from the server keeps the outcomes the driver recorded until the server reports
// them (a stop still "pending" on the server keeps its local status). Changes `route` in place.
export function keepLocalStatus(route, previous) {
  const localStatus = new Map(
    (previous ? previous.stops : []).filter((stop) => stop.local_status).map((stop) => [stop.id, stop.local_status]),
  );
  for (const stop of route.stops) {
    if (localStatus.has(stop.id) && stop.status === "pending") stop.local_status = localStatus.get(stop.id);
  }
  return route;
}

// The office cancelled or removed stops: drop them from the route and name their customers.
export function dropRemovedStops(route, changes) {
  const names = [];
  if (!route) return names;
  for (const change of changes) {
    if (change.kind === "stop_cancelled" || change.kind === "stop_removed") {
      const stop = route.stops.find((item) => item.id === change.stop);
      if (stop) names.push(stop.customer_name);
      route.stops = route.stops.filter((item) => item.id !== change.stop);
    }
  }
  return names;
}

// A sync problem in one line: the server's reason (translated) and any field errors.
export function problemText(result, translate) {
  const reason = result.reason ? translate(`reason_${result.reason}`) : result.message || "";
  const errors = result.errors
    ? Object.entries(result.errors)
        .map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`)
        .join("; ")
    : "";
  return [reason, errors].filter(Boolean).join(" — ");
}

// A whole number typed into the stop form, from 0 to `max`; anything else names the field.
export function wholeNumber(raw, label, max) {
  const text = String(raw || "0").trim();
  const value = Number(text || 0);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${label}: 0 – ${max}`);
  return value;
}
