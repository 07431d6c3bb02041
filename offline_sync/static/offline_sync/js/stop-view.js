// One stop's screen: the customer, what to deliver and collect, and the form for the outcome
// (cash, empties, note, photo, signature, skip reason, then complete / skip / fail).

import { h, icon } from "./dom.js";
import { t } from "./i18n.js";
import { SignaturePad, resizePhoto } from "./image.js";
import { recordOutcome } from "./outcome.js";
import { showList } from "./screen.js";
import { SKIP_REASONS } from "./skip.js";
import { state } from "./state.js";
import { arrivalWindow, effectiveStatus, itemsText, money, navLinks, telHref } from "./stops.js";

function numberField(label, name, max, value) {
  return h("label", {}, label, h("input", { name, type: "number", inputmode: "numeric", min: 0, max, step: 1, value }));
}

function outcomeButtons({ isOpen, error, submit }) {
  return h(
    "div",
    { class: "outcomes" },
    ...["complete", "skip", "fail"].map((type) =>
      h(
        "button",
        {
          type: "button",
          class: `outcome ${type}`,
          disabled: !isOpen,
          onclick: async (event) => {
            event.currentTarget.disabled = true;
            try {
              await submit(type);
            } catch (failure) {
              error.textContent = failure.message;
              event.currentTarget.disabled = false;
            }
          },
        },
        t(type),
      ),
    ),
  );
}

function navButtons(stop) {
  const links = navLinks(stop);
  if (!links) return null;
  return h(
    "p",
    { class: "navigate" },
    h("a", { class: "call wide", href: links.geo }, icon("map"), ` ${t("navigate")}`),
    h("a", { class: "nav-web", href: links.web, target: "_blank", rel: "noopener" }, t("navigateWeb")),
  );
}

function stopCard(stop, status) {
  return h(
    "section",
    { class: "card stop-card" },
    h(
      "div",
      { class: "stop-title" },
      h("span", { class: "sequence" }, stop.sequence),
      h("h1", {}, stop.customer_name),
      h("span", { class: `chip chip-${status}` }, t(`status_${status}`)),
    ),
    h("p", { class: "address" }, stop.address),
    arrivalWindow(stop)
      ? h("p", { class: "arrival-window" }, t("arrivalWindow", { window: arrivalWindow(stop) }))
      : null,
    h("a", { class: "call wide", href: telHref(stop.phone) }, icon("phone"), ` ${t("call")} ${stop.phone}`),
    navButtons(stop),
    h("p", { class: "items" }, `${t("items")}：`, itemsText(stop.items)),
    h(
      "p",
      { class: "amount" },
      stop.amount_to_collect ? t("amountToCollect", { amount: money(stop.amount_to_collect) }) : t("invoiced"),
    ),
    stop.driver_notes ? h("p", { class: "driver-notes" }, `${t("driverNotes")}：${stop.driver_notes}`) : null,
  );
}

// Returns null (and falls back to the list) when the stop is no longer on the route.
export function stopView() {
  const stop = state.route && state.route.stops.find((item) => item.id === state.stopId);
  if (!stop) {
    state.view = "list";
    return null;
  }
  const status = effectiveStatus(stop, state.pending);
  const isOpen = status === "pending" || status === "skipped";
  const error = h("p", { class: "error", role: "alert" });
  const photoInfo = h("span", { class: "photo-info" });
  const preview = h("img", { class: "preview", alt: "", hidden: true });
  const canvas = h("canvas", { width: 600, height: 240, class: "signature", "aria-label": t("signature") });
  const pad = new SignaturePad(canvas);
  let photo = null;
  const form = h(
    "form",
    { class: "stop-form", onsubmit: (event) => event.preventDefault() },
    numberField(t("cashCollected"), "cash", 1000000, stop.amount_to_collect || 0),
    numberField(t("emptiesCollected"), "empties", 200, 0),
    h(
      "label",
      {},
      t("note"),
      h("textarea", { name: "note", rows: 2, maxlength: 200, placeholder: t("notePlaceholder") }),
    ),
    h(
      "label",
      { class: "photo-button" },
      icon("camera"),
      ` ${t("photo")}`,
      h("input", {
        name: "photo",
        type: "file",
        accept: "image/*",
        capture: "environment",
        onchange: async (event) => {
          const file = event.target.files[0];
          if (!file) return;
          photo = await resizePhoto(file);
          photoInfo.textContent = t("photoTaken", { width: photo.width, height: photo.height });
          preview.src = URL.createObjectURL(photo.blob);
          preview.hidden = false;
        },
      }),
    ),
    photoInfo,
    preview,
    h(
      "div",
      { class: "signature-head" },
      h("span", {}, t("signature")),
      h("button", { type: "button", class: "small", onclick: () => pad.clear() }, t("clearSignature")),
    ),
    canvas,
    isOpen
      ? h(
          "fieldset",
          { class: "skip-reasons" },
          h("legend", {}, t("skipReason")),
          ...SKIP_REASONS.map((reason) =>
            h(
              "label",
              {},
              h("input", { type: "radio", name: "skip_reason", value: reason }),
              ` ${t(`skipReason_${reason}`)}`,
            ),
          ),
        )
      : null,
    error,
    outcomeButtons({ isOpen, error, submit: (type) => recordOutcome(stop, type, form, photo, pad) }),
  );
  return h(
    "div",
    { class: "stop-screen" },
    h("button", { type: "button", class: "back", onclick: () => showList({ scrollTo: stop.id }) }, `‹ ${t("back")}`),
    stopCard(stop, status),
    form,
  );
}
