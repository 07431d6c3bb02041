import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { setLanguage } from "../js/i18n.js";
import { notificationsFor } from "../js/notify.js";

afterEach(() => setLanguage("zh-Hant"));

test("resolved conflicts and route changes each get one notification", () => {
  const changes = [
    { kind: "stop_cancelled", stop: 3 },
    { kind: "conflict_resolved", stop: 4 },
    { kind: "route_changed", stop: null },
    { kind: "stop_added", stop: 9 },
  ];
  assert.deepEqual(notificationsFor(changes), [
    { tag: "conflict_resolved", title: "衝突已處理", body: "辦公室已處理 1 筆衝突，請打開 App 查看。" },
    { tag: "route_changed", title: "路線已更新", body: "辦公室更動了您的路線（3 項），請打開 App 查看。" },
  ]);
});

test("notifications follow the driver's language", () => {
  setLanguage("en");
  assert.deepEqual(notificationsFor([{ kind: "conflict_resolved" }, { kind: "conflict_resolved" }]), [
    {
      tag: "conflict_resolved",
      title: "Conflict resolved",
      body: "The office resolved 2 conflict(s): open the app to see.",
    },
  ]);
});

test("a push whose changes cannot be read still shows a plain notification", () => {
  assert.deepEqual(notificationsFor([]), [
    { tag: "luckygas", title: "幸福氣體 司機", body: "有新的更動，請打開 App 查看。" },
  ]);
});

test("no customer data reaches a lock-screen notification", () => {
  const changes = [
    { kind: "stop_cancelled", stop: 3, data: { customer_name: "王小明", address: "台北市信義路五段7號" } },
  ];
  const text = JSON.stringify(notificationsFor(changes));
  assert.ok(!text.includes("王小明") && !text.includes("信義路"), text);
});
