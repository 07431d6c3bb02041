// Loaded with `node --import` before the unit tests: an IndexedDB in memory (fake-indexeddb)
// and a resolver that maps the browser path of the vendored `idb` to node_modules.
import "fake-indexeddb/auto";
import { register } from "node:module";

register("./resolve-vendor.mjs", import.meta.url);
