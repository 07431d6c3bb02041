import assert from "node:assert/strict";
import { test } from "node:test";

import { stopActions } from "../js/actions.js";
import { MESSAGES } from "../js/i18n.js";
import { MissingReasonError, SKIP_REASONS, skipReasonText } from "../js/skip.js";

test("a skip reason is written in Traditional Chinese with the driver's note after it", () => {
  assert.equal(skipReasonText("customer_absent", "  按門鈴沒人應 "), "客戶不在：按門鈴沒人應");
  assert.equal(skipReasonText("wrong_address"), "地址錯誤");
});

test("a skip without a chosen reason, or with an unknown one, is refused", () => {
  assert.throws(() => skipReasonText("", "note"), MissingReasonError);
  assert.throws(() => skipReasonText("bored"), MissingReasonError);
});

test("the reason never exceeds the 200 characters the server accepts", () => {
  const text = skipReasonText("other", "很".repeat(500));
  assert.equal(text.length, 200);
  assert.ok(text.startsWith("其他："));
});

test("every skip reason has a label in both languages", () => {
  for (const reason of SKIP_REASONS) {
    assert.ok(MESSAGES["zh-Hant"][`skipReason_${reason}`], `zh-Hant skipReason_${reason}`);
    assert.ok(MESSAGES.en[`skipReason_${reason}`], `en skipReason_${reason}`);
  }
});

test("the skip action carries the composed reason as its payload", () => {
  const reason = skipReasonText("no_access", "社區門禁");
  const [action] = stopActions({
    stop: { id: 7, version: 2 },
    type: "skip",
    cash: 0,
    empties: 0,
    note: "社區門禁",
    reason,
    occurredAt: "2026-12-04T10:00:00+08:00",
    newId: () => "id-1",
  });
  assert.deepEqual(action, {
    id: "id-1",
    type: "skip",
    stop: 7,
    base_version: 2,
    occurred_at: "2026-12-04T10:00:00+08:00",
    payload: { reason: "無法進入（門禁、封路）：社區門禁" },
  });
});
