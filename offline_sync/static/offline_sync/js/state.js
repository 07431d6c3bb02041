// The driver app's one shared state, read and changed by every screen module.

import { storageStatus, taipeiDay } from "./storage.js";

export const DEFAULT_POLICY = {
  batch_size: 10,
  purge_after_days: 7,
  storage_budget_mb: 50,
  gps_interval_online_seconds: 30,
};

export const state = {
  store: null,
  api: null,
  sync: null,
  session: null,
  day: null,
  route: null,
  routeMissing: false,
  policy: DEFAULT_POLICY,
  view: "login",
  stopId: null,
  summary: { waiting: 0, oldestCreatedAt: null },
  summaryLoaded: false,
  pending: [],
  problems: [],
  storage: storageStatus(),
  syncing: false,
  notice: null,
  // The notice "… saved; it syncs when online" and what it says once the queue is empty.
  savedNotice: null,
  updateReady: false,
  socket: null,
  socketAttempt: 0,
  tracker: null,
  hadController: false,
};

export const today = () => taipeiDay(Date.now());
