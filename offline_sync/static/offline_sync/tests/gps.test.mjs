import assert from "node:assert/strict";
import { test } from "node:test";

import { LocationTracker, OFFLINE_INTERVAL_SECONDS, isStill, samplingIntervalMs } from "../js/gps.js";
import { openStore } from "../js/storage.js";

const DAY = "2026-11-25";
const START = Date.parse("2026-11-25T02:00:00Z");
let counter = 0;

// Stands in for navigator.geolocation (a browser API): remembers each watch and its options,
// and lets the test deliver fixes to the active one.
class FakeGeolocation {
  constructor() {
    this.watches = [];
    this.cleared = [];
  }

  watchPosition(success, _error, options) {
    this.watches.push({ success, options });
    return this.watches.length;
  }

  clearWatch(id) {
    this.cleared.push(id);
  }

  get active() {
    return this.watches.filter((_, index) => !this.cleared.includes(index + 1));
  }
}

async function setup({ onlineSeconds = 10, stop = 7 } = {}) {
  counter += 1;
  const clock = { now: START, online: true, stop };
  const store = await openStore({ name: `gps-test-${counter}`, now: () => clock.now });
  const geolocation = new FakeGeolocation();
  const tracker = new LocationTracker({
    store,
    dayOf: () => DAY,
    currentStop: () => clock.stop,
    onlineIntervalSeconds: () => onlineSeconds,
    isOnline: () => clock.online,
    geolocation,
    now: () => clock.now,
  });
  return { clock, store, geolocation, tracker };
}

// A fix `metres` north of Taipei 101 (about 111 km per degree of latitude).
function fix(metres = 0, { speed = null, accuracy = 10 } = {}) {
  return { coords: { latitude: 25.033964 + metres / 111_195, longitude: 121.564468, accuracy, speed } };
}

async function deliver(setupResult, seconds, position) {
  setupResult.clock.now = START + seconds * 1000;
  return setupResult.tracker.onPosition(position);
}

test("online, one point is kept per policy interval", async () => {
  const world = await setup({ onlineSeconds: 10 });
  const kept = [];
  for (const [second, metres] of [
    [0, 0],
    [4, 50],
    [9, 100],
    [10, 150],
    [15, 200],
    [21, 250],
  ]) {
    if (await deliver(world, second, fix(metres))) kept.push(second);
  }
  assert.deepEqual(kept, [0, 10, 21]);
  const points = await world.store.locationBatch(10);
  assert.deepEqual(
    points.map((point) => [point.seq, point.recorded_at, point.stop]),
    [
      [1, "2026-11-25T02:00:00.000Z", 7],
      [2, "2026-11-25T02:00:10.000Z", 7],
      [3, "2026-11-25T02:00:21.000Z", 7],
    ],
  );
});

test("offline, a point is kept every 30 s whatever the online interval", async () => {
  const world = await setup({ onlineSeconds: 5 });
  world.clock.online = false;
  const kept = [];
  for (let second = 0; second <= 95; second += 5) {
    if (await deliver(world, second, fix(second * 10))) kept.push(second);
  }
  assert.equal(OFFLINE_INTERVAL_SECONDS, 30);
  assert.deepEqual(kept, [0, 30, 60, 90]);
});

test("each point carries the stop that was current when it was taken", async () => {
  const world = await setup({ onlineSeconds: 1 });
  await deliver(world, 0, fix(0));
  world.clock.stop = 12;
  await deliver(world, 2, fix(100));
  world.clock.stop = null;
  await deliver(world, 4, fix(200));
  const points = await world.store.locationBatch(10);
  assert.deepEqual(
    points.map((point) => point.stop),
    [7, 12, null],
  );
  assert.deepEqual(
    points.map((point) => point.accuracy_m),
    [10, 10, 10],
  );
});

test("standing still drops high accuracy, moving again brings it back", async () => {
  const world = await setup({ onlineSeconds: 1 });
  world.tracker.start();
  world.tracker.start(); // a second visibilitychange does not add a watch
  assert.equal(world.geolocation.watches.length, 1);
  assert.equal(world.geolocation.watches[0].options.enableHighAccuracy, true);
  await deliver(world, 0, fix(0));
  await deliver(world, 5, fix(3)); // 3 m in 5 s: standing at the customer's door
  assert.deepEqual(
    world.geolocation.active.map((watch) => watch.options.enableHighAccuracy),
    [false],
  );
  await deliver(world, 10, fix(5, { accuracy: 40 })); // coarse fix jitter is not movement
  assert.deepEqual(
    world.geolocation.active.map((watch) => watch.options.enableHighAccuracy),
    [false],
  );
  await deliver(world, 15, fix(300)); // driving off
  assert.deepEqual(
    world.geolocation.active.map((watch) => watch.options.enableHighAccuracy),
    [true],
  );
  await deliver(world, 20, fix(300, { speed: 0.2 })); // the reported speed wins over distance
  assert.deepEqual(
    world.geolocation.active.map((watch) => watch.options.enableHighAccuracy),
    [false],
  );
  world.tracker.stop();
  assert.equal(world.geolocation.active.length, 0);
});

test("isStill and the interval rules on their own", () => {
  const here = { latitude: 25.0, longitude: 121.5 };
  assert.equal(isStill(null, { ...here, accuracy: 5 }), false);
  assert.equal(isStill(here, { latitude: 25.0001, longitude: 121.5, accuracy: 5 }), true); // 11 m
  assert.equal(isStill(here, { latitude: 25.0002, longitude: 121.5, accuracy: 5 }), false); // 22 m
  assert.equal(isStill(here, { latitude: 25.0002, longitude: 121.5, accuracy: 30 }), true);
  assert.equal(isStill(here, { ...here, speed: 3 }), false);
  assert.equal(samplingIntervalMs({ online: true, onlineSeconds: 45 }), 45_000);
  assert.equal(samplingIntervalMs({ online: true, onlineSeconds: undefined }), 30_000);
  assert.equal(samplingIntervalMs({ online: false, onlineSeconds: 45 }), 30_000);
});
