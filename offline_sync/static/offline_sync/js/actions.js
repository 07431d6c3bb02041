// What the driver did at a stop, as the sync protocol's separate actions: the outcome first, then
// each fact from the street on its own (`collect_cash`, `collect_empties`, `note`,
// `attach_media`), so the server keeps the cash, the empties and the note even when the
// outcome itself conflicts (say the office cancelled the stop meanwhile).
// A skip or a failure carries `reason` (for a skip, the chosen reason and the note; see skip.js).
export function stopActions({
  stop,
  type,
  cash,
  empties,
  note,
  reason = note,
  occurredAt,
  newId = () => crypto.randomUUID(),
}) {
  const base = { stop: stop.id, base_version: stop.version, occurred_at: occurredAt };
  const actions = [{ id: newId(), type, ...base, payload: type === "complete" ? {} : { reason } }];
  if (type === "complete") {
    if (cash > 0) actions.push({ id: newId(), type: "collect_cash", ...base, payload: { amount: cash } });
    if (empties > 0) actions.push({ id: newId(), type: "collect_empties", ...base, payload: { count: empties } });
    if (note) actions.push({ id: newId(), type: "note", ...base, payload: { text: note } });
  }
  return actions;
}
