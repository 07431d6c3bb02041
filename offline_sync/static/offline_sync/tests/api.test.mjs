import assert from "node:assert/strict";
import { test } from "node:test";

import { createApi } from "../js/api.js";

// The browser's fetch is the boundary here: a recorder stands in for the network.
function recordingFetch(calls) {
  return async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { "Content-Type": "application/json" } });
  };
}

test("every API call sends the driver's chosen language as Accept-Language", async () => {
  const calls = [];
  let chosen = "zh-Hant";
  const api = createApi({
    getToken: async () => "token-1",
    getLanguage: () => chosen,
    base: "/api/v1/driver/",
    fetchImpl: recordingFetch(calls),
  });
  await api.login({ username: "driver1", password: "pw", deviceId: "d-1" });
  chosen = "en";
  await api.login({ username: "driver1", password: "pw", deviceId: "d-1" });
  assert.deepEqual(
    calls.map((call) => call.init.headers["Accept-Language"]),
    ["zh-Hant", "en"],
  );
});
