// The driver app's offline storage in IndexedDB (through the `idb` package).
//
// Every record that holds driver or customer data is encrypted (crypto.js) with the key of its
// route day; the device token with the device key. Purging a day deletes its key first, then
// its records, so a purge cut short leaves only ciphertext nobody can read, and the next start
// finishes it (records whose key is gone are deleted as orphans).

import { openDB, deleteDB } from "../../vendor/idb/index.js";
import { decryptBlob, decryptJson, encryptBlob, encryptJson, generateKey } from "./crypto.js";

export const DB_NAME = "luckygas-driver";
const DB_VERSION = 1;
const DAY_STORES = ["routes", "outbox", "problems", "media", "locations"];
const DEVICE_KEY = "device";
const DAY_MS = 24 * 60 * 60 * 1000;

export function taipeiDay(timestamp) {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Taipei" }).format(new Date(timestamp));
}

function dayKeyName(day) {
  return `day:${day}`;
}

function recordBytes(record) {
  let bytes = 0;
  if (record.data) bytes += record.data.byteLength;
  if (record.blob) bytes += record.blob.size;
  return bytes;
}

// How full the route-day budget (the server policy's 50 MB) is. The browser's estimate covers
// everything the app keeps (the shell cache, IndexedDB with its own overhead); our count covers
// the day's encrypted records only; the larger of the two is the honest figure. The warning
// also comes when the browser's own quota is nearly used up, on a phone short of space.
// A photo or signature as stored: its metadata in the clear, the bytes sealed with the day key.
function mediaRecord(day, { id, stop, actionId, kind, blob, sha256, width, height }, sealed, createdAt) {
  return {
    id,
    day,
    stop,
    actionId,
    kind,
    sha256,
    width,
    height,
    size: blob.size,
    uploaded: false,
    createdAt,
    ...sealed,
  };
}

export const STORAGE_WARNING_FRACTION = 0.8;

export function storageStatus({ dayBytes = 0, estimate = null, budgetMb = 50 } = {}) {
  const budgetBytes = budgetMb * 1024 * 1024;
  const browserUsage = estimate && Number.isFinite(estimate.usage) ? estimate.usage : 0;
  const usedBytes = Math.max(dayBytes, browserUsage);
  const ofBudget = usedBytes / budgetBytes;
  const ofQuota = estimate && estimate.quota > 0 ? browserUsage / estimate.quota : 0;
  const fullest = Math.max(ofBudget, ofQuota);
  return {
    usedBytes,
    budgetBytes,
    percent: Math.round(fullest * 100),
    warning: fullest >= STORAGE_WARNING_FRACTION,
  };
}

export async function measureStorage(store, day, { budgetMb = 50, storage = globalThis.navigator?.storage } = {}) {
  const dayBytes = day ? await store.dayUsage(day) : 0;
  let estimate = null;
  if (storage && storage.estimate) {
    try {
      estimate = await storage.estimate();
    } catch {
      // No estimate (an old browser, a private window): our own count stands.
    }
  }
  return storageStatus({ dayBytes, estimate, budgetMb });
}

export async function openStore({ name = DB_NAME, now = () => Date.now() } = {}) {
  const db = await openDB(name, DB_VERSION, {
    upgrade(database) {
      database.createObjectStore("keys", { keyPath: "name" });
      database.createObjectStore("meta", { keyPath: "name" });
      database.createObjectStore("routes", { keyPath: "day" }).createIndex("day", "day");
      const outbox = database.createObjectStore("outbox", { keyPath: "seq" });
      outbox.createIndex("day", "day");
      outbox.createIndex("id", "id", { unique: true });
      database.createObjectStore("problems", { keyPath: "id" }).createIndex("day", "day");
      const media = database.createObjectStore("media", { keyPath: "id" });
      media.createIndex("day", "day");
      database.createObjectStore("locations", { keyPath: "seq" }).createIndex("day", "day");
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it.
      db.close();
    },
  });
  return new LocalStore(db, now);
}

export async function deleteStore(name = DB_NAME) {
  await deleteDB(name);
}

export class LocalStore {
  constructor(db, now) {
    this.db = db;
    this.now = now;
  }

  close() {
    this.db.close();
  }

