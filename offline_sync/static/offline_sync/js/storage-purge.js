// The purge rules of the driver app's offline storage. Purging a day deletes its key first, then
// its records, so a purge cut short leaves only ciphertext nobody can read, and the next start
// finishes it (records whose key is gone are deleted as orphans).

import { DAY_MS, DAY_STORES, DEVICE_KEY, dayKeyName, taipeiDay } from "./storage-core.js";
import { QueueStore } from "./storage-queue.js";

export class PurgingStore extends QueueStore {
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
