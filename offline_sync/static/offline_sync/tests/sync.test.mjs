import assert from "node:assert/strict";
import { test } from "node:test";

import { openStore } from "../js/storage.js";
import {
  BACKOFF_CAP_MS,
  HttpError,
  NetworkError,
  SyncManager,
  backoffDelay,
  isRetryable,
  localLocks,
} from "../js/sync.js";

let counter = 0;
const DAY = "2026-11-25";

// A server speaking the sync protocol in memory: results per action id, a stored first result
// for a repeated id, a per-device seq, scripted failures.
class ProtocolServer {
  constructor() {
    this.seen = new Map();
    this.expectedSeq = 1;
    this.failures = [];
    this.batches = [];
    this.media = [];
    this.points = [];
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.decide = () => ({ result: "applied" });
  }

  async push(actions) {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const failure = this.failures.shift();
      if (failure) throw failure;
      this.batches.push(actions.map((action) => action.seq));
      if (actions[0].seq > this.expectedSeq) throw new HttpError(409, { expected_seq: this.expectedSeq });
      const results = actions.map((action) => {
        if (!this.seen.has(action.id)) this.seen.set(action.id, { id: action.id, ...this.decide(action) });
        return this.seen.get(action.id);
      });
      this.expectedSeq = Math.max(this.expectedSeq, actions.at(-1).seq + 1);
      return { results };
    } finally {
      this.inFlight -= 1;
    }
  }

  async uploadMedia(media) {
    this.media.push(media);
  }

  async postLocations(points) {
    this.points.push(...points);
  }
}

function manualTimers() {
  const timers = [];
  return {
    timers,
    setTimer: (callback, ms) => timers.push({ callback, ms }) - 1,
    clearTimer: (handle) => {
      timers[handle] = null;
    },
  };
}

async function setup({ actions = 0, random = () => 0.5 } = {}) {
  counter += 1;
  const store = await openStore({ name: `sync-test-${counter}`, now: () => Date.parse("2026-11-25T02:00:00Z") });
  const server = new ProtocolServer();
  const timers = manualTimers();
  const events = [];
  const manager = new SyncManager({
    store,
    api: server,
    locks: localLocks(),
    random,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    onEvent: (event) => events.push(event),
  });
  const ids = [];
  for (let index = 0; index < actions; index += 1) {
    const id = crypto.randomUUID();
    ids.push(id);
    await store.enqueueAction(DAY, { id, type: "complete", stop: index + 1, base_version: 1, payload: {} });
  }
  return { store, server, manager, timers, events, ids };
}

test("the outbox goes out in batches of at most 10, in seq order, and ends empty", async () => {
  const { store, server, manager } = await setup({ actions: 23 });
  const outcome = await manager.sync();
  assert.equal(outcome.status, "ok");
  assert.equal(outcome.applied, 23);
  assert.deepEqual(
    server.batches.map((batch) => batch.length),
    [10, 10, 3],
  );
  assert.deepEqual(
    server.batches.flat(),
    Array.from({ length: 23 }, (_, index) => index + 1),
  );
  assert.equal((await store.outboxSummary()).actions, 0);
});

test("only one batch is ever in flight: a second sync while one runs is turned away", async () => {
  const { server, manager, timers } = await setup({ actions: 25 });
  const [first, second] = await Promise.all([manager.sync(), manager.sync()]);
  assert.deepEqual([first.status, second.status].sort(), ["busy", "ok"]);
  assert.deepEqual(
    timers.timers.map((timer) => timer.ms),
    [3000],
  ); // the turned-away one checks back
  assert.equal(server.maxInFlight, 1);
  assert.equal(server.seen.size, 25);
});

test("an action the server did not acknowledge stays queued and is retried later", async () => {
  const { store, server, manager, ids, timers } = await setup({ actions: 3 });
  server.push = async (actions) => ({
    results: actions.filter((action) => action.id !== ids[1]).map((action) => ({ id: action.id, result: "applied" })),
  });
  assert.equal((await manager.sync()).status, "retrying");
  assert.deepEqual(
    (await store.pendingActions()).map((action) => action.id),
    [ids[1]],
  );
  assert.equal(timers.timers.length, 1);
});

test("conflicts and rejections leave the queue, are kept with their reason and never resent", async () => {
  const { store, server, manager, ids } = await setup({ actions: 4 });
  server.decide = (action) => {
    if (action.id === ids[1])
      return { result: "conflict", reason: "stop_cancelled", server_state: { status: "cancelled" } };
    if (action.id === ids[2]) return { result: "rejected", errors: { cash_collected: ["must be ≥ 0"] } };
    return { result: "applied" };
  };
  const outcome = await manager.sync();
  assert.deepEqual([outcome.applied, outcome.conflict, outcome.rejected], [2, 1, 1]);
  assert.equal((await store.outboxSummary()).actions, 0);
  const problems = await store.listProblems();
  assert.deepEqual(
    problems.map((problem) => [problem.action.id, problem.outcome]).sort(),
    [
      [ids[1], "conflict"],
      [ids[2], "rejected"],
    ].sort(),
  );
  assert.equal(problems.find((problem) => problem.outcome === "conflict").result.reason, "stop_cancelled");
  await manager.sync();
  assert.equal(server.batches.length, 1);
});

test("a 503 keeps the queue and schedules a retry with backoff; the retry sends it", async () => {
  const { store, server, manager, timers } = await setup({ actions: 2 });
  server.failures.push(new HttpError(503, {}));
  const outcome = await manager.sync();
  assert.equal(outcome.status, "retrying");
  assert.equal((await store.outboxSummary()).actions, 2);
  assert.equal(timers.timers.length, 1);
  assert.equal(timers.timers[0].ms, 500); // attempt 0: random 0.5 × 1 s
  await timers.timers[0].callback();
  assert.equal((await store.outboxSummary()).actions, 0);
  assert.equal(server.seen.size, 2);
});

