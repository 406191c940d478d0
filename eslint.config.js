// ESLint: the JavaScript and typescript-eslint recommended rules (syntactic, fast), on the
// library, tests, benchmarks and scripts; formatting is Prettier's (.prettierrc.json).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "build/", "bench/tmp/", "notebooks/node_modules/", ".jupyter/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        URL: "readonly",
        SharedArrayBuffer: "readonly",
        Atomics: "readonly",
        globalThis: "readonly",
        structuredClone: "readonly",
        TextDecoder: "readonly",
        TextEncoder: "readonly",
      },
    },
    rules: {
      // unused parameters and bindings are named with a leading underscore on purpose
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
      // sequential writes `out[k++] = ...` leave a last increment unread, by design
      "no-useless-assignment": "off",
    },
  },
  {
    // tests read JSON of any shape; notebook cells end with an expression to display it
    files: ["test/**/*.ts", "notebooks/source/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  { files: ["notebooks/source/*.ts"], rules: { "@typescript-eslint/no-unused-expressions": "off" } },
  // code that runs inside the page (puppeteer's page.evaluate)
  {
    files: [
      "scripts/check-html.mjs",
      "scripts/check-notebook-server.mjs",
      "scripts/static-figures.mjs",
      "scripts/check-frontends.mjs",
      "scripts/frontends/*.mjs",
    ],
    languageOptions: { globals: { document: "readonly", window: "readonly", getComputedStyle: "readonly", fetch: "readonly", Event: "readonly" } },
  },
);
