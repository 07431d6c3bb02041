// What the status bar says about the phone's queue. It must tell the truth: before the queue has
// been read it claims nothing, actions kept on the phone are counted, and "all synced" is said
// only when the phone is online and nothing waits (offline with nothing waiting is "nothing to
// sync", not a claim that the server has everything).
export function queueStatus({ loaded, waiting, online }) {
  if (!loaded) return { key: "queueChecking", className: "checking", values: {} };
  if (waiting > 0)
    return { key: online ? "waiting" : "savedOnPhone", className: "waiting", values: { count: waiting } };
  return { key: online ? "allSynced" : "nothingWaiting", className: "synced", values: {} };
}

// Where to scroll so that a card sits wholly below the sticky status bar, with a small gap.
export function scrollTopBelowBar({ itemTop, scrollY, barHeight, gap = 8 }) {
  return Math.max(0, Math.round(itemTop + scrollY - barHeight - gap));
}