  // --- keys ------------------------------------------------------------------------------
  async key(name, { create = false } = {}) {
    const existing = await this.db.get("keys", name);
    if (existing || !create) return existing ? existing.key : null;
    const key = await generateKey();
    try {
      await this.db.add("keys", { name, key, createdAt: this.now() });
      return key;
    } catch (error) {
      if (error.name !== "ConstraintError") throw error;
      // Another tab or the service worker created it first: use theirs.
      return (await this.db.get("keys", name)).key;
    }
  }

  dayKey(day, options) {
    return this.key(dayKeyName(day), options);
  }

  async days() {
    const names = await this.db.getAllKeys("keys");
    return names
      .filter((name) => name.startsWith("day:"))
      .map((name) => name.slice(4))
      .sort();
  }

  // --- meta (plain, nothing sensitive) ----------------------------------------------------
  async getMeta(name, fallback = null) {
    const record = await this.db.get("meta", name);
    return record ? record.value : fallback;
  }

  setMeta(name, value) {
    return this.db.put("meta", { name, value });
  }

  // --- session ---------------------------------------------------------------------------
  async saveSession({ deviceId, token, driver, username }) {
    const key = await this.key(DEVICE_KEY, { create: true });
    const sealed = await encryptJson(key, { token, driver, username });
    const tx = this.db.transaction("meta", "readwrite");
    await tx.store.put({ name: "device_id", value: deviceId });
    await tx.store.put({ name: "session", value: sealed });
    await tx.store.put({ name: "last_active_at", value: this.now() });
    await tx.done;
  }

  async loadSession() {
    const [key, sealed, deviceId] = await Promise.all([
      this.key(DEVICE_KEY),
      this.getMeta("session"),
      this.getMeta("device_id"),
    ]);
    if (!key || !sealed) return null;
    return { deviceId, ...(await decryptJson(key, sealed)) };
  }

  async touch() {
    await this.setMeta("last_active_at", this.now());
  }

  async deviceId() {
    let deviceId = await this.getMeta("device_id");
    if (!deviceId) {
      deviceId = crypto.randomUUID();
      await this.setMeta("device_id", deviceId);
    }
    return deviceId;
  }

  // --- routes ----------------------------------------------------------------------------
  async saveRoute(day, route) {
    const key = await this.dayKey(day, { create: true });
    const sealed = await encryptJson(key, route);
    await this.db.put("routes", { day, ...sealed, savedAt: this.now() });
  }

  async loadRoute(day) {
    const [key, record] = await Promise.all([this.dayKey(day), this.db.get("routes", day)]);
    if (!key || !record) return null;
    return { ...(await decryptJson(key, record)), savedAt: record.savedAt };
  }

  // --- outbox ----------------------------------------------------------------------------
  // `action`: {id, type, stop, base_version, occurred_at, payload}. The per-device `seq` is
  // allocated in the same transaction that queues it, so it is gap-free and increasing.
  async enqueueAction(day, action) {
    const [seq] = await this.enqueueActions(day, [action]);
    return seq;
  }

