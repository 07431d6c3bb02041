// ESLint for our browser JavaScript (the driver app, its service worker modules, the dashboard)
// and its node unit tests. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import js from "@eslint/js";
import globals from "globals";

export default [
  // sw.js is a Django template (its imports are filled in by offline_sync/pwa.py), not plain JS.
  {
    ignores: [
      "offline_sync/templates/",
      "node_modules/",
      "build/",
      "staticfiles/",
      ".venv/",
      ".venv-checkov/",
      "media/",
      "test-artifacts/",
    ],
  },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none", ignoreRestSiblings: true }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    files: ["**/tests/**/*.mjs", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