test("network errors and 429 are retried, growing the delay; Retry-After is honoured", async () => {
  const { manager, server, timers } = await setup({ actions: 1 });
  server.failures.push(new NetworkError("offline"), new NetworkError("offline"), new HttpError(429, {}, 90_000));
  assert.equal((await manager.sync()).delay, 500);
  assert.equal((await manager.sync()).delay, 1000);
  assert.equal((await manager.sync()).delay, 90_000);
  assert.equal(timers.timers.filter(Boolean).length, 1); // each new sync replaces the pending retry
  assert.equal((await manager.sync()).status, "ok");
  assert.equal(manager.attempt, 0);
});

test("the backoff doubles up to a cap of five minutes", () => {
  const top = () => 0.999999;
  assert.deepEqual(
    [0, 1, 2, 3, 8, 9, 20].map((attempt) => backoffDelay(attempt, { random: top })),
    [999, 1999, 3999, 7999, 255999, BACKOFF_CAP_MS - 1, BACKOFF_CAP_MS - 1],
  );
  assert.equal(backoffDelay(5, { random: () => 0 }), 250);
});

test("only network errors, 5xx and 429 are retryable", () => {
  assert.deepEqual(
    [new NetworkError("x"), new HttpError(500), new HttpError(502), new HttpError(429)].map(isRetryable),
    [true, true, true, true],
  );
  assert.deepEqual([new HttpError(400), new HttpError(401), new HttpError(409), new HttpError(422)].map(isRetryable), [
    false,
    false,
    false,
    false,
  ]);
});

test("a batch the server refuses for good (422) is kept as problems and the queue moves on", async () => {
  const { store, server, manager, timers } = await setup({ actions: 12 });
  server.failures.push(new HttpError(422, { detail: "id reused with a different body" }));
  const outcome = await manager.sync();
  assert.equal(outcome.status, "ok");
  assert.equal(outcome.rejected, 10);
  assert.equal(outcome.applied, 2);
  assert.equal((await store.listProblems()).length, 10);
  assert.equal(timers.timers.length, 0);
});

test("401 (device revoked) stops without retrying and keeps the queue", async () => {
  const { store, server, manager, timers, events } = await setup({ actions: 3 });
  server.failures.push(new HttpError(401, { detail: "revoked" }));
  assert.equal((await manager.sync()).status, "unauthorized");
  assert.equal((await store.outboxSummary()).actions, 3);
  assert.equal(timers.timers.length, 0);
  assert.ok(events.some((event) => event.type === "unauthorized"));
});

test("a seq gap (409) from a queue that lost actions is renumbered and resent", async () => {
  const { store, server, manager } = await setup({ actions: 4 });
  await store.removeActions([1, 2]); // e.g. purged
  const outcome = await manager.sync();
  assert.equal(outcome.applied, 2);
  assert.deepEqual(server.batches, [
    [3, 4],
    [1, 2],
  ]);
});

test("a lost response then a resend gets the stored results and nothing twice", async () => {
  const { store, server, manager, ids } = await setup({ actions: 3 });
  const push = server.push.bind(server);
  server.push = async (actions) => {
    await push(actions); // the server commits…
    server.push = push;
    throw new NetworkError("connection reset"); // …and the response is lost
  };
  assert.equal((await manager.sync()).status, "retrying");
  const outcome = await manager.sync();
  assert.equal(outcome.status, "ok");
  assert.equal(server.seen.size, 3);
  assert.deepEqual([...server.seen.keys()], ids);
  assert.equal((await store.outboxSummary()).actions, 0);
});

test("media is uploaded once its action is acknowledged, and GPS points are flushed", async () => {
  const { store, server, manager } = await setup();
  const actionId = crypto.randomUUID();
  // the app queues the action first, then stores its media
  await store.enqueueAction(DAY, { id: actionId, type: "attach_media", stop: 5, payload: { media: "m-1" } });
  await store.putMedia(DAY, {
    id: "m-1",
    stop: 5,
    actionId,
    kind: "photo",
    blob: new Blob(["jpeg"], { type: "image/jpeg" }),
  });
  await store.addLocation(DAY, { latitude: 25.01, longitude: 121.5, stop: 5 });
  await manager.uploadMedia();
  assert.equal(server.media.length, 0, "no upload while its action is queued");
  await manager.sync();
  assert.equal(server.media.length, 1);
  assert.equal(await server.media[0].blob.text(), "jpeg");
  assert.equal(server.media[0].stop, 5);
  assert.deepEqual(
    server.points.map((point) => point.latitude),
    [25.01],
  );
  assert.equal((await store.outboxSummary()).waiting, 0);
});

test("GPS points refused for a stop the office moved are sent again without their stops", async () => {
  const { store, server, manager } = await setup();
  await store.addLocation(DAY, { latitude: 25.01, longitude: 121.5, stop: 5 });
  await store.addLocation(DAY, { latitude: 25.02, longitude: 121.5, stop: 99 });
  const accepted = server.postLocations.bind(server);
  server.postLocations = async (points) => {
    if (points.some((point) => point.stop === 99))
      throw new HttpError(400, { code: "invalid", errors: { points: ["Unknown stops: 99"] } });
    return accepted(points);
  };
  await manager.sync();
  assert.deepEqual(
    server.points.map((point) => [point.seq, point.latitude, point.stop]),
    [
      [1, 25.01, null],
      [2, 25.02, null],
    ],
  );
  assert.equal((await store.locationBatch(10)).length, 0);
});
