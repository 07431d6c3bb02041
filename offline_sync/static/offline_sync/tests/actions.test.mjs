import assert from "node:assert/strict";
import { test } from "node:test";

import { stopActions } from "../js/actions.js";

const stop = { id: 41, version: 3 };
const occurredAt = "2026-11-25T10:00:00+08:00";

function ids() {
  let next = 0;
  return () => `id-${++next}`;
}

test("a completed stop queues the outcome, then cash, empties and the note as their own actions", () => {
  const actions = stopActions({
    stop,
    type: "complete",
    cash: 950,
    empties: 2,
    note: "放在後門",
    occurredAt,
    newId: ids(),
  });
  const base = { stop: 41, base_version: 3, occurred_at: occurredAt };
  assert.deepEqual(actions, [
    { id: "id-1", type: "complete", ...base, payload: {} },
    { id: "id-2", type: "collect_cash", ...base, payload: { amount: 950 } },
    { id: "id-3", type: "collect_empties", ...base, payload: { count: 2 } },
    { id: "id-4", type: "note", ...base, payload: { text: "放在後門" } },
  ]);
});

test("nothing collected and no note: only the outcome", () => {
  const actions = stopActions({ stop, type: "complete", cash: 0, empties: 0, note: "", occurredAt, newId: ids() });
  assert.deepEqual(
    actions.map((action) => [action.type, action.payload]),
    [["complete", {}]],
  );
});

test("skip and fail carry the note as their reason and collect nothing", () => {
  for (const type of ["skip", "fail"]) {
    const actions = stopActions({ stop, type, cash: 950, empties: 1, note: "客戶不在家", occurredAt, newId: ids() });
    assert.deepEqual(
      actions.map((action) => [action.type, action.payload]),
      [[type, { reason: "客戶不在家" }]],
    );
  }
});

test("every action gets its own fresh UUID by default", () => {
  const actions = stopActions({ stop, type: "complete", cash: 1, empties: 1, note: "x", occurredAt });
  const unique = new Set(actions.map((action) => action.id));
  assert.equal(unique.size, 4);
  for (const id of unique) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
