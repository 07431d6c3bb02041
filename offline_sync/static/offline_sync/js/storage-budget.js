// The storage budget of the driver app: how full the route-day budget (the server policy's 50 MB)
// is. The browser's estimate covers everything the app keeps (the shell cache, IndexedDB with its
// own overhead); our count covers the day's encrypted records only; the larger of the two is the
// honest figure. The warning also comes when the browser's own quota is nearly used up, on a
// phone short of space.

import { DAY_STORES } from "./storage-core.js";

export const STORAGE_WARNING_FRACTION = 0.8;

function recordBytes(record) {
  let bytes = 0;
  if (record.data) bytes += record.data.byteLength;
  if (record.blob) bytes += record.blob.size;
  return bytes;
}

// The bytes of one route day's encrypted records (`db`: the store's idb database).
export async function dayUsage(db, day) {
  let bytes = 0;
  for (const store of DAY_STORES) {
    for (const record of await db.getAllFromIndex(store, "day", day)) bytes += recordBytes(record);
  }
  return bytes;
}

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
