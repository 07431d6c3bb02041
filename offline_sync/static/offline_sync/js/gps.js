// GPS while the app is visible (issue #4, item 7). `watchPosition` runs only while the page is
// visible; one point is kept per interval: the server policy's online interval while online,
// every 30 s while offline. Points are queued (encrypted) in IndexedDB with the stop that was
// current, and the sync manager flushes them with the action batches (`POST …/locations`).
// High-accuracy mode (the GPS chip, the battery) is used only while the phone is moving.

export const OFFLINE_INTERVAL_SECONDS = 30;
const DEFAULT_ONLINE_INTERVAL_SECONDS = 30;
const STILL_METRES = 15;
const STILL_SPEED = 0.7; // m/s, slower than walking

export function distanceMetres(a, b) {
  const radians = (degrees) => (degrees * Math.PI) / 180;
  const earth = 6371000;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * earth * Math.asin(Math.sqrt(h));
}

// Standing still: the reported speed is below walking pace, or (no speed, as network positions
// have none) the phone moved less than the larger of 15 m and the fix's own accuracy, so the
// jitter of a coarse fix does not count as moving.
export function isStill(previous, coords) {
  if (coords.speed != null && !Number.isNaN(coords.speed)) return coords.speed < STILL_SPEED;
  if (!previous) return false;
  return distanceMetres(previous, coords) < Math.max(STILL_METRES, coords.accuracy || 0);
}

// The sampling interval in milliseconds: the policy's online interval while online, 30 s offline.
export function samplingIntervalMs({ online, onlineSeconds }) {
  if (!online) return OFFLINE_INTERVAL_SECONDS * 1000;
  const seconds = Number(onlineSeconds);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_ONLINE_INTERVAL_SECONDS) * 1000;
}

export class LocationTracker {
  constructor({
    store,
    dayOf,
    currentStop,
    onlineIntervalSeconds,
    isOnline = () => (globalThis.navigator ? navigator.onLine : true),
    geolocation = globalThis.navigator?.geolocation,
    now = Date.now,
  }) {
    Object.assign(this, { store, dayOf, currentStop, onlineIntervalSeconds, isOnline, geolocation, now });
    this.watchId = null;
    this.highAccuracy = true;
    this.lastKeptAt = null;
    this.lastFix = null;
  }

  start() {
    if (!this.geolocation || this.watchId !== null) return;
    this.watchId = this.geolocation.watchPosition(
      (position) => this.onPosition(position).catch((error) => console.warn("location not stored", error)),
      () => {}, // permission refused or no fix: the app works without GPS
      { enableHighAccuracy: this.highAccuracy, maximumAge: 15000, timeout: 60000 },
    );
  }

  stop() {
    if (this.watchId !== null) this.geolocation.clearWatch(this.watchId);
    this.watchId = null;
  }

  // Returns the stored point, or null when it fell inside the current interval.
  async onPosition(position) {
    const coords = position.coords;
    const still = isStill(this.lastFix, coords);
    this.lastFix = { latitude: coords.latitude, longitude: coords.longitude };
    if (still === this.highAccuracy && this.watchId !== null) {
      // Standing still: drop to network positioning; moving again: back to GPS.
      this.highAccuracy = !still;
      this.stop();
      this.start();
    }
    // The phone's clock at the fix, which is what the server stores as recorded_at.
    const at = this.now();
    const interval = samplingIntervalMs({ online: this.isOnline(), onlineSeconds: this.onlineIntervalSeconds() });
    if (this.lastKeptAt !== null && at - this.lastKeptAt < interval) return null;
    this.lastKeptAt = at;
    const point = {
      latitude: coords.latitude,
      longitude: coords.longitude,
      accuracy_m: coords.accuracy,
      recorded_at: new Date(at).toISOString(),
      stop: this.currentStop() ?? null,
    };
    await this.store.addLocation(this.dayOf(at), point);
    return point;
  }
}
