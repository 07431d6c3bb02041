// The client of the driver sync API (`/api/v1/driver/`, see offline_sync/api/ and /api/schema/).
// Every failure becomes a NetworkError (no answer) or an HttpError (an answer with a status),
// which is what the sync manager's retry rules look at.

import { HttpError, NetworkError } from "./sync.js";

export const API_BASE = "/api/v1/driver/";

function retryAfterMs(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function coordinate(value) {
  // The server takes at most six decimals (about 10 cm).
  return Number(value).toFixed(6);
}

// `getLanguage` names the language the driver chose in the app ("zh-Hant" or "en"): every call
// sends it as Accept-Language, so the server answers the whole response in that one language.
export function createApi({
  getToken,
  getLanguage = () => "zh-Hant",
  base = API_BASE,
  fetchImpl = (...args) => fetch(...args),
} = {}) {
  async function request(method, path, { json, body, headers = {}, auth = true } = {}) {
    const init = {
      method,
      headers: { Accept: "application/json", "Accept-Language": getLanguage(), ...headers },
      cache: "no-store",
    };
    if (auth) {
      const token = await getToken();
      if (!token) throw new HttpError(401, { code: "no_session", detail: "Not logged in." });
      init.headers.Authorization = `Device ${token}`;
    }
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (body !== undefined) {
      init.body = body;
    }
    let response;
    try {
      response = await fetchImpl(base + path, init);
    } catch (error) {
      throw new NetworkError(error);
    }
    let payload = null;
    const text = await response.text().catch(() => "");
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = { detail: text.slice(0, 200) };
      }
    }
    if (!response.ok) throw new HttpError(response.status, payload, retryAfterMs(response));
    return payload;
  }

  return {
    login: ({ username, password, deviceId, name }) =>
      request("POST", "devices/login", {
        json: { username, password, device_id: deviceId, name: name || "" },
        auth: false,
      }),

    route: (date) => request("GET", `route?date=${encodeURIComponent(date)}`),

    push: (actions) =>
      request("POST", "sync", {
        json: {
          sent_at: new Date().toISOString(),
          actions: actions.map(({ id, seq, type, stop, base_version, occurred_at, payload }) => ({
            id,
            seq,
            type,
            stop,
            base_version,
            occurred_at,
            payload,
          })),
        },
      }),

    uploadMedia: async (media) =>
      request("PUT", `media/${media.id}`, {
        body: media.blob,
        headers: { "Content-Type": media.blob.type || "image/jpeg", "X-Content-SHA256": media.sha256 },
      }),

    postLocations: (points) =>
      request("POST", "locations", {
        json: {
          points: points.map((point) => ({
            seq: point.seq,
            latitude: coordinate(point.latitude),
            longitude: coordinate(point.longitude),
            accuracy_m: point.accuracy_m == null ? null : Math.min(100000, Math.round(point.accuracy_m)),
            recorded_at: point.recorded_at,
            stop: point.stop || null,
          })),
        },
      }),

    changes: (cursor) => request("GET", `changes?cursor=${Number(cursor) || 0}`),

    webPushKey: () => request("GET", "webpush-key", { auth: false }),

    pushSubscription: (subscription) => request("PUT", "push-subscription", { json: subscription }),
  };
}
