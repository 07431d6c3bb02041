import assert from "node:assert/strict";
import { test } from "node:test";

import { base64UrlBytes, deviceName } from "../js/device.js";

test("the device is named by platform and browser, not by its user-agent string", () => {
  const cases = [
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
      "Android · Chrome",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1",
      "iPhone · Safari",
    ],
    [
      "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36",
      "Android · Samsung Internet",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 CriOS/126.0 Mobile/15E148 Safari/604.1",
      "iPhone · Chrome",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0",
      "Windows · Edge",
    ],
    ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Linux · Firefox"],
    ["curl/8.0", ""],
  ];
  for (const [agent, name] of cases) assert.equal(deviceName(agent), name, agent);
});

test("the VAPID key's base64url text becomes its raw bytes whatever its padding", () => {
  assert.deepEqual([...base64UrlBytes("AQID")], [1, 2, 3]);
  assert.deepEqual([...base64UrlBytes("-_8")], [251, 255]);
  assert.deepEqual([...base64UrlBytes("AQ")], [1]);
});
