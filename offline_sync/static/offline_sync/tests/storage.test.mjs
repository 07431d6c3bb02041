import assert from "node:assert/strict";
import { test } from "node:test";

import { measureStorage, openStore, storageStatus, taipeiDay } from "../js/storage.js";

let counter = 0;
async function freshStore(now = () => Date.parse("2026-11-25T02:00:00Z")) {
  counter += 1;
  return openStore({ name: `storage-test-${counter}`, now });
}

function action(overrides = {}) {
  return {
    id: crypto.randomUUID(),
    type: "complete",
    stop: 41,
    base_version: 3,
    occurred_at: "2026-11-25T10:00:00+08:00",
    payload: { note: "放在門口" },
    ...overrides,
  };
}

test("taipeiDay uses the Taipei calendar date", () => {
  assert.equal(taipeiDay(Date.parse("2026-11-24T16:30:00Z")), "2026-11-25");
  assert.equal(taipeiDay(Date.parse("2026-11-24T15:30:00Z")), "2026-11-24");
});

test("queued actions get increasing gap-free seqs and come back in order", async () => {
  const store = await freshStore();
  const queued = [];
  for (let index = 0; index < 12; index += 1) queued.push(action({ stop: index }));
  const seqs = [];
  for (const item of queued) seqs.push(await store.enqueueAction("2026-11-25", item));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const batch = await store.outboxBatch(10);
  assert.equal(batch.length, 10);
  assert.deepEqual(
    batch.map((item) => [item.seq, item.id, item.stop]),
    queued.slice(0, 10).map((item, index) => [index + 1, item.id, item.stop]),
  );
  assert.deepEqual(batch[0].payload, { note: "放在門口" });
});

test("concurrent enqueues never share a seq", async () => {
  const store = await freshStore();
  const seqs = await Promise.all(
    Array.from({ length: 20 }, (_, index) => store.enqueueAction("2026-11-25", action({ stop: index }))),
  );
  assert.deepEqual(
    [...seqs].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, index) => index + 1),
  );
});

test("a stop's actions and photos are queued together with consecutive seqs", async () => {
  const store = await freshStore();
  await store.enqueueAction("2026-11-25", action());
  const visit = [action({ type: "complete" }), action({ type: "collect_cash" }), action({ type: "attach_media" })];
  const photo = {
    id: "m-1",
    stop: 41,
    actionId: visit[2].id,
    kind: "photo",
    blob: new Blob([new Uint8Array(300)], { type: "image/jpeg" }),
    sha256: "ab",
    width: 800,
    height: 600,
  };
  assert.deepEqual(await store.enqueueActions("2026-11-25", visit, { media: [photo] }), [2, 3, 4]);
  assert.deepEqual(
    (await store.outboxBatch(10)).map((item) => [item.seq, item.type]),
    [
      [1, "complete"],
      [2, "complete"],
      [3, "collect_cash"],
      [4, "attach_media"],
    ],
  );
  const stored = await store.getMedia("m-1");
  assert.equal(stored.actionId, visit[2].id);
  assert.equal(stored.blob.size, 300);
  assert.equal(await store.enqueueAction("2026-11-25", action()), 5);
});

test("when one of a stop's actions cannot be queued, none of them nor its photo is", async () => {
  const store = await freshStore();
  const queued = action();
  await store.enqueueAction("2026-11-25", queued);
  const visit = [action({ type: "complete" }), { ...action({ type: "note" }), id: queued.id }];
  const photo = { id: "m-2", stop: 41, actionId: visit[0].id, kind: "photo", blob: new Blob(["x"]), sha256: "ab" };
  await assert.rejects(store.enqueueActions("2026-11-25", visit, { media: [photo] }), { name: "ConstraintError" });
  assert.deepEqual(
    (await store.outboxBatch(10)).map((item) => item.id),
    [queued.id],
  );
  assert.equal(await store.getMedia("m-2"), null);
  assert.equal(await store.enqueueAction("2026-11-25", action()), 2);
});

