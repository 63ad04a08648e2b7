#!/usr/bin/env bash
# The one test command (README, .ci/run): build, type check, lint, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e 'const [a, b, c] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && (b < 18 || (b === 18 && c < 1)))) { console.error(`ocicompat needs Node.js >= 20.18.1, found ${process.version}`); process.exit(2); }'
if [ ! -d node_modules ]; then npm ci; fi

echo "== build"; npm run -s build
echo "== type check"; npm run -s typecheck
echo "== lint"; npm run -s lint
echo "== tools"; bash scripts/ensure-tools.sh
echo "== tests"; node scripts/run-tests.mjs "$@"
