import assert from "node:assert/strict";
import { test } from "node:test";

import { MESSAGES } from "../js/i18n.js";
import { queueStatus, scrollTopBelowBar } from "../js/status.js";

test("before the queue is read the status bar claims nothing", () => {
  assert.deepEqual(queueStatus({ loaded: false, waiting: 0, online: false }), {
    key: "queueChecking",
    className: "checking",
    values: {},
  });
});

test("offline with actions saved, the bar says they are on the phone waiting to sync", () => {
  assert.deepEqual(queueStatus({ loaded: true, waiting: 3, online: false }), {
    key: "savedOnPhone",
    className: "waiting",
    values: { count: 3 },
  });
  assert.equal(MESSAGES["zh-Hant"].savedOnPhone, "{count} 筆已存在手機，等待同步");
});

test("offline with nothing saved, the bar does not claim that everything is synced", () => {
  assert.deepEqual(queueStatus({ loaded: true, waiting: 0, online: false }), {
    key: "nothingWaiting",
    className: "synced",
    values: {},
  });
});

test("online, the bar counts what waits and says all synced only when nothing does", () => {
  assert.deepEqual(queueStatus({ loaded: true, waiting: 2, online: true }), {
    key: "waiting",
    className: "waiting",
    values: { count: 2 },
  });
  assert.deepEqual(queueStatus({ loaded: true, waiting: 0, online: true }), {
    key: "allSynced",
    className: "synced",
    values: {},
  });
});

test("a card is scrolled to just below the sticky status bar", () => {
  // given a card 900 px down the viewport of a page scrolled 400 px, under a 96 px bar
  assert.equal(scrollTopBelowBar({ itemTop: 900, scrollY: 400, barHeight: 96 }), 1196);
  // a card near the top never asks for a negative scroll
  assert.equal(scrollTopBelowBar({ itemTop: 20, scrollY: 0, barHeight: 96 }), 0);
});
