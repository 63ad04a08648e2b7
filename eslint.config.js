// Lint rules, including the layer boundaries of docs/design.md: imports point downwards only,
// oci <- compat <- node/content <- ops <- cli, and nothing imports cli.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const layers = ["oci", "compat", "node", "content", "ops", "cli"];
const above = {
  oci: ["compat", "node", "content", "ops", "cli"],
  compat: ["node", "content", "ops", "cli"],
  node: ["content", "ops", "cli"],
  content: ["node", "ops", "cli"],
  ops: ["cli"],
  cli: [],
};

function boundary(layer) {
  const forbidden = above[layer].flatMap((l) => [`../${l}/*`, `../../${l}/*`, `../${l}`]);
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: layer === "oci" ? ["../*", "../../*"] : forbidden,
              message:
                layer === "oci"
                  ? "src/oci is the bottom layer: it imports nothing else of ours."
                  : `src/${layer} may not import from a layer above it (${above[layer].join(", ")}).`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "schema/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  ...layers.filter((l) => l === "oci" || above[l].length > 0).map(boundary),
  {
    // The CLI's entry (bin/package.json), the bundle's stand-ins and the bench's floor programs
    // are CommonJS (docs/design.md).
    files: ["bin/**/*.js", "scripts/**/*.cjs", "bench/**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: [
      "src/index.ts",
      "src/api/**/*.ts",
      "test/**/*.ts",
      "bench/**/*.ts",
      "scripts/**/*.ts",
      "examples/**/*.ts",
    ],
    ignores: ["test/cli/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [{ group: ["**/cli/*", "**/cli"], message: "Nothing imports the CLI layer." }],
        },
      ],
    },
  },
);
