// The day records of the driver app's offline storage: the route, the outbox of actions waiting
// for the server (with their gap-free per-device `seq`), the problems the server reported, the
// photos and signatures, and the GPS points. Each is sealed with its route day's key.

import { decryptBlob, decryptJson, encryptBlob, encryptJson } from "./crypto.js";
import { CoreStore } from "./storage-core.js";

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

export class QueueStore extends CoreStore {
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
}
