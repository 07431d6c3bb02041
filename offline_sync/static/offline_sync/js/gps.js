// GPS while the app is visible: one point kept per policy interval (the online or the offline
// interval of the server's client policy), queued in IndexedDB and flushed with the action
// batches. High-accuracy mode (GPS chip, battery) is used only while the phone is moving.

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

export function isStill(previous, coords) {
  if (coords.speed != null && !Number.isNaN(coords.speed)) return coords.speed < STILL_SPEED;
  return previous ? distanceMetres(previous, coords) < STILL_METRES : false;
}

export class LocationTracker {
  constructor({ store, dayOf, currentStop, intervals, geolocation = globalThis.navigator?.geolocation, now = Date.now }) {
    Object.assign(this, { store, dayOf, currentStop, intervals, geolocation, now });
    this.watchId = null;
    this.highAccuracy = true;
    this.lastKeptAt = 0;
    this.lastFix = null;
  }

  intervalMs() {
    const online = globalThis.navigator ? navigator.onLine : true;
    const seconds = online ? this.intervals().online : this.intervals().offline;
    return (seconds || 30) * 1000;
  }

  start() {
    if (!this.geolocation || this.watchId !== null) return;
    this.watchId = this.geolocation.watchPosition(
      (position) => this.onPosition(position),
      () => {},
      { enableHighAccuracy: this.highAccuracy, maximumAge: 15000, timeout: 60000 },
    );
  }

  stop() {
    if (this.watchId !== null) this.geolocation.clearWatch(this.watchId);
    this.watchId = null;
  }

  async onPosition(position) {
    const coords = position.coords;
    const still = isStill(this.lastFix, coords);
    this.lastFix = { latitude: coords.latitude, longitude: coords.longitude };
    if (still === this.highAccuracy) {
      // Standing still: drop to network positioning; moving again: back to GPS.
      this.highAccuracy = !still;
      this.stop();
      this.start();
    }
    const at = position.timestamp || this.now();
    if (at - this.lastKeptAt < this.intervalMs()) return;
    this.lastKeptAt = at;
    await this.store.addLocation(this.dayOf(at), {
      latitude: coords.latitude,
      longitude: coords.longitude,
      accuracy_m: coords.accuracy,
      recorded_at: new Date(at).toISOString(),
      stop: this.currentStop(),
    });
  }
}
