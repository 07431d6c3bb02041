import assert from "node:assert/strict";
import { test } from "node:test";

import { openStore } from "../js/storage.js";

const DAY = 24 * 60 * 60 * 1000;
let counter = 0;

async function seededStore(clock) {
  counter += 1;
  const store = await openStore({ name: `purge-test-${counter}`, now: () => clock.now });
  await store.saveSession({ deviceId: "d-1", token: "t", driver: "陳建宏", username: "driver1" });
  for (const day of ["2026-11-17", "2026-11-18", "2026-11-25"]) {
    await store.saveRoute(day, { day, stops: [{ id: 1 }] });
    await store.enqueueAction(day, { id: crypto.randomUUID(), type: "skip", stop: 1, payload: {} });
    await store.putMedia(day, { id: `m-${day}`, stop: 1, actionId: "a", kind: "photo", blob: new Blob(["x"]) });
    await store.addLocation(day, { latitude: 25, longitude: 121 });
  }
  return store;
}

test("days older than seven days lose their key and every record", async () => {
  const clock = { now: Date.parse("2026-11-25T02:00:00Z") };
  const store = await seededStore(clock);
  const result = await store.purgeExpired({ days: 7 });
  assert.deepEqual(result.purged, ["2026-11-17"]);
  assert.deepEqual(await store.days(), ["2026-11-18", "2026-11-25"]);
  for (const name of ["routes", "outbox", "media", "locations"]) {
    const days = (await store.db.getAll(name)).map((record) => record.day).sort();
    assert.deepEqual(days, ["2026-11-18", "2026-11-25"], name);
  }
  assert.equal(result.sessionPurged, false);
  assert.equal((await store.loadSession()).token, "t");
});

test("after seven idle days everything goes, the device key included", async () => {
  const clock = { now: Date.parse("2026-11-25T02:00:00Z") };
  const store = await seededStore(clock);
  clock.now += 8 * DAY;
  const result = await store.purgeExpired({ days: 7 });
  assert.deepEqual(result.purged, ["2026-11-17", "2026-11-18", "2026-11-25"]);
  assert.equal(result.sessionPurged, true);
  assert.deepEqual(await store.db.getAll("keys"), []);
  for (const name of ["routes", "outbox", "media", "locations", "problems"]) {
    assert.deepEqual(await store.db.getAll(name), [], name);
  }
  assert.equal(await store.loadSession(), null);
});

test("the key is deleted before the data, so an interrupted purge leaves nothing readable", async () => {
  const clock = { now: Date.parse("2026-11-25T02:00:00Z") };
  const store = await seededStore(clock);
  // given: a purge cut short right after deleting the key (tab closed, phone died)
  const order = [];
  const original = store.deleteDayRecords.bind(store);
  store.deleteDayRecords = async () => {
    order.push("records");
    throw new Error("power cut");
  };
  const keyDelete = store.db.delete.bind(store.db);
  store.db.delete = async (name, key) => {
    if (name === "keys") order.push(`key ${key}`);
    return keyDelete(name, key);
  };
  await assert.rejects(store.purgeDay("2026-11-25"), /power cut/);
  assert.deepEqual(order, ["key day:2026-11-25", "records"]);
  // then: the records are still there but nothing can read them
  assert.equal((await store.db.getAll("routes")).filter((r) => r.day === "2026-11-25").length, 1);
  assert.equal(await store.loadRoute("2026-11-25"), null);
  assert.deepEqual(
    (await store.outboxBatch(10)).map((a) => a.day),
    ["2026-11-17", "2026-11-18"],
  );
  assert.equal(await store.getMedia("m-2026-11-25"), null);
  // and the next start finishes the job
  store.deleteDayRecords = original;
  const result = await store.purgeExpired({ days: 7 });
  assert.deepEqual(result.orphans, ["2026-11-25"]);
  for (const name of ["routes", "outbox", "media", "locations"]) {
    assert.ok(!(await store.db.getAll(name)).some((record) => record.day === "2026-11-25"), name);
  }
});

test("purgeAll wipes keys first and then every store", async () => {
  const clock = { now: Date.parse("2026-11-25T02:00:00Z") };
  const store = await seededStore(clock);
  await store.purgeAll();
  for (const name of ["keys", "meta", "routes", "outbox", "media", "locations"]) {
    assert.deepEqual(await store.db.getAll(name), [], name);
  }
});
