// The stop list: notices, sync problems, the storage warning, today's stops in order, logout.

import { h, icon } from "./dom.js";
import { guideUrl, t } from "./i18n.js";
import { openStop, render } from "./screen.js";
import { logout } from "./session.js";
import { state } from "./state.js";
import { refreshSummary } from "./status-bar.js";
import {
  arrivalWindow,
  effectiveStatus,
  isUnsynced,
  itemsText,
  money,
  problemText,
  telHref,
  visibleStops,
} from "./stops.js";

function problemsSection() {
  return h(
    "section",
    { class: "problems", "aria-label": t("problems") },
    h("h2", {}, t("problems")),
    ...state.problems.map((problem) => {
      const stop = state.route && state.route.stops.find((item) => item.id === problem.action.stop);
      return h(
        "div",
        { class: "problem" },
        h("strong", {}, `${t(`problem_${problem.outcome}`)} · ${t(`actionType_${problem.action.type}`)}`),
        h("span", {}, stop ? stop.customer_name : `#${problem.action.stop}`),
        h("span", { class: "reason" }, problemText(problem.result, t)),
        h(
          "button",
          {
            type: "button",
            class: "small",
            onclick: async () => {
              await state.store.dismissProblem(problem.id);
              await refreshSummary();
              render();
            },
          },
          t("dismiss"),
        ),
      );
    }),
  );
}

function stopItem(stop) {
  const status = effectiveStatus(stop, state.pending);
  return h(
    "li",
    { class: `stop status-${status}`, "data-stop": stop.id },
    h(
      "button",
      { type: "button", class: "stop-open", onclick: () => openStop(stop.id) },
      h("span", { class: "sequence" }, stop.sequence),
      h(
        "span",
        { class: "stop-text" },
        // The status sits beside the name only, so the address keeps the full width at 360 px.
        h(
          "span",
          { class: "stop-head" },
          h("span", { class: "name" }, stop.customer_name),
          h(
            "span",
            { class: `chip chip-${status}` },
            t(`status_${status}`),
            isUnsynced(stop, state.pending) ? h("small", {}, t("notSynced")) : null,
          ),
        ),
        h("span", { class: "address" }, stop.address),
        arrivalWindow(stop)
          ? h("span", { class: "arrival-window" }, t("arrivalWindow", { window: arrivalWindow(stop) }))
          : null,
        h("span", { class: "items" }, itemsText(stop.items)),
        h(
          "span",
          { class: "amount" },
          stop.amount_to_collect ? t("amountToCollect", { amount: money(stop.amount_to_collect) }) : t("invoiced"),
        ),
      ),
    ),
    h(
      "a",
      { class: "call", href: telHref(stop.phone), "aria-label": t("callCustomer", { name: stop.customer_name }) },
      icon("phone"),
    ),
  );
}

export function listView() {
  const children = [];
  if (state.notice) children.push(h("p", { class: "notice", role: "status" }, state.notice));
  if (state.updateReady) children.push(h("p", { class: "notice" }, t("updateReady")));
  if (state.problems.length) children.push(problemsSection());
  const storage = state.storage;
  if (storage.warning) {
    children.push(
      h(
        "p",
        { class: "notice storage-warning", role: "alert", id: "storage-warning" },
        t(state.summary.waiting ? "storageWarning" : "storageWarningSynced", { percent: storage.percent }),
      ),
    );
  }
  if (!state.route) {
    children.push(h("p", { class: "card" }, state.routeMissing ? t("noRoute") : t("routeNotLoaded")));
  } else {
    const stops = visibleStops(state.route);
    const done = stops.filter((stop) => effectiveStatus(stop, state.pending) !== "pending").length;
    children.push(
      h(
        "div",
        { class: "route-head" },
        h("h1", {}, t("todayRoute", { date: state.day })),
        h("span", {}, t("stops", { done, total: stops.length })),
      ),
      h("ol", { class: "stops" }, ...stops.map(stopItem)),
    );
  }
  children.push(
    h(
      "p",
      { class: `storage ${storage.warning ? "warning" : ""}`, id: "storage" },
      t("storage", {
        used: (storage.usedBytes / 1024 / 1024).toFixed(1),
        budget: storage.budgetBytes / 1024 / 1024,
      }),
    ),
    h("a", { class: "link guide", href: guideUrl() }, t("guide")),
    h("button", { type: "button", class: "link", onclick: logout }, t("logout")),
  );
  return h("div", { class: "list" }, ...children);
}
