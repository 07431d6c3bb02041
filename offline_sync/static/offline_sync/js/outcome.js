// Recording what the driver did at a stop: the form's values become the sync protocol's actions
// (see actions.js), the photo and the signature become media bound to their own actions, and all
// of it is queued in one transaction before the list shows the next stop.

import { stopActions } from "./actions.js";
import { sha256Hex } from "./crypto.js";
import { t } from "./i18n.js";
import { requestBackgroundSync, runSync } from "./live.js";
import { showList } from "./screen.js";
import { MissingReasonError, skipReasonText } from "./skip.js";
import { state } from "./state.js";
import { refreshSummary } from "./status-bar.js";
import { OUTCOME_STATUS, wholeNumber } from "./stops.js";

function outcomeReason(type, data, note) {
  if (type !== "skip") return note;
  try {
    return skipReasonText(String(data.get("skip_reason") || ""), note);
  } catch (failure) {
    if (failure instanceof MissingReasonError) throw new Error(t("skipReasonMissing"), { cause: failure });
    throw failure;
  }
}

async function capturedMedia(photo, pad) {
  const captured = [];
  if (photo) captured.push({ kind: "photo", ...photo });
  if (!pad.isEmpty) {
    captured.push({ kind: "signature", blob: await pad.toBlob(), width: pad.canvas.width, height: pad.canvas.height });
  }
  return captured;
}

export async function recordOutcome(stop, type, form, photo, pad) {
  const data = new FormData(form);
  const note = String(data.get("note") || "")
    .trim()
    .slice(0, 200);
  const isComplete = type === "complete";
  const reason = outcomeReason(type, data, note);
  const actions = stopActions({
    stop,
    type,
    cash: isComplete ? wholeNumber(data.get("cash"), t("cashCollected"), 1000000) : 0,
    empties: isComplete ? wholeNumber(data.get("empties"), t("emptiesCollected"), 200) : 0,
    note,
    reason,
    occurredAt: new Date().toISOString(),
  });
  const day = state.day;
  const base = { stop: stop.id, base_version: stop.version, occurred_at: actions[0].occurred_at };
  const media = [];
  for (const item of await capturedMedia(photo, pad)) {
    const mediaId = crypto.randomUUID();
    const actionId = crypto.randomUUID();
    const sha256 = await sha256Hex(await item.blob.arrayBuffer());
    // The server binds the bytes to this action, so a photo never lands on another stop.
    actions.push({
      id: actionId,
      type: "attach_media",
      ...base,
      payload: { media_id: mediaId, kind: item.kind, sha256 },
    });
    media.push({
      id: mediaId,
      stop: stop.id,
      actionId,
      kind: item.kind,
      blob: item.blob,
      sha256,
      width: item.width,
      height: item.height,
    });
  }
  // One transaction: the stop's actions and its photos are queued together or not at all.
  await state.store.enqueueActions(day, actions, { media });
  stop.local_status = OUTCOME_STATUS[type];
  await state.store.saveRoute(day, state.route);
  const done = `${stop.customer_name}：${t(`status_${OUTCOME_STATUS[type]}`)}。`;
  state.notice = navigator.onLine ? done : `${done}${t("saved")}`;
  state.savedNotice = navigator.onLine ? null : { text: state.notice, synced: done };
  await refreshSummary();
  showList({ scrollTo: "next" });
  requestBackgroundSync();
  runSync("action");
}
