import assert from "node:assert/strict";
import { test } from "node:test";

import { ago, comparison, format, formatDate, formatDateTime, percentWidth, pick, pushAction } from "../format.js";

const t = { seconds: "%s 秒", minutes: "%s 分鐘", updatedAgo: "%s前更新" };

test("dates read as Taiwan writes them, and moments in Taipei time", () => {
  assert.equal(formatDate("2026-12-04"), "2026/12/04");
  assert.equal(formatDate("2026-12-04T23:30:00Z"), "2026/12/04");
  assert.equal(formatDate(""), "");
  assert.equal(formatDateTime("2026-12-04T16:05:00Z"), "2026/12/05 00:05");
  assert.equal(formatDateTime(null, "從未"), "從未");
});

test("values are formatted by kind: whole TWD, dates, grouped numbers, a dash for nothing", () => {
  assert.equal(format(1234567, "money").replace(/\s/g, ""), "$1,234,567");
  assert.equal(format(1234.6), "1,235");
  assert.equal(format("2026-01-02", "date"), "2026/01/02");
  assert.equal(format(null), "–");
  assert.equal(format(undefined, "money"), "–");
  assert.equal(format("text"), "text");
});

test("a dotted path picks a nested value, undefined when a step is missing", () => {
  const data = { offline_sync: { max_lag_seconds: 12, none: null } };
  assert.equal(pick(data, "offline_sync.max_lag_seconds"), 12);
  assert.equal(pick(data, "offline_sync.none.deeper"), undefined);
  assert.equal(pick(data, "missing.path"), undefined);
});

test("the age says seconds under two minutes, minutes after", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  assert.equal(ago("2026-12-04T11:59:15Z", t, now), "45 秒前更新");
  assert.equal(ago("2026-12-04T11:58:01Z", t, now), "119 秒前更新");
  assert.equal(ago("2026-12-04T11:50:00Z", t, now), "10 分鐘前更新");
  assert.equal(ago("2026-12-04T12:00:05Z", t, now), "0 秒前更新");
});

test("a KPI's change shows its percentage and whether it is good", () => {
  assert.deepEqual(comparison(120, 100), { text: "▲ 20%", good: true });
  assert.deepEqual(comparison(80, 100), { text: "▼ 20%", good: false });
  assert.deepEqual(comparison(3, 5, { inverse: true }), { text: "▼ 40%", good: true });
  assert.deepEqual(comparison(1500, 0), { text: "▲ 1,500", good: true });
  assert.deepEqual(comparison(100, 100, { inverse: true }), { text: "▲ 0%", good: true });
});

test("a push is applied in order, skipped when old and triggers a resync after a gap", () => {
  assert.equal(pushAction(undefined, 7), "apply");
  assert.equal(pushAction(6, 7), "apply");
  assert.equal(pushAction(7, 7), "skip");
  assert.equal(pushAction(8, 7), "skip");
  assert.equal(pushAction(5, 7), "resync");
});

test("progress widths are whole percentages, zero without stops", () => {
  assert.equal(percentWidth(1, 3), "33%");
  assert.equal(percentWidth(0, 0), "0");
  assert.equal(percentWidth(5, 5), "100%");
});
