import assert from "node:assert/strict";
import { test } from "node:test";

import { reconnectDelay } from "../js/backoff.js";

test("the delay doubles with each failed attempt, half of it random", () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, { random: () => 0 })),
    [500, 1000, 2000, 4000],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, { random: () => 1 })),
    [1000, 2000, 4000, 8000],
  );
});

test("the delay never exceeds 30 seconds however many attempts failed", () => {
  assert.equal(reconnectDelay(50, { random: () => 1 }), 30000);
  assert.equal(reconnectDelay(50, { random: () => 0 }), 15000);
});

test("two phones failing together wait different times", () => {
  const values = [0.1, 0.9];
  const delays = values.map((value) => reconnectDelay(4, { random: () => value }));
  assert.deepEqual(delays, [8800, 15200]);
});
