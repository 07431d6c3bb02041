// What the service worker shows for a Web Push. The server's push only says "there are changes
// up to cursor N" (it carries nothing about customers); the worker reads the change feed and
// turns the kinds it finds into at most two notifications, one for resolved conflicts and one
// for route changes. No customer names: a notification shows on a locked screen.

import { t } from "./i18n.js";

const ROUTE_KINDS = new Set(["stop_added", "stop_removed", "stop_cancelled", "route_changed", "stop_changed"]);

export function notificationsFor(changes) {
  const conflicts = changes.filter((change) => change.kind === "conflict_resolved").length;
  const routeChanges = changes.filter((change) => ROUTE_KINDS.has(change.kind)).length;
  const notifications = [];
  if (conflicts) {
    notifications.push({
      tag: "conflict_resolved",
      title: t("conflictResolvedTitle"),
      body: t("conflictResolvedBody", { count: conflicts }),
    });
  }
  if (routeChanges) {
    notifications.push({
      tag: "route_changed",
      title: t("routeChangedTitle"),
      body: t("routeChangedBody", { count: routeChanges }),
    });
  }
  if (!notifications.length) {
    // The feed could not be read (no network any more) or was already read by the open app.
    notifications.push({ tag: "luckygas", title: t("appName"), body: t("changesBody") });
  }
  return notifications;
}
