import assert from "node:assert/strict";
import { test } from "node:test";

import { MESSAGES } from "../js/i18n.js";

// The app's own catalogue (it ships with the app to work offline): as complete as the .po files.
test("every string exists, non-empty, in Traditional Chinese and in English", () => {
  const chinese = Object.keys(MESSAGES["zh-Hant"]).sort();
  const english = Object.keys(MESSAGES.en).sort();
  assert.deepEqual(english, chinese);
  for (const [language, messages] of Object.entries(MESSAGES)) {
    for (const [key, text] of Object.entries(messages)) assert.ok(text.trim(), `${language}.${key} is empty`);
  }
});

test("both languages use the same placeholders", () => {
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
  for (const [key, text] of Object.entries(MESSAGES["zh-Hant"])) {
    assert.deepEqual(placeholders(MESSAGES.en[key]), placeholders(text), key);
  }
});
