// The core of the driver app's offline storage: the IndexedDB schema (through the `idb`
// package), the encryption keys, the plain meta records and the device session. The outbox and
// the other day records (storage-queue.js), the purge rules (storage-purge.js) and the storage
// budget (storage-budget.js) build on it; storage.js puts them together.
//
// Every record that holds driver or customer data is encrypted (crypto.js) with the key of its
// route day; the device token with the device key.

import { openDB } from "../../vendor/idb/index.js";
import { decryptJson, encryptJson, generateKey } from "./crypto.js";

export const DB_NAME = "luckygas-driver";
const DB_VERSION = 1;
export const DAY_STORES = ["routes", "outbox", "problems", "media", "locations"];
export const DEVICE_KEY = "device";
export const DAY_MS = 24 * 60 * 60 * 1000;

export function taipeiDay(timestamp) {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Taipei" }).format(new Date(timestamp));
}

export function dayKeyName(day) {
  return `day:${day}`;
}

export async function openDatabase(name) {
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
  return db;
}

export class CoreStore {
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
}