test("records at rest hold no plaintext of the route, actions or token", async () => {
  const store = await freshStore();
  await store.saveSession({ deviceId: "d-1", token: "secret-token-value", driver: "陳建宏", username: "driver1" });
  await store.saveRoute("2026-11-25", { stops: [{ id: 1, customer: "王小明", phone: "0912345678" }] });
  await store.enqueueAction("2026-11-25", action({ payload: { note: "狗會咬人" } }));
  const dump = [];
  for (const name of ["meta", "routes", "outbox"]) {
    for (const record of await store.db.getAll(name)) {
      for (const value of Object.values(record)) {
        if (value instanceof ArrayBuffer) dump.push(Buffer.from(value).toString("utf8"));
        else dump.push(JSON.stringify(value));
      }
    }
  }
  const everything = dump.join("|");
  for (const secret of ["secret-token-value", "王小明", "0912345678", "狗會咬人", "陳建宏"]) {
    assert.ok(!everything.includes(secret), `${secret} stored in plain text`);
  }
  assert.deepEqual((await store.loadRoute("2026-11-25")).stops[0].customer, "王小明");
  assert.equal((await store.loadSession()).token, "secret-token-value");
});

test("media is stored as an encrypted Blob and dropped once uploaded", async () => {
  const store = await freshStore();
  const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3, 4]);
  const id = crypto.randomUUID();
  await store.putMedia("2026-11-25", {
    id,
    stop: 7,
    actionId: "a-1",
    kind: "signature",
    blob: new Blob([bytes], { type: "image/png" }),
    sha256: "x",
  });
  const raw = await store.db.get("media", id);
  assert.ok(raw.blob instanceof Blob);
  assert.notDeepEqual(new Uint8Array(await raw.blob.arrayBuffer()).slice(0, 8), bytes);
  const media = await store.getMedia(id);
  assert.equal(media.blob.type, "image/png");
  assert.deepEqual(new Uint8Array(await media.blob.arrayBuffer()), bytes);
  assert.equal((await store.outboxSummary()).media, 1);
  await store.markMediaUploaded(id);
  assert.equal(await store.getMedia(id), null);
  assert.equal((await store.outboxSummary()).media, 0);
  assert.deepEqual(
    (await store.mediaForStop(7)).map((item) => item.uploaded),
    [true],
  );
});

test("the summary counts waiting actions and gives the age of the oldest", async () => {
  let clock = Date.parse("2026-11-25T02:00:00Z");
  const store = await freshStore(() => clock);
  assert.deepEqual(await store.outboxSummary(), { actions: 0, media: 0, waiting: 0, oldestCreatedAt: null });
  await store.enqueueAction("2026-11-25", action());
  clock += 60_000;
  await store.enqueueAction("2026-11-25", action());
  const summary = await store.outboxSummary();
  assert.equal(summary.actions, 2);
  assert.equal(summary.oldestCreatedAt, Date.parse("2026-11-25T02:00:00Z"));
});

test("day usage adds up the encrypted bytes of that day only", async () => {
  const store = await freshStore();
  await store.putMedia("2026-11-25", {
    id: "m1",
    stop: 1,
    actionId: "a",
    kind: "photo",
    blob: new Blob([new Uint8Array(5000)]),
  });
  await store.putMedia("2026-11-24", {
    id: "m2",
    stop: 1,
    actionId: "b",
    kind: "photo",
    blob: new Blob([new Uint8Array(9000)]),
  });
  const usage = await store.dayUsage("2026-11-25");
  assert.ok(usage >= 5000 && usage < 5100, `usage ${usage}`);
});

test("renumbering keeps the order and continues the counter", async () => {
  const store = await freshStore();
  const ids = [];
  for (let index = 0; index < 3; index += 1) {
    const item = action();
    ids.push(item.id);
    await store.enqueueAction("2026-11-25", item);
  }
  await store.removeActions([1]);
  await store.renumberOutbox(1);
  assert.deepEqual(
    (await store.outboxBatch(10)).map((item) => [item.seq, item.id]),
    [
      [1, ids[1]],
      [2, ids[2]],
    ],
  );
  assert.equal(await store.enqueueAction("2026-11-25", action()), 3);
});

