// The sync manager: pushes the outbox to the server one batch (at most 10 actions) at a time.
//
// - Only one batch is ever in flight across every tab and the service worker: the whole run
//   holds a Web Lock.
// - Network errors, 5xx and 429 are retried with exponential backoff and full jitter, capped
//   at 5 minutes (a 429/503 Retry-After is honoured when it is longer).
// - An action leaves the outbox only when the server acknowledged it: `applied`, `duplicate`,
//   `conflict` or `rejected`. Conflicts and rejections are kept for the driver with the reason
//   and are never sent again.
// - Any other refusal of the whole batch (400, 422) moves the batch to the problems list too,
//   so one bad batch never blocks the queue; 401 stops everything until the driver logs in.

export const LOCK_NAME = "luckygas-driver-sync";
export const ACKNOWLEDGED = new Set(["applied", "duplicate", "conflict", "rejected"]);
const PROBLEMS = new Set(["conflict", "rejected"]);
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;
export const BUSY_RETRY_MS = 3000;

export class HttpError extends Error {
  constructor(status, body, retryAfterMs = null) {
    super(`HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super(`network error: ${cause && cause.message ? cause.message : cause}`);
    this.name = "NetworkError";
  }
}

export class UnacknowledgedError extends Error {
  constructor() {
    super("the server acknowledged none of the batch");
    this.name = "UnacknowledgedError";
  }
}

export function isRetryable(error) {
  if (error instanceof NetworkError || error instanceof UnacknowledgedError) return true;
  if (error instanceof HttpError) return error.status >= 500 || error.status === 429;
  return false;
}

// Full jitter: a uniform delay in [0, min(cap, base·2^attempt)), at least 250 ms.
export function backoffDelay(attempt, { random = Math.random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS } = {}) {
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.max(250, Math.floor(random() * ceiling));
}

// A stand-in for navigator.locks where it is missing (old browsers): serializes this context only.
export function localLocks() {
  let held = false;
  return {
    async request(_name, options, callback) {
      if (held) return callback(null);
      held = true;
      try {
        return await callback({ name: _name });
      } finally {
        held = false;
      }
    },
  };
}

export class SyncManager {
  constructor({
    store,
    api,
    locks = (globalThis.navigator && globalThis.navigator.locks) || localLocks(),
    batchSize = 10,
    random = Math.random,
    setTimer = (callback, ms) => setTimeout(callback, ms),
    clearTimer = (handle) => clearTimeout(handle),
    onChanges = null,
    onEvent = () => {},
  }) {
    Object.assign(this, { store, api, locks, batchSize, random, setTimer, clearTimer, onChanges, onEvent });
    this.attempt = 0;
    this.retryHandle = null;
    this.nextRetryAt = null;
  }

  // Runs one sync now. Returns {status: "ok" | "busy" | "retrying" | "unauthorized" | "idle"}.
  async sync({ reason = "manual" } = {}) {
    if (this.retryHandle !== null) {
      this.clearTimer(this.retryHandle);
      this.retryHandle = null;
      this.nextRetryAt = null;
    }
    const outcome = await this.locks.request(LOCK_NAME, { ifAvailable: true }, async (lock) => {
      if (!lock) return { status: "busy" };
      return this.runLocked();
    });
    if (outcome.status === "busy" && this.retryHandle === null) {
      // Another tab or the service worker holds the lock; if its run fails, this one retries.
      this.scheduleRetry(BUSY_RETRY_MS);
    }
    this.onEvent({ type: "sync-finished", reason, ...outcome });
    return outcome;
  }

  async runLocked() {
    const summary = { status: "ok", applied: 0, duplicate: 0, conflict: 0, rejected: 0, batches: 0 };
    try {
      let renumbered = false;
      for (;;) {
        const batch = await this.store.outboxBatch(this.batchSize);
        if (!batch.length) break;
        let response;
        try {
          response = await this.api.push(batch);
        } catch (error) {
          if (error instanceof HttpError && error.status === 409 && !renumbered) {
            const expected = error.body && Number(error.body.expected_seq);
            if (Number.isInteger(expected) && expected > 0) {
              await this.resolveGap(batch, expected);
              renumbered = true;
              continue;
            }
          }
          if (isRetryable(error) || (error instanceof HttpError && error.status === 401)) throw error;
          if (error instanceof HttpError) {
            // The server refused the whole batch for good: keep it for the driver, move on.
            for (const action of batch) {
              await this.store.recordProblem(action, { result: "rejected", errors: error.body, status: error.status });
            }
            await this.store.removeActions(batch.map((action) => action.seq));
            summary.rejected += batch.length;
            continue;
          }
          throw error;
        }
        summary.batches += 1;
        const acknowledged = await this.acknowledge(batch, response, summary);
        await this.flushLocations();
        if (!acknowledged) {
          // The server answered without a result for any of them: try again later, not in a loop.
          throw new UnacknowledgedError();
        }
      }
      await this.uploadMedia();
      await this.flushLocations();
      if (this.onChanges) await this.onChanges();
      this.attempt = 0;
      await this.store.setMeta("last_sync_at", this.store.now());
      return summary;
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        this.onEvent({ type: "unauthorized" });
        return { ...summary, status: "unauthorized" };
      }
      if (!isRetryable(error)) throw error;
      const delay = Math.max(backoffDelay(this.attempt, { random: this.random }), error.retryAfterMs || 0);
      this.attempt += 1;
      this.scheduleRetry(delay);
      return { ...summary, status: "retrying", delay, error: error.message };
    }
  }

  scheduleRetry(delay) {
    this.nextRetryAt = this.store.now() + delay;
    this.retryHandle = this.setTimer(() => {
      this.retryHandle = null;
      return this.sync({ reason: "retry" });
    }, delay);
  }

  async acknowledge(batch, response, summary) {
    const results = new Map((response.results || []).map((result) => [result.id, result]));
    const done = [];
    for (const action of batch) {
      const result = results.get(action.id);
      if (!result || !ACKNOWLEDGED.has(result.result)) continue; // not acknowledged: stays queued
      if (PROBLEMS.has(result.result)) await this.store.recordProblem(action, result);
      summary[result.result] += 1;
      done.push(action.seq);
    }
    await this.store.removeActions(done);
    if (response.next_seq) await this.store.setNextSeqAtLeast(response.next_seq);
    return done.length;
  }

  // 409: the server expects `expected`. Lower than ours: our queue lost actions (a purge),
  // renumber. Higher: the server already holds some of ours (a lost response); resending them
  // is safe (same id and body gives `duplicate`), so renumbering is not needed.
  async resolveGap(batch, expected) {
    if (expected < batch[0].seq) await this.store.renumberOutbox(expected);
  }

  async uploadMedia() {
    const queued = new Set((await this.store.pendingActions()).map((action) => action.id));
    for (const item of await this.store.pendingMedia()) {
      if (queued.has(item.actionId)) continue; // its action is not acknowledged yet
      const media = await this.store.getMedia(item.id);
      if (!media) continue;
      try {
        await this.api.uploadMedia(media);
        await this.store.markMediaUploaded(item.id);
      } catch (error) {
        if (isRetryable(error) || (error instanceof HttpError && error.status === 401)) throw error;
        if (!(error instanceof HttpError)) throw error;
        await this.store.recordProblem(
          { id: item.id, day: item.day, stop: item.stop, type: `media:${item.kind}` },
          { result: "rejected", errors: error.body, status: error.status },
        );
        await this.store.markMediaUploaded(item.id);
      }
    }
  }

  async flushLocations() {
    for (;;) {
      const points = await this.store.locationBatch(100);
      if (!points.length) return;
      try {
        await this.api.postLocations(points);
      } catch (error) {
        if (isRetryable(error) || (error instanceof HttpError && error.status === 401)) throw error;
        if (!(error instanceof HttpError)) throw error;
        // Refused for good: most likely a stop the office moved to another driver meanwhile.
        // The track still matters, so send the points once more without their stops; what is
        // refused even then is not worth keeping.
        try {
          await this.api.postLocations(points.map((point) => ({ ...point, stop: null })));
        } catch (again) {
          if (isRetryable(again) || (again instanceof HttpError && again.status === 401)) throw again;
          if (!(again instanceof HttpError)) throw again;
        }
      }
      await this.store.removeLocations(points.map((point) => point.seq));
    }
  }
}