  // Several actions (and the photos they attach) in one transaction: all queued, with
  // consecutive seqs, or none. Encryption happens first: an IndexedDB transaction commits
  // itself as soon as it waits on anything else.
  async enqueueActions(day, actions, { media = [] } = {}) {
    const key = await this.dayKey(day, { create: true });
    const sealedActions = await Promise.all(actions.map((action) => encryptJson(key, action)));
    const sealedMedia = await Promise.all(media.map((item) => encryptBlob(key, item.blob)));
    const createdAt = this.now();
    const tx = this.db.transaction(["meta", "outbox", "media"], "readwrite");
    const meta = tx.objectStore("meta");
    const first = ((await meta.get("next_seq")) || { value: 1 }).value;
    const seqs = actions.map((_, index) => first + index);
    const writes = actions.map((action, index) =>
      tx.objectStore("outbox").add({
        seq: seqs[index],
        id: action.id,
        day,
        stop: action.stop,
        type: action.type,
        createdAt,
        ...sealedActions[index],
      }),
    );
    media.forEach((item, index) => {
      writes.push(tx.objectStore("media").put(mediaRecord(day, item, sealedMedia[index], createdAt)));
    });
    writes.push(meta.put({ name: "next_seq", value: first + actions.length }));
    try {
      await Promise.all(writes);
      await tx.done;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failed request.
      }
      await tx.done.catch(() => {});
      throw error;
    }
    return seqs;
  }

  async outboxBatch(limit) {
    const records = await this.db.getAll("outbox", null, limit);
    const actions = [];
    for (const record of records) {
      const key = await this.dayKey(record.day);
      if (!key) continue; // purged day: the orphan clean-up removes it
      actions.push({ ...(await decryptJson(key, record)), seq: record.seq, day: record.day });
    }
    return actions;
  }

  async pendingActions() {
    const records = await this.db.getAll("outbox");
    return records.map(({ seq, id, day, stop, type, createdAt }) => ({ seq, id, day, stop, type, createdAt }));
  }

  async removeActions(seqs) {
    const tx = this.db.transaction("outbox", "readwrite");
    await Promise.all(seqs.map((seq) => tx.store.delete(seq)));
    await tx.done;
  }

  // The server expects a lower `seq` than our oldest queued action (our queue lost some, e.g.
  // to a purge): renumber what is queued from the expected value, keeping the order.
  async renumberOutbox(expected) {
    const tx = this.db.transaction(["meta", "outbox"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const records = await outbox.getAll();
    for (const record of records) await outbox.delete(record.seq);
    let seq = expected;
    for (const record of records) await outbox.add({ ...record, seq: seq++ });
    await tx.objectStore("meta").put({ name: "next_seq", value: seq });
    await tx.done;
  }

  // After a reinstall the server may already be past our counter: never reuse a seq.
  async setNextSeqAtLeast(value) {
    const tx = this.db.transaction("meta", "readwrite");
    const current = ((await tx.store.get("next_seq")) || { value: 1 }).value;
    if (value > current) await tx.store.put({ name: "next_seq", value });
    await tx.done;
  }

  async outboxSummary() {
    const records = await this.db.getAll("outbox");
    const media = (await this.db.getAll("media")).filter((item) => !item.uploaded);
    const times = [...records.map((r) => r.createdAt), ...media.map((m) => m.createdAt)];
    return {
      actions: records.length,
      media: media.length,
      waiting: records.length + media.length,
      oldestCreatedAt: times.length ? Math.min(...times) : null,
    };
  }

  // --- problems: rejected and conflicting actions, kept for the driver to read -----------
  async recordProblem(action, result) {
    const key = await this.dayKey(action.day, { create: true });
    const sealed = await encryptJson(key, { action, result });
    await this.db.put("problems", {
      id: action.id,
      day: action.day,
      stop: action.stop,
      type: action.type,
      outcome: result.result,
      createdAt: this.now(),
      ...sealed,
    });
  }

  async listProblems() {
    const records = await this.db.getAll("problems");
    const problems = [];
    for (const record of records) {
      const key = await this.dayKey(record.day);
      if (!key) continue;
      problems.push({ ...(await decryptJson(key, record)), id: record.id, outcome: record.outcome });
    }
    return problems;
  }

  dismissProblem(id) {
    return this.db.delete("problems", id);
  }

  // --- media (photos and signatures, encrypted Blobs) -------------------------------------
  async putMedia(day, item) {
    const key = await this.dayKey(day, { create: true });
    await this.db.put("media", mediaRecord(day, item, await encryptBlob(key, item.blob), this.now()));
  }

  async getMedia(id) {
    const record = await this.db.get("media", id);
    if (!record || !record.blob) return null;
    const key = await this.dayKey(record.day);
    if (!key) return null;
    const { iv, blob, type, ...rest } = record;
    return { ...rest, blob: await decryptBlob(key, { iv, blob, type }) };
  }

  async pendingMedia() {
    const records = await this.db.getAll("media");
    return records.filter((record) => !record.uploaded).map(({ blob, iv, ...rest }) => rest);
  }

  // Once the server holds the bytes, the local copy is dropped (only a marker is kept).
  async markMediaUploaded(id) {
    const tx = this.db.transaction("media", "readwrite");
    const record = await tx.store.get(id);
    if (record) {
      await tx.store.put({ id, day: record.day, stop: record.stop, kind: record.kind, uploaded: true });
    }
    await tx.done;
  }

  async mediaForStop(stop) {
    const records = await this.db.getAll("media");
    return records.filter((record) => record.stop === stop).map(({ blob, iv, ...rest }) => rest);
  }

  // --- GPS points ------------------------------------------------------------------------
  async addLocation(day, point) {
    const key = await this.dayKey(day, { create: true });
    const sealed = await encryptJson(key, point);
    const tx = this.db.transaction(["meta", "locations"], "readwrite");
    const meta = tx.objectStore("meta");
    const seq = ((await meta.get("next_point_seq")) || { value: 1 }).value;
    await tx.objectStore("locations").add({ seq, day, ...sealed });
    await meta.put({ name: "next_point_seq", value: seq + 1 });
    await tx.done;
    return seq;
  }

  async locationBatch(limit) {
    const records = await this.db.getAll("locations", null, limit);
    const points = [];
    for (const record of records) {
      const key = await this.dayKey(record.day);
      if (!key) continue;
      points.push({ ...(await decryptJson(key, record)), seq: record.seq });
    }
    return points;
  }

  async removeLocations(seqs) {
    const tx = this.db.transaction("locations", "readwrite");
    await Promise.all(seqs.map((seq) => tx.store.delete(seq)));
    await tx.done;
  }

  // --- budget ----------------------------------------------------------------------------
  async dayUsage(day) {
    let bytes = 0;
    for (const store of DAY_STORES) {
      for (const record of await this.db.getAllFromIndex(store, "day", day)) bytes += recordBytes(record);
    }
    return bytes;
  }

  // --- purge -----------------------------------------------------------------------------
  async purgeDay(day) {
    // The key goes first, in its own committed transaction.
    await this.db.delete("keys", dayKeyName(day));
    await this.deleteDayRecords(day);
  }

  async deleteDayRecords(day) {
    const tx = this.db.transaction(DAY_STORES, "readwrite");
    for (const store of DAY_STORES) {
      const index = tx.objectStore(store).index("day");
      for (let cursor = await index.openCursor(day); cursor; cursor = await cursor.continue()) {
        await cursor.delete();
      }
    }
    await tx.done;
  }

  // Deletes every route day older than `days` days (Taipei dates), the device key and session
  // when the app has not been used for `days` days, and records left by an interrupted purge.
  async purgeExpired({ days = 7 } = {}) {
    const now = this.now();
    const cutoff = taipeiDay(now - days * DAY_MS);
    const purged = [];
    for (const day of await this.days()) {
      if (day < cutoff) {
        await this.purgeDay(day);
        purged.push(day);
      }
    }
    const lastActive = await this.getMeta("last_active_at");
    let sessionPurged = false;
    if (lastActive !== null && now - lastActive > days * DAY_MS) {
      await this.db.delete("keys", DEVICE_KEY);
      const tx = this.db.transaction("meta", "readwrite");
      await tx.store.delete("session");
      await tx.store.delete("last_active_at");
      await tx.done;
      sessionPurged = true;
    }
    // Orphans: records of a day whose key is gone (a purge cut short).
    const liveDays = new Set(await this.days());
    const orphanDays = new Set();
    for (const store of DAY_STORES) {
      for (const day of await this.indexDays(store)) {
        if (!liveDays.has(day)) orphanDays.add(day);
      }
    }
    for (const day of orphanDays) await this.deleteDayRecords(day);
    return { purged, sessionPurged, orphans: [...orphanDays] };
  }

  async indexDays(store) {
    const days = new Set();
    const tx = this.db.transaction(store);
    const index = tx.store.index("day");
    for (let cursor = await index.openKeyCursor(null, "nextunique"); cursor; cursor = await cursor.continue()) {
      days.add(cursor.key);
    }
    await tx.done;
    return days;
  }

  async purgeAll() {
    const tx = this.db.transaction("keys", "readwrite");
    await tx.store.clear();
    await tx.done;
    const stores = ["meta", ...DAY_STORES];
    const wipe = this.db.transaction(stores, "readwrite");
    await Promise.all(stores.map((store) => wipe.objectStore(store).clear()));
    await wipe.done;
  }
}