test("the seq counter only moves forward when the server is ahead", async () => {
  const store = await freshStore();
  await store.setNextSeqAtLeast(40);
  await store.setNextSeqAtLeast(12);
  assert.equal(await store.enqueueAction("2026-11-25", action()), 40);
});

test("GPS points are queued with their own sequence", async () => {
  const store = await freshStore();
  await store.addLocation("2026-11-25", { latitude: 25.03, longitude: 121.56, stop: 4 });
  await store.addLocation("2026-11-25", { latitude: 25.04, longitude: 121.57, stop: 4 });
  const points = await store.locationBatch(10);
  assert.deepEqual(
    points.map((point) => [point.seq, point.latitude]),
    [
      [1, 25.03],
      [2, 25.04],
    ],
  );
  await store.removeLocations([1]);
  assert.equal((await store.locationBatch(10)).length, 1);
});

const MB = 1024 * 1024;

test("storage use is shown against the 50 MB budget and warns from 80 %", () => {
  assert.deepEqual(storageStatus({ dayBytes: 10 * MB, budgetMb: 50 }), {
    usedBytes: 10 * MB,
    budgetBytes: 50 * MB,
    percent: 20,
    warning: false,
  });
  assert.equal(storageStatus({ dayBytes: 39.9 * MB, budgetMb: 50 }).warning, false);
  assert.deepEqual(storageStatus({ dayBytes: 40 * MB, budgetMb: 50 }), {
    usedBytes: 40 * MB,
    budgetBytes: 50 * MB,
    percent: 80,
    warning: true,
  });
  assert.equal(storageStatus({ dayBytes: 10 * MB, budgetMb: 10 }).percent, 100);
});

test("the browser's estimate counts when it is larger than the day's records", () => {
  const status = storageStatus({ dayBytes: 2 * MB, estimate: { usage: 41 * MB, quota: 2000 * MB }, budgetMb: 50 });
  assert.deepEqual([status.usedBytes, status.percent, status.warning], [41 * MB, 82, true]);
  const smaller = storageStatus({ dayBytes: 5 * MB, estimate: { usage: 1 * MB, quota: 2000 * MB }, budgetMb: 50 });
  assert.deepEqual([smaller.usedBytes, smaller.percent, smaller.warning], [5 * MB, 10, false]);
});

test("a phone whose browser quota is nearly used up warns even inside the budget", () => {
  const status = storageStatus({ dayBytes: 0, estimate: { usage: 9 * MB, quota: 10 * MB }, budgetMb: 50 });
  assert.deepEqual([status.percent, status.warning], [90, true]);
});

test("measuring adds up the day's records and asks the browser for its estimate", async () => {
  const store = await freshStore();
  await store.putMedia("2026-11-25", {
    id: "m1",
    stop: 1,
    actionId: "a",
    kind: "photo",
    blob: new Blob([new Uint8Array(3 * MB)]),
  });
  const withoutEstimate = await measureStorage(store, "2026-11-25", { budgetMb: 50, storage: {} });
  assert.ok(withoutEstimate.usedBytes >= 3 * MB && withoutEstimate.usedBytes < 3 * MB + 100);
  assert.equal(withoutEstimate.warning, false);
  const estimating = { estimate: async () => ({ usage: 45 * MB, quota: 1000 * MB }) };
  const estimated = await measureStorage(store, "2026-11-25", { budgetMb: 50, storage: estimating });
  assert.deepEqual([estimated.usedBytes, estimated.percent, estimated.warning], [45 * MB, 90, true]);
  const failing = { estimate: async () => Promise.reject(new Error("not allowed")) };
  assert.equal((await measureStorage(store, "2026-11-25", { budgetMb: 50, storage: failing })).warning, false);
});
