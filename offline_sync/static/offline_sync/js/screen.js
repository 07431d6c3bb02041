// Which screen shows (login, the stop list, one stop), moving between them, and the login form.

import { h } from "./dom.js";
import { guideUrl, t } from "./i18n.js";
import { listView } from "./list-view.js";
import { login } from "./session.js";
import { state } from "./state.js";
import { renderStatus } from "./status-bar.js";
import { scrollTopBelowBar } from "./status.js";
import { nextPendingStop } from "./stops.js";
import { stopView } from "./stop-view.js";
import { HttpError } from "./sync.js";

export function render() {
  renderStatus();
  const view = document.getElementById("view");
  if (state.view === "login") {
    const notice = state.notice ? h("p", { class: "notice", role: "status" }, state.notice) : null;
    view.replaceChildren(...[notice, loginView()].filter(Boolean));
  } else if (state.view === "stop") view.replaceChildren(stopView() || listView());
  else view.replaceChildren(listView());
}

function loginView() {
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const form = h(
    "form",
    {
      class: "card login",
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        error.textContent = "";
        try {
          await login(String(data.get("username")), String(data.get("password")));
        } catch (failure) {
          error.textContent =
            failure instanceof HttpError
              ? t("loginFailed", { detail: (failure.body && failure.body.detail) || failure.status })
              : t("loginNeedsNetwork");
        }
      },
    },
    h("h1", {}, t("appName")),
    h(
      "label",
      {},
      t("username"),
      h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" }),
    ),
    h(
      "label",
      {},
      t("password"),
      h("input", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    ),
    error,
    h("button", { type: "submit", class: "primary" }, t("login")),
    h("a", { class: "link guide", href: guideUrl() }, t("guide")),
  );
  return form;
}

export function openStop(stopId) {
  state.stopId = stopId;
  state.view = "stop";
  state.notice = null;
  render();
  window.scrollTo(0, 0);
}

// Back on the list, the driver sees the stop they came from, or after recording an outcome the
// next one still to do, not the top of a list that starts with the stops already done.
export function showList({ scrollTo = null } = {}) {
  if (state.updateReady) {
    window.location.reload();
    return;
  }
  state.view = "list";
  render();
  const target = scrollTo === "next" ? nextPendingStop(state.route, state.pending) : null;
  const stopId = target ? target.id : scrollTo === "next" ? null : scrollTo;
  const item = stopId ? document.querySelector(`li.stop[data-stop="${stopId}"]`) : null;
  if (!item) return;
  // The status bar is sticky: the card must sit wholly below it, not half under it.
  const barHeight = document.getElementById("status").getBoundingClientRect().height;
  window.scrollTo({
    top: scrollTopBelowBar({ itemTop: item.getBoundingClientRect().top, scrollY: window.scrollY, barHeight }),
    behavior: "instant",
  });
}
