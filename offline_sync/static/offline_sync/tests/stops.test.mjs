import assert from "node:assert/strict";
import { test } from "node:test";

import {
  arrivalWindow,
  dropRemovedStops,
  effectiveStatus,
  isUnsynced,
  itemsText,
  keepLocalStatus,
  money,
  navLinks,
  nextPendingStop,
  problemText,
  telHref,
  visibleStops,
  wholeNumber,
} from "../js/stops.js";

const stop = (id, sequence, status = "pending", extra = {}) => ({
  id,
  sequence,
  status,
  customer_name: `C${id}`,
  ...extra,
});

test("the driver's latest unsynced outcome wins over the server's status", () => {
  const pending = [
    { stop: 1, type: "skip" },
    { stop: 1, type: "collect_cash" },
    { stop: 1, type: "complete" },
    { stop: 2, type: "note" },
  ];
  assert.equal(effectiveStatus(stop(1, 1), pending), "delivered");
  assert.equal(effectiveStatus(stop(2, 2), pending), "pending");
  assert.equal(effectiveStatus(stop(3, 3, "pending", { local_status: "failed" }), pending), "failed");
  assert.equal(effectiveStatus(stop(4, 4, "delivered"), []), "delivered");
});

test("a stop is unsynced while any of its actions waits in the outbox", () => {
  const pending = [{ stop: 2, type: "note" }];
  assert.equal(isUnsynced(stop(2, 1), pending), true);
  assert.equal(isUnsynced(stop(1, 1), pending), false);
});

test("the list shows the route's stops in sequence without the cancelled ones", () => {
  const route = { stops: [stop(1, 3), stop(2, 1, "cancelled"), stop(3, 2)] };
  assert.deepEqual(
    visibleStops(route).map((item) => item.id),
    [3, 1],
  );
  assert.deepEqual(visibleStops(null), []);
  assert.deepEqual(visibleStops({}), []);
});

test("the next stop is the first in sequence still pending for the driver", () => {
  const route = { stops: [stop(1, 1), stop(2, 2), stop(3, 3)] };
  assert.equal(nextPendingStop(route, [{ stop: 1, type: "complete" }]).id, 2);
  assert.equal(
    nextPendingStop(
      route,
      [1, 2, 3].map((id) => ({ stop: id, type: "fail" })),
    ),
    null,
  );
  assert.equal(nextPendingStop(null, []), null);
});

test("a fresh route keeps the driver's outcomes only where the server still says pending", () => {
  const previous = {
    stops: [stop(1, 1, "pending", { local_status: "delivered" }), stop(2, 2, "pending", { local_status: "skipped" })],
  };
  const fresh = { stops: [stop(1, 1, "pending"), stop(2, 2, "delivered"), stop(3, 3)] };
  keepLocalStatus(fresh, previous);
  assert.deepEqual(
    fresh.stops.map((item) => item.local_status),
    ["delivered", undefined, undefined],
  );
  const untouched = { stops: [stop(1, 1)] };
  keepLocalStatus(untouched, null);
  assert.equal(untouched.stops[0].local_status, undefined);
});

test("cancelled and removed stops leave the route and are named once", () => {
  const route = { stops: [stop(1, 1), stop(2, 2), stop(3, 3)] };
  const names = dropRemovedStops(route, [
    { kind: "stop_cancelled", stop: 1 },
    { kind: "stop_updated", stop: 2 },
    { kind: "stop_removed", stop: 3 },
    { kind: "stop_removed", stop: 99 },
  ]);
  assert.deepEqual(names, ["C1", "C3"]);
  assert.deepEqual(
    route.stops.map((item) => item.id),
    [2],
  );
  assert.deepEqual(dropRemovedStops(null, [{ kind: "stop_removed", stop: 1 }]), []);
});

test("a problem reads as its translated reason and every field error", () => {
  const translate = (key) => `«${key}»`;
  assert.equal(problemText({ reason: "stale" }, translate), "«reason_stale»");
  assert.equal(
    problemText({ message: "bad", errors: { amount: ["too big", "not whole"], note: "long" } }, translate),
    "bad — amount: too big not whole; note: long",
  );
  assert.equal(problemText({}, translate), "");
});

test("whole numbers from the form accept 0 to the maximum and name the field otherwise", () => {
  assert.equal(wholeNumber("1200", "Cash", 1000000), 1200);
  assert.equal(wholeNumber(" ", "Cash", 10), 0);
  assert.equal(wholeNumber(null, "Cash", 10), 0);
  assert.equal(wholeNumber("10", "Cash", 10), 10);
  for (const bad of ["11", "-1", "1.5", "abc"]) {
    assert.throws(() => wholeNumber(bad, "Cash", 10), { message: "Cash: 0 – 10" });
  }
});

test("items, phone links and amounts read the way the driver expects", () => {
  assert.equal(
    itemsText([
      { product: "20kg", quantity: 2 },
      { product: "16kg", quantity: 1 },
    ]),
    "20kg × 2、16kg × 1",
  );
  assert.equal(telHref("(02) 2345-6789 #12"), "tel:022345678912");
  assert.equal(telHref("+886 912 345 678"), "tel:+886912345678");
  assert.equal(money(1234567), "1,234,567");
  assert.equal(money(null), "0");
});

test("navLinks opens the maps app at the customer's coordinates with an https fallback", () => {
  const links = navLinks({ customer_name: "王小明 (店)", latitude: 25.033, longitude: 121.5654 });
  assert.equal(links.geo, `geo:25.033,121.5654?q=25.033,121.5654(${encodeURIComponent("王小明  店")})`);
  assert.equal(links.web, "https://www.google.com/maps/search/?api=1&query=25.033%2C121.5654");
});

test("navLinks is null without coordinates", () => {
  assert.equal(navLinks({ customer_name: "x", latitude: null, longitude: null }), null);
  assert.equal(navLinks({ customer_name: "x", latitude: 25.03 }), null);
});

test("arrivalWindow shows the planned window the customer was told", () => {
  assert.equal(arrivalWindow({ planned_arrival_start: "08:30", planned_arrival_end: "09:30" }), "08:30–09:30");
  assert.equal(arrivalWindow({ planned_arrival_start: "08:30", planned_arrival_end: null }), "08:30");
  assert.equal(arrivalWindow({ planned_arrival_start: null, planned_arrival_end: null }), null);
  assert.equal(arrivalWindow({}), null);
  assert.equal(arrivalWindow({ planned_arrival_start: "8:3<b>", planned_arrival_end: 930 }), null);
});
