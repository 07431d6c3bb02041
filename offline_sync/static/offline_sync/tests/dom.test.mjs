import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { ICONS } from "../js/dom.js";

const JS = new URL("../js/", import.meta.url);

test("every icon a screen asks for has a drawing (an unknown one is an empty square)", () => {
  const wanted = new Set();
  for (const file of readdirSync(JS).filter((name) => name.endsWith(".js"))) {
    for (const match of readFileSync(new URL(file, JS), "utf8").matchAll(/\bicon\("([a-z-]+)"\)/g)) {
      wanted.add(match[1]);
    }
  }
  assert.ok(wanted.has("map"), "the stop screen's navigation button uses the map icon");
  for (const name of wanted) assert.match(ICONS[name] ?? "", /^M/, `icon("${name}") has no path`);
});
