// The driver app's offline storage in IndexedDB (through the `idb` package): the one module the
// app and the service worker import. The store is built in layers, one idea per module:
//   storage-core.js    the schema, the keys, the plain meta records and the device session;
//   storage-queue.js   the day records: route, outbox, problems, media, GPS points;
//   storage-purge.js   the purge rules (the key goes first, orphans are cleaned up);
//   storage-budget.js  the storage budget and the browser's quota.
//
// Every record that holds driver or customer data is encrypted (crypto.js) with the key of its
// route day; the device token with the device key.

import { deleteDB } from "../../vendor/idb/index.js";
import { dayUsage } from "./storage-budget.js";
import { DB_NAME, openDatabase } from "./storage-core.js";
import { PurgingStore } from "./storage-purge.js";

export { measureStorage, STORAGE_WARNING_FRACTION, storageStatus } from "./storage-budget.js";
export { DB_NAME, taipeiDay } from "./storage-core.js";

export class LocalStore extends PurgingStore {
  // --- budget ----------------------------------------------------------------------------
  dayUsage(day) {
    return dayUsage(this.db, day);
  }
}

export async function openStore({ name = DB_NAME, now = () => Date.now() } = {}) {
  return new LocalStore(await openDatabase(name), now);
}

export async function deleteStore(name = DB_NAME) {
  await deleteDB(name);
}
