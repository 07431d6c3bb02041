// Why a stop was skipped: the driver must pick one reason and may add a note. The server's skip
// action carries one free-text `reason` (up to 200 characters), so the choice and the note travel
// together in it. The reason is written in Traditional Chinese whatever the app's language, so
// the office reads every skipped stop in the same words.
import { MESSAGES } from "./i18n.js";

export const SKIP_REASONS = [
  "customer_absent",
  "customer_refused",
  "wrong_address",
  "no_access",
  "out_of_time",
  "other",
];

export const REASON_MAX_LENGTH = 200;

export class MissingReasonError extends Error {}

export function skipReasonText(reason, note = "") {
  if (!SKIP_REASONS.includes(reason)) throw new MissingReasonError(reason);
  const label = MESSAGES["zh-Hant"][`skipReason_${reason}`];
  const extra = String(note).trim();
  return (extra ? `${label}：${extra}` : label).slice(0, REASON_MAX_LENGTH);
}
